"""Walk every registered route: each declares who may use it, and the rules hold.

Anonymous callers get 401 (API) or a redirect to the login page (pages), except the public
allow-list; a viewer cannot write; a member of unit A can neither read nor write unit B; a
reviewer at a regional office reads its units and not another office's.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from tests.factories import login

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Unsafe routes that need no more than read permission because they change nothing
# (calculations on hypothetical input).
READ_ONLY_POSTS: set[str] = {
    "/api/v1/assessments/{assessment_id}/what-if",
    "/assessments/{assessment_id}/what-if",
    # A person's own inbox and e-mail choices (app.web.season): every signed-in person,
    # a viewer too; the service changes only the actor's own rows.
    "/notifications/{notification_id}/open",
    "/notifications/{notification_id}/read",
    "/notifications/read-all",
    "/notifications/preferences",
    # Build an assessment's evidence bundle in the background (app.services.lke.bundle_jobs):
    # an export, like downloading it; queues a job that reads, changes nothing of the unit.
    "/api/v1/assessments/{assessment_id}/evidence-bundle/jobs",
    "/units/{unit_id}/assessments/{assessment_id}/bundle/jobs",
}
# Unsafe routes that act only on the caller's own account (start linking it to an SSO
# account): any signed-in person may, whatever their role.
OWN_ACCOUNT_POSTS: set[str] = {"/sso/link"}
# /kiosk/: the kiosk form (the public survey form on a tablet), its service worker and
# manifest, and the one-time pairing link (which only a coordinator can make).
# /hasil/: a unit's survey results, which PermenPANRB 14/2017 asks it to publish to everyone
# (counts and indices only, small groups held back: app.services.surveys.publication).
PUBLIC_PREFIXES = ("/s/", "/kiosk/", "/hasil/")
# The API's document and its Swagger page: the contract, never data.
PUBLIC_EXACT = {"/login", "/logout", "/healthz", "/readyz", "/api/openapi.json", "/api/docs",
                "/sso/login", "/sso/callback"}


def _permission_of(route) -> list[str]:
    if route.dependant is None:  # a plain Starlette route states it on its endpoint
        permission = getattr(route.endpoint, "permission", None)
        return [permission] if permission else []
    found: list[str] = []

    def walk(dependant) -> None:
        permission = getattr(dependant.call, "permission", None)
        if permission:
            found.append(permission)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return found


class _Route:
    """A registered route with its full path (FastAPI includes routers lazily)."""

    def __init__(self, path: str, original):
        self.path = path
        self.dependant = getattr(original, "dependant", None)
        self.endpoint = original.endpoint


def _routes(app):
    """Every endpoint: FastAPI routes and plain Starlette ones (static files aside)."""
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        if isinstance(original, APIRoute | Route):
            for method in sorted((context.methods or set()) - {"HEAD"}):
                yield method, _Route(context.path, original)
        else:
            assert isinstance(original, Mount) and original.path == "/static", original


def test_the_walk_sees_the_plain_starlette_route_too(app):
    walked = {(method, route.path): _permission_of(route) for method, route in _routes(app)}
    assert walked[("POST", "/s/{code}")] == ["public"]


def _fill(path: str, unit_id: int) -> str:
    path = path.replace("{unit_id}", str(unit_id))
    return re.sub(r"\{[^}]+\}", "999999", path)


def test_every_route_declares_exactly_one_permission(app):
    missing, doubled = [], []
    for method, route in _routes(app):
        permissions = _permission_of(route)
        if not permissions:
            missing.append(f"{method} {route.path}")
        elif len(permissions) > 1:
            doubled.append(f"{method} {route.path}: {permissions}")
    assert not missing, f"routes without a permission: {missing}"
    assert not doubled, f"routes with several permission checks: {doubled}"
    mounts = [r.path for r in app.routes if isinstance(r, Mount)]
    assert mounts == ["/static"]


def test_public_routes_are_the_allow_list(app):
    public = {route.path for _m, route in _routes(app) if _permission_of(route) == ["public"]}
    unexpected = {
        p for p in public if p not in PUBLIC_EXACT and not p.startswith(PUBLIC_PREFIXES)
    }
    assert not unexpected, f"public routes outside the allow-list: {unexpected}"


async def test_anonymous_is_refused_everywhere_but_the_allow_list(app, client, world):
    checked = 0
    for method, route in _routes(app):
        if _permission_of(route) == ["public"]:
            continue
        url = _fill(route.path, world.unit("UNIT-A1"))
        response = await client.request(method, url)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.headers["content-type"].startswith("application/problem+json")
        else:
            assert response.status_code == 303, (method, url, response.status_code)
            assert response.headers["location"].startswith("/login")
        checked += 1
    assert checked > 10


async def test_viewer_cannot_write(app, client, world):
    csrf = await login(client, "viewer_a1")
    for method, route in _routes(app):
        permission = _permission_of(route)
        if method not in UNSAFE or permission == ["public"] or route.path in READ_ONLY_POSTS \
                or route.path in OWN_ACCOUNT_POSTS:
            continue
        assert permission != ["unit.read"], f"{method} {route.path} writes with read permission"
        url = _fill(route.path, world.unit("UNIT-A1"))
        response = await client.request(method, url, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 403, (method, url, response.status_code)


@pytest.mark.parametrize("username", ["member_a1", "coord_a1"])
async def test_unit_a_staff_cannot_touch_unit_b(app, client, world, username):
    csrf = await login(client, username)
    checked = 0
    for method, route in _routes(app):
        if "{unit_id}" not in route.path or _permission_of(route) == ["public"]:
            continue
        url = _fill(route.path, world.unit("UNIT-B1"))
        response = await client.request(method, url, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 403, (method, url, response.status_code)
        checked += 1
    assert checked > 3


async def test_reviewer_reads_own_offices_units_only(app, client, world):
    await login(client, "reviewer_a")
    for method, route in _routes(app):
        if method != "GET" or "{unit_id}" not in route.path:
            continue
        if _permission_of(route) != ["unit.read"] or re.search(r"\{(?!unit_id)", route.path):
            continue
        own = await client.get(_fill(route.path, world.unit("UNIT-A1")))
        # Allowed: any answer but a refusal (422 = a required query parameter is missing).
        assert own.status_code in (200, 303, 422), (route.path, own.status_code)
        other = await client.get(_fill(route.path, world.unit("UNIT-B1")))
        assert other.status_code == 403, (route.path, other.status_code)


# --- the public submit's fast lane (app.web.surveys.fast_lane) gets every guard a route gets


@pytest.fixture
def open_campaign_code(db, world):
    from datetime import date

    from app.services.surveys import campaigns as survey_campaigns
    from app.services.surveys import instruments as survey_instruments

    survey_instruments.sync_bundled(db)
    campaign = survey_campaigns.create_campaign(
        db, actor=None, unit_id=world.unit("UNIT-A1"),
        data=survey_campaigns.CampaignInput(
            title="Survei jalur cepat", instrument_codes=["ikm-2017"], period_kind="year",
            period_label="2019", opens_on=date(2019, 1, 1), closes_on=date(2099, 12, 31),
            population=10,
        ),
    )
    return campaign.public_code


def _guarded_posts(code: str) -> dict[str, str]:
    """An ordinary public POST (through FastAPI's router) and the fast-lane submit."""
    return {"ordinary": "/login", "fast lane": f"/s/{code}"}


async def test_the_fast_lane_gets_the_request_id_and_security_headers(client, open_campaign_code):
    for lane, url in _guarded_posts(open_campaign_code).items():
        response = await client.post(url, data={"x": "1"}, headers={"X-Request-ID": "walk-7"})
        assert response.headers["x-request-id"] == "walk-7", lane
        assert response.headers["x-content-type-options"] == "nosniff", lane
        assert response.headers["x-frame-options"] == "DENY", lane
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], lane


async def test_the_fast_lane_gets_the_body_limit(client, settings, open_campaign_code):
    too_big = "x=" + "a" * (settings.max_json_kb * 1024 + 1)
    for lane, url in _guarded_posts(open_campaign_code).items():
        response = await client.post(
            url, content=too_big,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413, lane
        assert "terlalu besar" in response.text, lane


async def test_the_fast_lane_checks_csrf_and_stores_nothing(client, db, open_campaign_code):
    from sqlmodel import func, select

    from app.models.surveys.records import SurveyResponse

    answers = {f"ikm-2017.U{n}": "4" for n in range(1, 10)}
    for lane, url in _guarded_posts(open_campaign_code).items():
        # No CSRF cookie and no token: refused like any unsafe request from a page.
        response = await client.post(url, data={**answers, "username": "x", "password": "y"})
        assert response.status_code == 403, (lane, response.status_code)
    assert db.exec(select(func.count()).select_from(SurveyResponse)).one() == 0


async def test_refused_pages_give_their_connections_back(app, client, world):
    """A refusal's error page is drawn after the route's session closed; the header bell must
    not reopen that session (a checked-out connection nobody returns: 15 of them and every
    request waits 30 s for the pool)."""
    await login(client, "coord_a1")
    pool = app.state.engine.pool
    before = pool.checkedout()
    for _ in range(20):
        response = await client.get(f"/units/{world.unit('UNIT-B1')}")
        assert response.status_code == 403
    assert pool.checkedout() == before
