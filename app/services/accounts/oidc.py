"""The OpenID Connect adapter: everything Zona says to the identity provider, in one place.

Built on Authlib (the OAuth 2 client: authorization URL with PKCE, code exchange, refresh)
and joserfc (Authlib's JOSE library: the JWS signature of the ID token). What it does:

- discovery from ``<issuer>/.well-known/openid-configuration`` (the document's ``issuer``
  must be the configured one, exactly), kept for an hour;
- the authorization code flow with PKCE (S256), ``state`` and ``nonce`` (the caller keeps
  them: app/services/accounts/sso.py);
- the ID token: signed (``none`` and HMAC refused) by a key of the provider's JWKS, issuer,
  audience (and ``azp``), expiry, ``iat``/``nbf``, ``nonce`` and ``at_hash`` checked with
  the configured clock skew tolerated;
- the JWKS kept in memory and fetched again when a token names a key id it does not hold
  (the provider rotated its keys);
- userinfo, the refresh-token grant and the end-session URL.

Every refusal is an ``OidcError`` with a short reason code; the sso service turns it into
an Indonesian page and an audit record. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import warnings
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError

with warnings.catch_warnings():
    # Authlib 1.6 announces its move to httpx2 on import; Zona talks through httpx (and
    # through httpx2 once installed). Without this every `zona` command prints the notice.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from app.services.accounts.oidc_error import OidcError

# Signature algorithms accepted for an ID token: asymmetric only (never "none", never an
# HMAC keyed with the client secret).
try:  # Authlib talks through httpx2 when it is installed, else through httpx
    import httpx2

    HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError, OSError)
except ImportError:  # pragma: no cover - depends on what else is installed
    HTTP_ERRORS = (httpx.HTTPError, OSError)

ALLOWED_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)
METADATA_TTL_SECONDS = 3600




def _b64json(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


class OidcClient:
    """One configured provider. Safe to share between threads (one per app)."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str = "",
        scopes: str = "openid",
        leeway_seconds: int = 120,
        timeout_seconds: float = 10.0,
    ):
        self.issuer = issuer.strip()
        self.client_id = client_id
        self.client_secret = client_secret
        scope_list = scopes.split()
        self.scope = " ".join(scope_list if "openid" in scope_list else ["openid", *scope_list])
        self.leeway = leeway_seconds
        self.timeout = timeout_seconds
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self.jwks_fetches = 0  # how often the key set was fetched (the rotation test reads it)

    @classmethod
    def from_settings(cls, settings) -> OidcClient | None:
        if not settings.oidc_enabled:
            return None
        return cls(
            issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret, scopes=settings.oidc_scopes,
            leeway_seconds=settings.oidc_clock_skew_seconds,
            timeout_seconds=settings.oidc_timeout_seconds,
        )

    # --- discovery and keys ----------------------------------------------------------------

    def _get_json(self, url: str) -> dict:
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError("unreachable", f"{url}: {exc}") from None
        if not isinstance(data, dict):
            raise OidcError("unreachable", f"{url}: not a JSON object")
        return data

    def metadata(self, *, force: bool = False) -> dict:
        """The provider's discovery document (cached); its issuer must be ours exactly."""
        with self._lock:
            fresh = time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS
            if self._metadata is not None and fresh and not force:
                return self._metadata
        data = self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if data.get("issuer") != self.issuer:
            raise OidcError("issuer", f"discovery names issuer {data.get('issuer')!r}")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(name), str):
                raise OidcError("provider", f"discovery lacks {name}")
        with self._lock:
            self._metadata, self._metadata_at = data, time.monotonic()
        return data

    def keys(self, *, force: bool = False) -> KeySet:
        """The provider's public keys (cached until a token names a key we do not hold)."""
        with self._lock:
            if self._keys is not None and not force:
                return self._keys
        data = self._get_json(self.metadata()["jwks_uri"])
        try:
            keys = KeySet.import_key_set(data)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcError("provider", f"unreadable JWKS: {exc}") from None
        with self._lock:
            self._keys = keys
            self.jwks_fetches += 1
        return keys

    def end_session_url(
        self, *, id_token_hint: str | None, post_logout_redirect_uri: str
    ) -> str | None:
        """The provider's RP-initiated logout address, when it offers one."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except OidcError:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        params = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        return str(httpx.URL(endpoint).copy_merge_params(params))

    # --- the code flow ---------------------------------------------------------------------

    def _oauth(self, redirect_uri: str | None = None) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret or None,
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=(
                "client_secret_basic" if self.client_secret else "none"
            ),
            timeout=self.timeout,
        )

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        endpoint = self.metadata()["authorization_endpoint"]
        with self._oauth(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=code_verifier,
            )
        return url

    def _token_request(self, call, *, invalid_grant: str) -> dict:
        """The token endpoint's answer; its refusal of the grant becomes ``invalid_grant``
        (a used code: replay; a refresh token of a disabled person: denied)."""
        try:
            token = call()
        except OAuthError as exc:
            reason = invalid_grant if exc.error == "invalid_grant" else "provider"
            raise OidcError(reason, f"{exc.error}: {exc.description or ''}") from None
        except ValueError as exc:
            raise OidcError("provider", str(exc)) from None
        except HTTP_ERRORS as exc:
            raise OidcError("unreachable", str(exc)) from None
        return dict(token)

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> dict:
        """The token endpoint's answer to an authorization code (a used code: ``replay``)."""
        endpoint = self.metadata()["token_endpoint"]
        with self._oauth(redirect_uri) as client:
            return self._token_request(
                lambda: client.fetch_token(
                    endpoint, grant_type="authorization_code", code=code,
                    code_verifier=code_verifier,
                ),
                invalid_grant="replay",
            )

    def refresh(self, *, refresh_token: str) -> dict:
        """A refresh-token grant: refused (``denied``) once the person is disabled there."""
        endpoint = self.metadata()["token_endpoint"]
        with self._oauth() as client:
            return self._token_request(
                lambda: client.refresh_token(endpoint, refresh_token=refresh_token),
                invalid_grant="denied",
            )

    def userinfo(self, *, access_token: str) -> dict:
        endpoint = self.metadata().get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            return {}
        try:
            response = httpx.get(
                endpoint, headers={"Authorization": f"Bearer {access_token}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise OidcError("unreachable", str(exc)) from None
        if response.status_code in (401, 403):
            raise OidcError("denied", f"userinfo answered {response.status_code}")
        try:
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError("provider", f"userinfo: {exc}") from None
        if not isinstance(data, dict):
            raise OidcError("provider", "userinfo: not a JSON object")
        return data

    # --- the ID token ------------------------------------------------------------------------

    def _algorithms(self) -> list[str]:
        offered = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in offered if alg in ALLOWED_ALGORITHMS] or ["RS256"]

    def id_token_claims(
        self, id_token: str, *, nonce: str | None, access_token: str | None = None
    ) -> dict[str, Any]:
        """The checked claims of an ID token; OidcError when anything is wrong."""
        if not isinstance(id_token, str) or id_token.count(".") != 2:
            raise OidcError("unsigned" if isinstance(id_token, str) else "claims",
                            "not a signed JWT (JWS compact)")
        try:
            header = _b64json(id_token.split(".", 1)[0])
        except (ValueError, UnicodeError):
            raise OidcError("signature", "unreadable JWS header") from None
        alg = header.get("alg")
        if alg in (None, "none") or not id_token.rsplit(".", 1)[1]:
            raise OidcError("unsigned", f"alg {alg!r}")
        algorithms = self._algorithms()
        if alg not in algorithms:
            raise OidcError("signature", f"alg {alg!r} not accepted")
        keys = self.keys()
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=algorithms)
            except InvalidKeyIdError:
                # A key id we do not hold: the provider rotated its keys. Fetch them again.
                token = jwt.decode(id_token, self.keys(force=True), algorithms=algorithms)
        except InvalidKeyIdError:
            raise OidcError("signature", f"unknown key id {header.get('kid')!r}") from None
        except BadSignatureError:
            raise OidcError("signature", "bad signature") from None
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError("signature", str(exc)) from None
        params: dict[str, Any] = {"nonce": nonce, "client_id": self.client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(
            token.claims, token.header,
            {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
            },
            params,
        )
        try:
            claims.validate(leeway=self.leeway)
        except ExpiredTokenError:
            raise OidcError("expired", "exp passed") from None
        except MissingClaimError as exc:
            raise OidcError("claims", f"missing {exc.claim}") from None
        except ClaimError as exc:
            reason = {"iss": "issuer", "aud": "audience", "azp": "audience",
                      "nonce": "nonce", "iat": "expired", "nbf": "expired"}.get(
                exc.claim, "claims")
            raise OidcError(reason, f"invalid {exc.claim}") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise OidcError("claims", "sub is not a string")
        return dict(claims)
