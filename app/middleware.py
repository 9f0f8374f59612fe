"""ASGI middleware: request id, language, security headers and request-size limits.

The public survey submit's fast lane lives with that route, in app.web.surveys.fast_lane.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter
from fastapi.datastructures import Default
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id, get_value_or_default
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount, Route
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


# --- routing: every route in the app's own list, found through an index ---------------------
#
# FastAPI (0.16x) serves an included router through a wrapper that is matched twice per
# request at every level of nesting (once to choose it, once inside), each candidate with its
# own bookkeeping: with the API's and the pages' ~300 routes two levels down, finding a page
# route cost 0.5-0.9 ms a request, measured in process. So the routers are not included:
# their routes are added to the app's own list as FastAPI would serve them included
# (``include_flat``), and ``RouteIndex`` tries only the routes that can match a path.


def include_flat(target: APIRouter, router: APIRouter, *, prefix: str = "",
                 include_in_schema: bool = True,
                 generate_unique_id_function: Callable[[APIRoute], str] | None = None) -> None:
    """Add ``router``'s routes to ``target`` as ``target.include_router(router, ...)`` would
    serve them (full path, tags, responses, operation ids, the app's dependency overrides),
    but as routes of ``target``'s own list. Only the options this app uses are taken; a
    router holding anything but FastAPI's and Starlette's plain routes is refused."""
    unique_id = get_value_or_default(
        router.generate_unique_id_function,
        generate_unique_id_function or Default(generate_unique_id),
    )
    for route in router.routes:
        if isinstance(route, APIRoute):
            target.add_api_route(
                prefix + route.path, route.endpoint,
                response_model=route.response_model, status_code=route.status_code,
                tags=list(route.tags), dependencies=list(route.dependencies),
                summary=route.summary, description=route.description,
                response_description=route.response_description,
                responses=dict(route.responses), deprecated=route.deprecated,
                methods=route.methods, operation_id=route.operation_id,
                response_model_include=route.response_model_include,
                response_model_exclude=route.response_model_exclude,
                response_model_by_alias=route.response_model_by_alias,
                response_model_exclude_unset=route.response_model_exclude_unset,
                response_model_exclude_defaults=route.response_model_exclude_defaults,
                response_model_exclude_none=route.response_model_exclude_none,
                include_in_schema=route.include_in_schema and include_in_schema,
                response_class=get_value_or_default(
                    route.response_class, router.default_response_class),
                name=route.name, route_class_override=type(route),
                callbacks=list(route.callbacks or []), openapi_extra=route.openapi_extra,
                generate_unique_id_function=get_value_or_default(
                    route.generate_unique_id_function, unique_id),
                strict_content_type=get_value_or_default(
                    route.strict_content_type, router.strict_content_type),
                max_body_size=route.max_body_size,
                form_limits=route.form_limits or None,
            )
        elif type(route) is Route:
            target.routes.append(Route(
                prefix + route.path, route.endpoint, methods=sorted(route.methods or ()),
                name=route.name, include_in_schema=route.include_in_schema and include_in_schema,
            ))
        else:
            raise TypeError(f"include_flat: {route!r} is not a plain route")


#: Path parameter types that never match a "/" (a route using only these has a fixed number
#: of segments).
_ONE_SEGMENT = re.compile(r"\{[^}:]+(?::(?:str|int|float|uuid))?\}")


def _route_key(route: BaseRoute) -> tuple[str | None, int | None]:
    """(first path segment, number of "/") every path a route can match has; None where the
    route does not fix it (a parameter in the first segment, a ``:path`` parameter, a mount)."""
    path = getattr(route, "path", None)  # with its convertors (path_format drops them)
    if not isinstance(route, Route) or not isinstance(path, str) or not path.startswith("/"):
        mount = getattr(route, "path", None) if isinstance(route, Mount) else None
        if isinstance(mount, str) and mount.startswith("/") and "{" not in mount and \
                mount.count("/") == 1:
            return mount[1:], None  # /static: its files have any depth
        return None, None
    first = path[1:].split("/", 1)[0]
    rest = _ONE_SEGMENT.sub("x", path)
    return (None if "{" in first else first), (None if "{" in rest else path.count("/"))


class RouteIndex:
    """The app's router with its linear search cut short: the routes that can match a path
    (the same first segment and number of segments, or not fixing them), in their order.

    Starlette's rule is kept exactly: the first route that matches fully is served, else the
    first partial match (a known path with another method: 405). A path no route matches,
    a path below a ``root_path`` and any request when FastAPI's telemetry is recording, go
    to the router itself (redirects to the other trailing slash, 404), unchanged. The index
    is built from the router's list at the first request and again whenever the list's length
    changes (a route added later, as some tests do).
    """

    def __init__(self, router: APIRouter):
        self.router = router
        self._length = -1
        self._table: dict[tuple[str, int], tuple[BaseRoute, ...]] = {}
        self._firsts: frozenset[str] = frozenset()
        self._counts: frozenset[int] = frozenset()

    def _build(self) -> None:
        routes = list(self.router.routes)
        keys = [_route_key(route) for route in routes]
        firsts = frozenset(first for first, _ in keys if first is not None)
        counts = frozenset(count for _, count in keys if count is not None)
        table = {}
        for first in (*firsts, ""):
            for count in (*counts, -1):
                table[first, count] = tuple(
                    route for route, (f, c) in zip(routes, keys, strict=True)
                    if (f is None or f == first) and (c is None or c == count)
                )
        self._table, self._firsts, self._counts = table, firsts, counts
        self._length = len(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        router = self.router
        if scope["type"] != "http" or scope.get("root_path") or \
                scope.get("fastapi.telemetry") is not None or router.form_limits:
            await router.app(scope, receive, send)
            return
        if len(router.routes) != self._length:
            self._build()
        path = scope["path"]
        first = path[1:].split("/", 1)[0]
        count = path.count("/")
        candidates = self._table[
            first if first in self._firsts else "", count if count in self._counts else -1
        ]
        partial = None
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                break
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        else:
            if partial is None:
                await router.app(scope, receive, send)  # the router's own answer
                return
            route, child_scope = partial
        if "router" not in scope:
            scope["router"] = router
        scope.update(child_scope)
        await route.handle(scope, receive, send)
