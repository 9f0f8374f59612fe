"""Dependencies shared by both faces: database session, who is asking, what they may do.

Every route declares exactly one of `requires(permission)` or `public(...)`; a test walks
the registered routes to prove it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.config import Settings
from app.db import MAX_ID
from app.security.principal import Principal, missing
from app.services import idempotency
from app.services.accounts import sso, tokens
from app.services.accounts import users as accounts
from app.services.errors import Forbidden, Invalid, NotFound, ServiceError
from app.services.surveys import kiosks as survey_kiosks

SESSION_COOKIE = "zona_session"
CSRF_COOKIE = "zona_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class NotAuthenticated(Exception):
    """No valid session or token: API -> 401, pages -> redirect to the login page."""


class CsrfRefused(ServiceError):
    status_code = 403


# The dependencies below are ``async def`` where they do no blocking work: FastAPI runs a
# plain ``def`` dependency in a worker thread, a hop of its own (~50 us of the event loop's
# time and a thread switch each, on every request that uses it).


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's database session.

    Made on the event loop (a Session connects only when first used); closed in a worker
    thread when it was used, since giving its connection back to the pool rolls back (a
    round trip to PostgreSQL), and on the loop when it never connected.
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    # the page's own session, for what its layout reads (the header bell's count): one
    # connection a request in flight instead of two
    request.state.db_session = session
    try:
        yield session
    finally:
        # an error page rendered after this closes must not reopen it (a connection
        # nobody would give back)
        del request.state.db_session
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def session_serializer(settings: Settings, secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="zona-session")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def resolve_principal(request: Request, session: Session) -> Principal | None:
    """The signed-in person (cookie) or the API token (bearer) behind this request."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    principal = None
    secret = _bearer(request)
    if secret is not None:
        if secret.startswith(survey_kiosks.KIOSK_TOKEN_PREFIX):
            principal = survey_kiosks.authenticate(session, secret=secret)
        else:
            principal = tokens.authenticate(session, secret=secret)
        request.state.auth_kind = "token" if principal else "bad-token"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            settings = request.app.state.settings
            serializer = session_serializer(settings, request.app.state.secret_key)
            try:
                raw = serializer.loads(cookie, max_age=settings.session_hours * 3600)
            except BadSignature:
                raw = None
            access = accounts.resolve_session_access(session, raw_id=raw) if raw else None
            user, roles = access if access is not None else (None, None)
            sso_config = sso.config_from(
                settings, getattr(request.app.state, "oidc", None), request.app.state.secret_key
            )
            if user is not None and sso_config is not None:
                if not sso.recheck(session, config=sso_config, raw_id=raw, user=user):
                    user = None  # disabled at the identity provider (or nothing maps any more)
                # a recheck may have moved the person to another unit: read the roles after it
                roles = None
            if user is not None:
                principal = accounts.principal_for_user(session, user, roles)
                request.state.session_raw_id = raw
                request.state.auth_kind = "cookie"
    request.state.principal = principal
    return principal


async def _principal(request: Request, session: Session) -> Principal | None:
    """resolve_principal without blocking the event loop on the database.

    Looking up a session cookie or a token checks a connection out of the pool; doing that
    on the event loop while every pooled connection is held by requests running in the
    threadpool (whose clean-up needs the loop) stalls the server until the pool times out.
    Anonymous requests need no database and stay on the loop.
    """
    if hasattr(request.state, "principal"):
        return request.state.principal
    if _bearer(request) is None and not request.cookies.get(SESSION_COOKIE):
        return resolve_principal(request, session)
    return await run_in_threadpool(resolve_principal, request, session)


# --- CSRF ---------------------------------------------------------------------------------
#
# The token is an HMAC, under the secret key, of what this browser holds that another site
# cannot choose for it:
# - signed in: the session's random id (inside the signed session cookie), so a token works
#   only with the session it was made for, and a new sign-in makes a new one;
# - anonymous (sign-in form, public survey): a random id in the zona_csrf cookie, so a token
#   made for one browser does not pass for another. It is renewed at sign-in and sign-out.
# Deciding which needs no database (the signature of the session cookie is enough), so the
# public survey's fast lane checks it too. A cookie planted beside a signed-in session
# changes nothing: the session decides.


@lru_cache(maxsize=8)
def _csrf_key(secret: str) -> bytes:
    return hashlib.sha256(b"zona-csrf\x00" + secret.encode()).digest()


def _mac(secret: str, kind: bytes, value: str) -> str:
    digest = hmac.digest(_csrf_key(secret), kind + b"\x00" + value.encode(), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _csrf_mac(request: Request, kind: bytes, value: str) -> str:
    return _mac(request.app.state.secret_key, kind, value)


def anonymous_csrf_token(secret: str, cookie_id: str) -> str:
    """The token that passes with ``zona_csrf=<cookie_id>`` and no session (for load tests
    that post without reading a page first)."""
    return _mac(secret, b"anonymous", cookie_id)


def _session_id_for_csrf(request: Request) -> str | None:
    """The random id of the session cookie this browser sent, when its signature holds
    (already known when the principal was resolved; otherwise read without the database)."""
    # request.state keeps its values in scope["state"]; read there, a missing attribute of
    # request.state costs an exception (this runs on every public survey submit).
    raw = request.scope.get("state", {}).get("session_raw_id")
    if raw:
        return raw
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    serializer = session_serializer(request.app.state.settings, request.app.state.secret_key)
    try:
        raw = serializer.loads(cookie)
    except BadSignature:
        return None
    return raw if isinstance(raw, str) and raw else None


def new_csrf_cookie_id() -> str:
    """A fresh anonymous id for the zona_csrf cookie (at first use, sign-in and sign-out)."""
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: bound to its session, or when anonymous to its zona_csrf
    cookie (created on first use; the middleware sets the cookie)."""
    raw = _session_id_for_csrf(request)
    if raw is not None:
        return _csrf_mac(request, b"session", raw)
    anonymous = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not anonymous:
        anonymous = new_csrf_cookie_id()
        request.state.new_csrf = anonymous
    return _csrf_mac(request, b"anonymous", anonymous)


def csrf_matches(request: Request, sent: str | None) -> bool:
    """Whether ``sent`` (form field or header) is this browser's CSRF token (no database)."""
    if not sent:
        return False
    raw = _session_id_for_csrf(request)
    if raw is not None:
        expected = _csrf_mac(request, b"session", raw)
    else:
        anonymous = request.cookies.get(CSRF_COOKIE)
        if not anonymous:
            return False
        expected = _csrf_mac(request, b"anonymous", anonymous)
    return hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace"))


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing browser request without the token (form field or header)."""
    if request.method not in UNSAFE_METHODS:
        return
    if getattr(request.state, "auth_kind", None) == "token":
        return  # bearer tokens are not sent by browsers on their own
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not csrf_matches(request, sent):
        raise CsrfRefused(
            "Permintaan ditolak: token keamanan (CSRF) tidak ada atau tidak cocok. "
            "Muat ulang halaman lalu coba lagi."
        )


NUL_MESSAGE = "Isian tidak boleh berisi karakter NUL (\\0). Tidak ada yang diubah."


def _check_path_ids(request: Request) -> None:
    """An id in the path beyond the id range is simply not found (404), on every database."""
    for name, raw in request.path_params.items():
        if name.endswith("_id") and isinstance(raw, str) and raw.isdigit() and \
                int(raw) > MAX_ID:
            raise NotFound("Data tidak ditemukan.")


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def refuse_nul(request: Request) -> None:
    """No text a person or a system sends may hold a NUL character.

    PostgreSQL cannot store one and no field of the product means one; refusing it here,
    once for both faces, keeps SQLite and PostgreSQL behaving alike (422, nothing stored).
    Uploaded files are bytes and are not looked at.
    """
    query = request.query_params.multi_items()
    if "\x00" in request.url.path or any(_has_nul(k) or _has_nul(v) for k, v in query):
        raise Invalid(NUL_MESSAGE)
    if request.method not in UNSAFE_METHODS:
        return
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        if any(_has_nul(k) or _has_nul(v) for k, v in form.multi_items()):
            raise Invalid(NUL_MESSAGE)
    elif "json" in content_type:
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            try:
                parsed = json.loads(body)
            except ValueError:
                return  # not JSON: the route's own parsing answers 422
            if _has_nul(parsed):
                raise Invalid(NUL_MESSAGE)


def requires(permission: str, *, unit_param: str | None = "unit_id", kiosk: bool = False):
    """Dependency: the caller must be signed in and hold `permission`.

    With a `unit_id` path parameter the permission must be held at that unit; otherwise at
    some unit. Either way the service checks again, against the unit the data belongs to
    (`app.services.units.authorise`): the route's check is the first line, not the only one.

    ``kiosk=True``: a survey kiosk's credential is let through as well (it holds no
    permission; the service takes only its own campaign's answers). Every other route
    refuses a kiosk.
    """

    async def dependency(request: Request, session: SessionDep) -> Principal:
        principal = await _principal(request, session)
        if principal is None:
            raise NotAuthenticated()
        await check_csrf(request)
        _check_path_ids(request)
        await refuse_nul(request)
        raw_unit = request.path_params.get(unit_param) if unit_param else None
        unit_id = None
        if raw_unit is not None:
            try:
                unit_id = int(raw_unit)
            except (TypeError, ValueError):
                raise Forbidden("Unit tidak dikenal.", permission=permission) from None
        if kiosk and principal.kind == "kiosk":
            return principal
        if not principal.can(permission, unit_id):
            name, message = missing(principal, permission, unit_id)
            raise Forbidden(message, permission=name)
        return principal

    dependency.permission = permission  # read by the route-walk test
    dependency.kiosk = kiosk
    return dependency


class IdempotentReplay(Exception):  # noqa: N818 - not an error: the first answer, again
    """A repeat of a finished request: app.errors sends the stored answer unchanged."""

    def __init__(self, replay: idempotency.Replay):
        super().__init__("idempotent replay")
        self.replay = replay


IDEMPOTENCY_HELP = (
    "Send a fresh random key (a UUID) with a create you may have to retry. A repeat with the "
    "same key and the same request (same token, path, query and body) creates nothing and "
    "returns the first answer: same status, same body, header `Idempotent-Replayed: true`. "
    "The same key with another request: 422. While the first is still running: 409. Keys are "
    "per token (or person) and path, kept 24 hours."
)


async def _request_fingerprint(request: Request) -> str:
    query = request.url.query
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        fields = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                await value.seek(0)
                fields.append([name, value.filename or "", hashlib.sha256(data).hexdigest()])
            else:
                fields.append([name, value])
        return idempotency.fingerprint(query=query, form=fields)
    return idempotency.fingerprint(query=query, body=await request.body())


async def idempotency_key(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=idempotency.KEY_MAX,
               description=IDEMPOTENCY_HELP),
    ] = None,
) -> str | None:
    """Dependency of every API create a system may retry: the ``Idempotency-Key`` header.

    Put after the route's ``requires(...)`` parameter (the caller is known and allowed). A
    first request reserves the key and runs; its answer is stored by
    app.middleware.IdempotencyMiddleware. A repeat raises IdempotentReplay (the first answer
    is sent again) or a problem (422 other request, 409 still running).
    """
    if idempotency_key is None:
        return None
    principal = await _principal(request, session)
    holder = request.scope.get(idempotency.SCOPE_KEY)
    if principal is None or holder is None:
        return idempotency_key
    fingerprint = await _request_fingerprint(request)
    outcome = await run_in_threadpool(
        lambda: idempotency.begin(
            session, actor=principal, method=request.method, path=request.url.path,
            key=idempotency_key, fingerprint=fingerprint,
        )
    )
    if isinstance(outcome, idempotency.Replay):
        raise IdempotentReplay(outcome)
    idempotency.watch(session, record_id=outcome.record_id)
    holder["record_id"] = outcome.record_id
    return idempotency_key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def public(*, csrf: bool = True):
    """Dependency for routes anyone may use (login, health, public survey)."""

    async def dependency(request: Request, session: SessionDep) -> Principal | None:
        principal = await _principal(request, session)
        if csrf:
            await check_csrf(request)
        return principal

    dependency.permission = "public"
    return dependency




def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- sending a stored file ----------------------------------------------------------------

def attachment_disposition(filename: str) -> str:
    """Content-Disposition for an attachment (RFC 6266; the UTF-8 form for other names),
    as Starlette's FileResponse writes it."""
    from urllib.parse import quote

    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


def stored_file_response(download) -> Response:
    """An evidence download (app.services.lke.evidence.Download) as both faces send it: a
    file from the local folder, the object's bytes streamed in pieces from S3, or a redirect
    to a short-lived pre-signed URL (the permission was checked before it was made)."""
    from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

    headers = dict(download.headers)
    if download.redirect_url:
        return RedirectResponse(download.redirect_url, status_code=307,
                                headers={"Cache-Control": "private, no-store"})
    if download.path is not None:
        return FileResponse(download.path, media_type=download.media_type,
                            filename=download.filename, content_disposition_type="attachment",
                            headers=headers)
    headers.update({"Content-Disposition": attachment_disposition(download.filename),
                    "Content-Length": str(download.file.size)})
    # A plain iterator: Starlette pulls it in a worker thread, one piece at a time.
    return StreamingResponse(download.file.chunks(), media_type=download.media_type,
                             headers=headers)
