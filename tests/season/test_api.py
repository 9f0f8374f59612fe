"""GET /api/v1/units/{unit_id}/season: the unit's calendar in force and each step's
countdown; another unit's is refused, bad input is a problem."""

from __future__ import annotations

from datetime import date

from app.domain.season import calendar as cal
from app.services.season import calendar as season_calendar
from tests.factories import issue_token


async def test_a_units_season_as_json(client, db, world):
    season_calendar.set_calendar(db, actor=None, unit_id=None, year=2026, dues={
        cal.SELF_ASSESSMENT: date(2026, 3, 31), cal.TPI_REVIEW: date(2026, 6, 15)},
        survey_periods=[cal.SurveyPeriod("2026-S1", date(2026, 1, 1), date(2026, 6, 30))])
    token = issue_token(db, world, "UNIT-A1", ["read"])
    auth = {"authorization": f"Bearer {token}"}
    unit = world.unit("UNIT-A1")
    r = await client.get(f"/api/v1/units/{unit}/season?year=2026", headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    today = date.fromisoformat(body["today"])
    assert body["year"] == 2026 and body["calendar_scope_unit_id"] is None
    assert body["assessment_status"] is None and body["next_step"] == "self_assessment"
    first = body["steps"][0]
    assert (first["step"], first["due"], first["days_left"], first["current"]) == (
        "self_assessment", "2026-03-31", (date(2026, 3, 31) - today).days, True)
    assert first["overdue"] is (today > date(2026, 3, 31))
    assert body["steps"][1]["due"] is None  # the regional review was not scheduled
    assert body["survey_periods"] == [
        {"label": "2026-S1", "opens_on": "2026-01-01", "closes_on": "2026-06-30"}]

    r = await client.get(f"/api/v1/units/{world.unit('UNIT-B1')}/season", headers=auth)
    assert r.status_code == 403 and r.headers["content-type"].startswith(
        "application/problem+json")
    r = await client.get(f"/api/v1/units/{unit}/season?year=1990", headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "year"
    r = await client.get(f"/api/v1/units/{unit}/season")
    assert r.status_code == 401
