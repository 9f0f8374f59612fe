"""The outer edge of a request: who sent it (behind trusted proxies) and to which host.

Two pure-ASGI middleware, added in ``app.main.create_app`` only when configured:

- :class:`ForwardedHeadersMiddleware` (when ZONA_TRUSTED_PROXIES lists proxies), outermost:
  rewrites ``scope["client"]`` and ``scope["scheme"]`` once, from X-Forwarded-For /
  X-Forwarded-Proto sent by a trusted proxy (``app.security.client_address``). Everything
  inside (``client_ip`` in app.deps, the public survey's fast lane, the Secure flag of the
  cookies) reads the rewritten scope. ``zona serve`` runs uvicorn with its own proxy
  headers off, so this is the one place that decides.
- :class:`TrustedHostMiddleware` (in production): refuses a Host header that is not one of
  ZONA_TRUSTED_HOSTS with 400 (``app.security.hosts``).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from app.i18n import gettext
from app.security.client_address import TrustedProxies, client_hop, forwarded_scheme
from app.security.hosts import host_allowed


class ForwardedHeadersMiddleware:
    """Believe X-Forwarded-For / X-Forwarded-Proto from the trusted proxies only."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies):
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            if client and self.trusted.contains(client[0]):
                self._rewrite(scope, client[0])
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope, peer: str) -> None:
        forwarded_for: list[str] = []
        forwarded_proto: list[str] = []
        for key, value in scope.get("headers", ()):
            if key == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif key == b"x-forwarded-proto":
                forwarded_proto.append(value.decode("latin-1"))
        chain = ",".join(forwarded_for)
        if chain:
            host, position = client_hop(peer, chain, self.trusted)
            scope["client"] = (host, 0)
        else:
            position = None
        scheme = forwarded_scheme(",".join(forwarded_proto), chain.count(",") + 1, position)
        if scheme is not None:
            scope["scheme"] = scheme


HOST_REFUSED = (
    "Alamat server (Host) tidak dikenal. Buka Zona melalui alamat resminya."
)


class TrustedHostMiddleware:
    """Answer only the trusted host names; anything else gets 400 before the app runs."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]):
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = None
            for key, value in scope.get("headers", ()):
                if key == b"host":
                    host = value.decode("latin-1")
                    break
            if not host_allowed(host, self.hosts):
                await self._refuse(scope, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        message = gettext(HOST_REFUSED)  # the language RequestContextMiddleware chose
        if scope["path"].startswith("/api/"):
            body = json.dumps({"type": "about:blank", "title": "Permintaan tidak valid",
                               "status": 400, "detail": gettext(HOST_REFUSED, "id"),
                               "detail_en": gettext(HOST_REFUSED, "en"),
                               "errors": []}).encode()
            content_type = b"application/problem+json"
        else:
            lang = scope.get("state", {}).get("language", "id")
            body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
                    f"<title>400</title><p>{message}</p></html>").encode()
            content_type = b"text/html; charset=utf-8"
        await send({
            "type": "http.response.start", "status": 400,
            "headers": [(b"content-type", content_type),
                        (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})
