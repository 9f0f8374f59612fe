"""The JSON API under garbage: every 5xx that scripts/fuzz_api.py found, pinned down.

Each answer is a 4xx with problem details (RFC 9457), and nothing is stored. These run on SQLite and on
PostgreSQL (integers past 32 bits, NUL bytes and over-long texts fail differently there).
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import Depends
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError

from app.deps import public
from app.main import create_app
from tests.factories import issue_token, login
from tests.support.problems import PROBLEM_MEDIA_TYPE, problem

INT4_PAST = "2147483648"
INT8_PAST = "99999999999999999999"
ALL_SCOPES = ["read", "write:indicators", "write:surveys", "write:programme"]


def _api_routes(app):
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path.startswith("/api/v1"):
            for method in sorted((context.methods or set()) - {"HEAD"}):
                yield method, context.path


async def _call(client, method, url, **kwargs):
    try:
        return await client.request(method, url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the app raised: a 500 in production
        return exc


@pytest.mark.parametrize("bad", [INT4_PAST, INT8_PAST])
async def test_an_id_past_the_integer_range_is_not_found_everywhere(app, client, world, db,
                                                                    engine, row_counts, bad):
    csrf = await login(client, "admin")
    before = row_counts(engine)
    failures = []
    for method, path in _api_routes(app):
        if not re.search(r"\{\w+_id\}", path):
            continue
        url = re.sub(r"\{\w+_id\}", bad, path).replace("{ref}", "1.1.1")
        response = await _call(client, method, url, headers={"X-CSRF-Token": csrf})
        if isinstance(response, Exception) or response.status_code != 404:
            failures.append(f"{method} {url}: {getattr(response, 'status_code', response)}")
        elif not problem(response)["detail"]:
            failures.append(f"{method} {url}: no detail")
    assert not failures, "\n".join(failures)
    assert row_counts(engine) == before


async def test_nul_bytes_are_refused_in_json_query_and_forms(
        client, world, db, engine, row_counts):
    token = issue_token(db, world, "UNIT-A1", ALL_SCOPES)
    auth = {"Authorization": f"Bearer {token}"}
    unit_id = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    before = row_counts(engine)
    body = await client.post(f"/api/v1/units/{unit_id}/survey-services", headers=auth,
                             json={"code": "LOKET", "name": "Loket\u0000 depan"})
    assert body.status_code == 422
    assert "NUL" in problem(body)["detail"]
    key = await client.post(f"/api/v1/units/{unit_id}/pillars", headers=auth,
                            json={"name\u0000": "Pilar"})
    assert key.status_code == 422
    query = await client.get(f"/api/v1/units/{unit_id}/innovations", headers=auth,
                             params={"q": "a\x00b"})
    assert query.status_code == 422 and "NUL" in problem(query)["detail"]
    form = await client.post(f"/units/{unit_id}/pillars",
                             data={"name": "Pilar\x00", "csrf_token": csrf})
    assert form.status_code == 422
    assert "karakter NUL" in form.text
    assert row_counts(engine) == before


def test_values_no_column_can_hold_are_refused_before_the_write_on_both_databases(
        db, world, engine, row_counts):
    """The check before every flush: what PostgreSQL would refuse, SQLite refuses too."""
    from app.models import Unit
    from app.services.errors import Invalid

    before = row_counts(engine)
    for row, words in (
        (Unit(code="N1", name="Nama\x00", level="unit", parent_id=world.unit("KEMEN")),
         "'name' berisi karakter NUL"),
        (Unit(code="N2", name="Nama", level="unit", parent_id=2**40), "'parent_id' di luar"),
    ):
        db.add(row)
        with pytest.raises(Invalid) as refused:
            db.commit()
        db.rollback()
        assert words in " ".join(refused.value.problems)
    assert row_counts(engine) == before


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": -1}, {"limit": 10**6}, {"offset": -1}, {"offset": INT8_PAST},
    {"offset": INT4_PAST}, {"limit": "abc"}, {"offset": "1.5"},
])
async def test_programme_lists_refuse_bad_pagination(client, world, db, params):
    token = issue_token(db, world, "UNIT-A1", ["read"])
    unit_id = world.unit("UNIT-A1")
    for suffix in ("innovations", "pillars", "team/decrees", "team/members", "team/pacts",
                   "team/activities", "action-items", "partnerships", "milestones"):
        response = await client.get(f"/api/v1/units/{unit_id}/{suffix}", params=params,
                                    headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 422, (suffix, params, response.text)
        assert problem(response)["detail"], response.text


async def test_pages_past_the_end_are_empty_not_errors(client, world, db, make_campaign):
    token = issue_token(db, world, "UNIT-A1", ["read"])
    unit_id = world.unit("UNIT-A1")
    auth = {"Authorization": f"Bearer {token}"}
    csrf = await login(client, "coord_a1")
    audit = await client.get(f"/api/v1/units/{unit_id}/audit",
                             params={"page": INT8_PAST, "per_page": 200})
    assert audit.status_code == 200 and audit.json()["items"] == []
    for bad in ({"page": 0}, {"per_page": 0}, {"per_page": 10**6}, {"page": "x"}):
        refused = await client.get(f"/api/v1/units/{unit_id}/audit", params=bad)
        assert refused.status_code == 422, bad
    campaign = make_campaign()
    responses = await client.get(f"/api/v1/survey-campaigns/{campaign.id}/responses",
                                 params={"page": INT8_PAST}, headers=auth)
    assert responses.status_code == 200, responses.text
    assert responses.json()["items"] == []
    page = await client.get(f"/units/{unit_id}/surveys/campaigns/{campaign.id}/responses",
                            params={"page": INT8_PAST})
    assert page.status_code == 200
    assert csrf


@pytest.mark.parametrize("year", ["-566", "0", "340883", INT8_PAST, "1899", "3000"])
async def test_programme_year_filters_refuse_years_out_of_range(client, world, db, year):
    token = issue_token(db, world, "UNIT-A1", ["read"])
    unit_id = world.unit("UNIT-A1")
    for suffix in ("milestones", "team/activities", "team/commitment"):
        response = await client.get(f"/api/v1/units/{unit_id}/{suffix}", params={"year": year},
                                    headers={"Authorization": f"Bearer {token}"})
        if year == "0":  # 0 means "no year filter", as the services always read it
            assert response.status_code == 200, (suffix, response.text)
        else:
            assert response.status_code == 422, (suffix, year, response.text)
            assert problem(response)["detail"], response.text


@pytest.mark.parametrize("bad", [INT4_PAST, INT8_PAST, "-1"])
async def test_programme_id_filters_and_references_past_the_range_are_refused(
        client, world, db, engine, row_counts, bad):
    token = issue_token(db, world, "UNIT-A1", ALL_SCOPES)
    auth = {"Authorization": f"Bearer {token}"}
    unit_id = world.unit("UNIT-A1")
    for suffix, name in (("innovations", "pillar_id"), ("team/pacts", "member_id"),
                         ("team/activities", "pillar_id"), ("action-items", "pillar_id"),
                         ("partnerships", "pillar_id")):
        response = await client.get(f"/api/v1/units/{unit_id}/{suffix}",
                                    params={name: bad}, headers=auth)
        if bad == "-1":
            assert response.status_code in (200, 422), (suffix, response.text)
        else:
            assert response.status_code == 422, (suffix, response.text)
    activity = await client.post(
        f"/api/v1/units/{unit_id}/team/activities", headers=auth,
        json={"kind": "internalisasi_budaya_kerja", "held_on": "2026-01-05",
              "title": "Rapat", "member_ids": []},
    )
    assert activity.status_code == 201, activity.text
    before = row_counts(engine)
    patched = await client.patch(f"/api/v1/team-activities/{activity.json()['id']}",
                                 headers=auth, json={"member_ids": [int(bad)]})
    assert patched.status_code == 422, patched.text
    assert row_counts(engine) == before


async def test_emptying_a_field_with_a_default_restores_the_default(client, world, db):
    """PATCH {"position": null} used to hit the NOT NULL constraint (a 500)."""
    token = issue_token(db, world, "UNIT-A1", ALL_SCOPES)
    auth = {"Authorization": f"Bearer {token}"}
    unit_id = world.unit("UNIT-A1")
    pillar = await client.post(f"/api/v1/units/{unit_id}/pillars", headers=auth,
                               json={"name": "Pelayanan prima", "position": 3})
    assert pillar.status_code == 201, pillar.text
    patched = await client.patch(f"/api/v1/pillars/{pillar.json()['id']}", headers=auth,
                                 json={"position": None})
    assert patched.status_code == 200, patched.text
    assert patched.json()["position"] == 0


async def test_references_in_bodies_past_the_range_are_not_found(
        client, world, db, engine, row_counts):
    csrf = await login(client, "admin")
    before = row_counts(engine)
    unit = await client.post("/api/v1/units", headers={"X-CSRF-Token": csrf},
                             json={"code": "X-1", "name": "X", "level": "unit",
                                   "parent_id": int(INT8_PAST)})
    assert unit.status_code in (404, 422), unit.text
    assert row_counts(engine) == before


# --- the last-resort handlers ---------------------------------------------------------------

@pytest.fixture
def net_app(settings):
    """A separate app with routes that fail the way an unchecked database write fails."""
    application = create_app(settings)
    anyone = [Depends(public(csrf=False))]

    def integrity():
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: unit.code"))

    def data():
        raise DataError("INSERT", {}, Exception("value too long for type character varying"))

    def overflow():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    for name, fn in (("integrity", integrity), ("data", data), ("overflow", overflow)):
        application.add_api_route(f"/api/v1/_net/{name}", fn, methods=["GET"],
                                  dependencies=anyone)
        application.add_api_route(f"/_net/{name}", fn, methods=["GET"], dependencies=anyone)
    return application


@pytest.mark.parametrize("name,status", [("integrity", 409), ("data", 422), ("overflow", 422)])
async def test_database_refusals_become_clear_4xx_on_both_faces(net_app, name, status):
    transport = httpx.ASGITransport(app=net_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        api = await c.get(f"/api/v1/_net/{name}")
        assert api.status_code == status
        assert "Tidak ada yang diubah" in problem(api)["detail"]
        page = await c.get(f"/_net/{name}")
        assert page.status_code == status
        assert "Tidak ada yang diubah" in page.text
        assert "text/html" in page.headers["content-type"]


# --- every query parameter of every GET route, API and pages ----------------------------------

QUERY_GARBAGE = ["-1", "0", INT4_PAST, INT8_PAST, "abc", "NaN", "1e999", "x" * 3000, "a\x00b",
                 "2026-13-45", "9999-12-31T25:00"]


def _query_params(route: APIRoute) -> list[str]:
    names = []

    def walk(dependant) -> None:
        names.extend(p.alias for p in dependant.query_params)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return sorted(set(names))


@pytest.mark.slow
async def test_every_query_parameter_takes_garbage_without_a_server_error(
        app, client, engine, row_counts, demo_data):
    """Filters and pagination on lists and pages: a 4xx or an (empty) answer, never a 5xx."""
    from tests.support.routes import fill_path

    await login(client, "admin", "zona-demo-2026")
    before = row_counts(engine)
    failures, walked = [], 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or set()) or \
                context.path.startswith("/s/"):
            continue
        url = fill_path(context.path, demo_data)
        for name in _query_params(route):
            if name == "lang":
                continue
            for junk in QUERY_GARBAGE:
                response = await _call(client, "GET", url, params={name: junk})
                walked += 1
                status = getattr(response, "status_code", None)
                if status is None or status >= 500:
                    failures.append(f"GET {url}?{name}={junk[:20]!r}: {status or response!r}")
                elif url.startswith("/api/") and status >= 400 and \
                        not response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE):
                    failures.append(f"GET {url}?{name}={junk[:20]!r}: no detail")
    assert walked > 200, walked
    assert not failures, "\n".join(failures)
    assert row_counts(engine) == before
