"""The app's routes are found through app.routing.RouteIndex: it must pick exactly the
route Starlette's linear search over the same list picks, for every route and method."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.testclient import TestClient
from starlette.routing import Match, Route

from app.routing import RouteIndex, include_flat


def _linear(routes, scope):
    partial = None
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def _indexed(index: RouteIndex, scope):
    index._build()
    path = scope["path"]
    first, count = path[1:].split("/", 1)[0], path.count("/")
    candidates = index._table[first if first in index._firsts else "",
                              count if count in index._counts else -1]
    return _linear(candidates, scope)


def _paths(route) -> list[str]:
    path = getattr(route, "path", "")
    filled = [re.sub(r"\{[^}]+\}", value, path) for value in ("7", "abc", "x-1")]
    return [*filled, path.rstrip("/") + "/", path + "/extra", path + "/a/b"]


def test_index_picks_the_routers_route_for_every_path_and_method(app):
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = list(app.router.routes)
    assert len(routes) > 300  # the API's and the pages' routes, in the app's own list
    for route in routes:
        for path in _paths(route):
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
                scope = {"type": "http", "method": method, "path": path, "root_path": "",
                         "headers": [], "query_string": b""}
                assert _indexed(index, scope) is _linear(routes, scope), (method, path)


def _app_with(routes):
    from fastapi import FastAPI

    app = FastAPI()
    router = APIRouter()
    for path, name in routes:
        router.add_api_route(path, lambda name=name: {"route": name}, name=name,
                             methods=["GET"])
    include_flat(app.router, router, prefix="/p")
    app.router.middleware_stack = RouteIndex(app.router)
    return app


def test_order_partial_matches_redirects_and_not_found_are_the_routers():
    # "/p/a/{x}" is listed before "/p/{y}/b": the first full match wins, as in Starlette.
    app = _app_with([("/a/{x}", "ax"), ("/{y}/b", "yb"), ("/c/{rest:path}", "rest"),
                     ("/d/", "slash")])
    client = TestClient(app)
    assert client.get("/p/a/b").json() == {"route": "ax"}
    assert client.get("/p/z/b").json() == {"route": "yb"}
    assert client.get("/p/c/1/2/3").json() == {"route": "rest"}
    assert client.post("/p/a/b").status_code == 405  # a partial match: the path, not the method
    redirect = client.get("/p/d", follow_redirects=False)  # the router's own slash redirect
    assert redirect.status_code == 307 and redirect.headers["location"].endswith("/p/d/")
    assert client.get("/nowhere").status_code == 404
    # A route added after the first request is found too (the index is rebuilt).
    app.router.routes.append(Route("/late", lambda request: None, name="late"))
    app.router.add_api_route("/later", lambda: {"route": "later"}, methods=["GET"])
    assert client.get("/later").json() == {"route": "later"}
