"""Nothing private is kept by a browser or a proxy: `Cache-Control: no-store` on signed-in
pages, API answers, every export and the public form (it carries a one-time token); the
static files, the same for everyone, stay cacheable."""

from __future__ import annotations

import pytest

from app.services.lke import assessments, frameworks
from tests.factories import issue_token, login


@pytest.fixture
def assessment_id(db, world) -> int:
    frameworks.sync_bundled(db)
    return assessments.create(
        db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024, target="WBK"
    ).id


async def test_private_answers_are_not_stored_and_static_files_may_be(
        client, db, world, make_campaign, assessment_id):
    unit_id = world.unit("UNIT-A1")
    campaign = make_campaign()
    token = issue_token(db, world, "UNIT-A1", ["read"])
    auth = {"Authorization": f"Bearer {token}"}

    anonymous = {
        "login page": "/login",
        "public survey form": f"/s/{campaign.public_code}",
        "unknown page": "/no-such-page",
    }
    for what, url in anonymous.items():
        response = await client.get(url)
        assert response.headers.get("cache-control") == "no-store", what

    api = {
        "API list": f"/api/v1/units/{unit_id}/pillars",
        "JSON score report": f"/api/v1/assessments/{assessment_id}/score",
        "API LKE XLSX": f"/api/v1/assessments/{assessment_id}/export.xlsx",
        "API error": "/api/v1/assessments/999999/score",
    }
    for what, url in api.items():
        response = await client.get(url, headers=auth)
        assert response.status_code in (200, 404), (what, response.status_code)
        assert response.headers.get("cache-control") == "no-store", what

    await login(client, "coord_a1")
    pages = {
        "signed-in page": f"/units/{unit_id}/pillars",
        "survey CSV": f"/units/{unit_id}/surveys/campaigns/{campaign.id}/export.csv",
        "survey XLSX": f"/units/{unit_id}/surveys/campaigns/{campaign.id}/export.xlsx",
        "LKE XLSX": f"/units/{unit_id}/assessments/{assessment_id}/export.xlsx",
        "API through the session": f"/api/v1/units/{unit_id}/survey-services",
    }
    for what, url in pages.items():
        response = await client.get(url)
        assert response.status_code == 200, (what, response.status_code)
        assert response.headers.get("cache-control") == "no-store", what

    # A route's own stricter value is kept: the QR image of the (public) link may stay in
    # this browser's own cache for a day, never in a shared one.
    qr = await client.get(f"/units/{unit_id}/surveys/campaigns/{campaign.id}/qr.svg")
    assert qr.headers["cache-control"] == "private, max-age=86400"

    for name in ("zona.css", "htmx.min.js"):
        static = await client.get(f"/static/{name}")
        assert static.status_code == 200
        assert "cache-control" not in static.headers, name
        assert static.headers.get("etag")


async def test_a_refused_oversized_body_is_not_stored_either(client, settings):
    too_big = "x=" + "a" * (settings.max_json_kb * 1024 + 1)
    response = await client.post("/login", content=too_big,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert response.headers["cache-control"] == "no-store"
