"""ASGI middleware: request id, language, security headers and request-size limits.

The public survey submit's fast lane lives with that route, in app.web.surveys.fast_lane.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import unquote_to_bytes

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import LANGUAGES, current_language, gettext
from app.services import idempotency
from app.services.audit import current_request_id

LANG_COOKIE = "zona_lang"
CSRF_COOKIE = "zona_csrf"  # same name as app.deps.CSRF_COOKIE
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

#: On every response.
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)

#: Files under this prefix are the app's own, the same for everyone: the browser may keep them.
STATIC_PREFIX = "/static/"


def _cache_control(path: str, headers: list) -> list:
    """``Cache-Control: no-store`` on everything but the static files.

    Pages, API answers and exports hold unit data, respondents' profiles and suggestions, and
    the public form a one-time token: no browser or proxy may keep them (a shared computer at
    a service counter, a caching proxy). A route's own value is kept when it already forbids
    storing (``no-store``) or shared caches (``private``, the QR images of a public link), or
    when the route says its answer is the same for everyone (``public``: the public survey
    results, app.web.surveys.publication; such an answer gets no cookie, see
    ``_shared``); anything else is replaced.
    """
    if path.startswith(STATIC_PREFIX):
        return headers
    for key, value in headers:
        if key.lower() == b"cache-control":
            value = value.lower()
            if b"no-store" in value or b"private" in value or _shared(headers):
                return headers
            headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
            break
    headers.append((b"cache-control", b"no-store"))
    return headers


def _shared(headers: list) -> bool:
    """Whether the route marked its answer ``Cache-Control: public`` (the same for everyone,
    kept by shared caches): it must then carry no cookie, which a cache would hand to
    everyone."""
    return any(key.lower() == b"cache-control"
               and b"public" in (part.strip() for part in value.lower().split(b","))
               for key, value in headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class RequestContextMiddleware:
    """Request id, the UI language (?lang= > cookie > default), security and cache headers,
    and the CSRF cookie when a page created this browser's token (pure ASGI: no extra task per
    request, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, default_language: str = "id"):
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (_header(scope, b"x-request-id") or "")[:64] or secrets.token_hex(8)
        query_lang = None
        for pair in scope.get("query_string", b"").decode("latin-1").split("&"):
            key, _, value = pair.partition("=")
            if key == "lang" and value in LANGUAGES:
                query_lang = value
        lang = query_lang or _cookie(scope, LANG_COOKIE)
        if lang not in LANGUAGES:
            lang = self.default_language
        scope.setdefault("state", {})["language"] = lang
        scope["state"]["request_id"] = request_id
        lang_token = current_language.set(lang)
        rid_token = current_request_id.set(request_id)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", ()), (b"x-request-id", request_id.encode()),
                    *SECURITY_HEADERS,
                ]
                headers = _cache_control(scope.get("path", ""), headers)
                shared = _shared(headers)
                new_csrf = scope["state"].get("new_csrf")
                if new_csrf and not shared and not _cookie(scope, CSRF_COOKIE):
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    headers.append(
                        (
                            b"set-cookie",
                            f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Lax"
                            f"{secure}".encode(),
                        )
                    )
                if query_lang and not shared:
                    headers.append(
                        (
                            b"set-cookie",
                            f"{LANG_COOKIE}={query_lang}; Path=/; Max-Age=31536000; "
                            f"SameSite=Lax".encode(),
                        )
                    )
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_language.reset(lang_token)
            current_request_id.reset(rid_token)


TOO_LARGE_MESSAGE = "Data yang dikirim terlalu besar (batas {mb} MB)."
TOO_LARGE_TITLE = "Data terlalu besar"  # the problem's title (app.errors.PROBLEM_TITLES)
#: Also app.errors' words for a body the framework could not parse (its English 400).
BODY_MESSAGE = (
    "Isi permintaan tidak dapat dibaca: kirim JSON atau formulir yang sah, dengan teks "
    "UTF-8. Tidak ada yang diubah."
)
FORM_TYPE = "application/x-www-form-urlencoded"


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f}"


def too_large_message(limit: int) -> str:
    return TOO_LARGE_MESSAGE.format(mb=_megabytes(limit))


class BodyRefused(HTTPException):
    """A body refused while the app reads it, raised from ``receive``.

    An HTTPException so that FastAPI passes it on instead of calling it a body it could not
    parse (an English 400); app.errors answers it on both faces with these Indonesian words
    (``message`` with ``values``, translated on pages).
    """

    def __init__(self, status: int, message: str, headers: dict | None = None, **values):
        super().__init__(status, message.format(**values), headers=headers)
        self.message = message
        self.values = values


class BodyTooLarge(BodyRefused):
    """The body grew past the limit (no Content-Length announced it): 413."""

    def __init__(self, limit: int):
        super().__init__(413, TOO_LARGE_MESSAGE, headers={"Connection": "close"},
                         mb=_megabytes(limit))


class FormNotText(BodyRefused):
    """An urlencoded form that is not UTF-8 text: 422 (Starlette would read Latin-1)."""

    def __init__(self):
        super().__init__(422, BODY_MESSAGE)


def form_is_text(body: bytes) -> bool:
    """Whether an ``application/x-www-form-urlencoded`` body is UTF-8 text once unquoted.

    A browser percent-encodes every byte outside ASCII, as the format requires; Starlette
    reads a raw one as Latin-1 and an undecodable ``%XX`` as U+FFFD, so either would be
    stored garbled. Checking the whole body at once is the same as checking each name and
    value: the separators are ASCII, so they can neither complete nor break a sequence.
    """
    if not body.isascii():
        return False
    if b"%" not in body:
        return True
    try:
        unquote_to_bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413 before the app reads them, and urlencoded forms
    that are not UTF-8 text with 422 (``form_is_text``) when the app reads them."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int):
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        limit = (
            self.upload_limit if content_type.startswith("multipart/form-data")
            else self.json_limit
        )
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0
        started = False
        form: list[bytes] | None = [] if content_type.startswith(FORM_TYPE) else None

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(limit)
                if form is not None:
                    form.append(chunk)
                    if not message.get("more_body", False) and \
                            not form_is_text(b"".join(form)):
                        raise FormNotText()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:  # read outside the app's exception handlers
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        message = too_large_message(limit)
        if scope["path"].startswith("/api/"):
            # The API's problem details (app.api.problems.Problem), written here because
            # this answer leaves before the app (and its exception handlers) runs.
            body = json.dumps({
                "type": "about:blank", "title": TOO_LARGE_TITLE, "status": 413,
                "detail": message,
                "detail_en": gettext(TOO_LARGE_MESSAGE, "en").format(mb=_megabytes(limit)),
                "errors": [],
            }).encode()
            content_type = b"application/problem+json"
        else:
            body = f"<!doctype html><title>413</title><p>{message}</p>".encode()
            content_type = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", content_type), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    """Store the answer of a first API request sent with an ``Idempotency-Key``.

    The route's dependency reserved the key (app.services.idempotency.begin) and put the
    reservation in a holder this middleware placed in the scope; the answer is kept (2xx) or
    the key freed (anything else) before the answer leaves, so a repeat that arrives right
    after the client got it finds it stored. Requests without the header pass untouched.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or \
                not scope["path"].startswith("/api/") or \
                _header(scope, b"idempotency-key") is None:
            await self.app(scope, receive, send)
            return
        holder: dict = {}
        scope[idempotency.SCOPE_KEY] = holder
        start: Message | None = None
        chunks: list[bytes] = []
        finished = False

        async def recording_send(message: Message) -> None:
            nonlocal start, finished
            if "record_id" not in holder:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _finish(scope, holder, start, b"".join(chunks))
                finished = True
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks)})
                return
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if "record_id" in holder and not finished:
                await _release(scope, holder["record_id"])


async def _finish(scope: Scope, holder: dict, start: Message, body: bytes) -> None:
    media_type = None
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            media_type = value.decode("latin-1")

    def store() -> None:
        with Session(scope["app"].state.engine) as session:
            idempotency.complete(
                session, record_id=holder["record_id"], status_code=start["status"],
                media_type=media_type, body=body.decode("utf-8", "replace"),
            )

    await run_in_threadpool(store)


async def _release(scope: Scope, record_id: int) -> None:
    def free() -> None:
        with Session(scope["app"].state.engine) as session:
            idempotency.release(session, record_id=record_id)

    await run_in_threadpool(free)
