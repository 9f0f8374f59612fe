"""The error of the OpenID Connect adapter (app.services.accounts.oidc), on its own so that
the SSO use cases and the app's start need not import the adapter: it loads httpx, Authlib
and joserfc (~10 MB of every server's memory), which only a configured SSO uses."""

from __future__ import annotations


class OidcError(Exception):
    """The provider's answer (or the browser's) was refused. ``reason`` is a short code:
    state, replay, provider, issuer, audience, expired, unsigned, signature, nonce, claims,
    denied, unreachable."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
