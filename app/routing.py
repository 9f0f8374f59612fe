"""Routing: every route in the app's own list, found through an index.

FastAPI (0.16x) serves an included router through a wrapper that is matched twice per
request at every level of nesting (once to choose it, once inside), each candidate with its
own bookkeeping: with the API's and the pages' ~300 routes two levels down, finding a page
route cost 0.5-0.9 ms a request, measured in process (bench/request_path.py). So the routers
are not included: their routes are added to the app's own list as FastAPI would serve them
included (``include_flat``), and ``RouteIndex`` tries only the routes that can match a path.

Both lean on FastAPI's and Starlette's internals (APIRoute's attributes, Router's
``middleware_stack``): after a FastAPI upgrade, tests/platform/test_route_index.py and the
OpenAPI snapshot test say whether they still hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.datastructures import Default
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id, get_value_or_default
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Receive, Scope, Send


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
