"""A bounded number of SQL statements per page: every main page and its API twin runs as
many statements on the demo unit as on the same unit grown several times over (more
assessments, evidence, survey campaigns and responses, innovations, action items, partners,
team members...). A page whose count grows with the rows (an N+1) fails here, with the
statements it ran."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, insert, select, text

from app.models.programme import (
    ActionItem,
    Innovation,
    Milestone,
    Partnership,
    TeamActivity,
)
from app.models.surveys.records import SurveyCampaign
from app.services import demo
from app.services.lke import answers, assessments, evidence, evidence_links
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import instruments as survey_instruments
from tests.support.lke_review import complete_answers
from tests.support.survey_responses import respond

HX = {"HX-Request": "true"}

# (name, path, htmx): read with the coordinator's session.
PAGES = [
    ("unit dashboard", "/units/{unit}", False),
    ("assessment list", "/units/{unit}/assessments", False),
    ("worksheet", "/assessments/{assessment}", False),
    ("area fragment", "/assessments/{assessment}/areas/PPF", True),
    ("gap planner", "/assessments/{assessment}/gaps", False),
    ("surveys", "/units/{unit}/surveys", False),
    ("survey results", "/units/{unit}/surveys/campaigns/{campaign}", False),
    ("survey trend", "/units/{unit}/surveys/trend", False),
    ("innovations", "/units/{unit}/innovations", False),
    ("team", "/units/{unit}/team", False),
    ("action plan", "/units/{unit}/action-plan", False),
    ("partnerships", "/units/{unit}/partnerships", False),
    ("milestones", "/units/{unit}/milestones", False),
    ("api assessments", "/api/v1/units/{unit}/assessments", False),
    ("api assessment", "/api/v1/assessments/{assessment}", False),
    ("api verdict", "/api/v1/assessments/{assessment}/verdict", False),
    ("api survey results", "/api/v1/survey-campaigns/{campaign}/results", False),
    ("api survey trend", "/api/v1/units/{unit}/survey-trend", False),
    ("api innovations", "/api/v1/units/{unit}/innovations", False),
    ("api action items", "/api/v1/units/{unit}/action-items", False),
    ("api partnerships", "/api/v1/units/{unit}/partnerships", False),
    ("api team members", "/api/v1/units/{unit}/team/members", False),
]


@contextmanager
def counting(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _answers(n: int) -> dict[str, list[int]]:
    """One respondent's answers to the demo campaign's three instruments."""
    value = n % 4 + 1
    return {"ikm": [value] * 9, "spkp": [value] * 8, "spak": [value] * 5}


def _clone(db, model, unit_id: int, copies: int) -> None:
    """``copies`` more rows like the unit's first one of ``model`` (bulk, around the
    services: what matters here is how many rows the pages read)."""
    table = model.__table__
    row = db.execute(select(table).where(table.c.unit_id == unit_id).limit(1)).mappings().first()
    assert row is not None, f"the demo has no {table.name}"
    values = {k: v for k, v in row.items() if k != "id"}
    db.execute(insert(table), [values] * copies)
    db.commit()


def _grow(db, unit_id: int, draft_id: int, campaign) -> None:
    """The demo unit, several times over."""
    for year in range(2010, 2015):  # five more assessments, every question answered
        a = assessments.create(db, actor=None, unit_id=unit_id, year=year, target="WBK")
        answers.answer_many(db, actor=None, assessment_id=a.id,
                            changes=complete_answers(assessments.framework_of(db, a)))
    draft = assessments.get(db, actor=None, assessment_id=draft_id)
    framework = assessments.framework_of(db, draft)
    refs = [q.ref for q in framework.area("PPF").questions] + [
        q.ref for q in framework.area("PPA").questions]
    for n, ref in enumerate(refs[:12]):
        doc = evidence.add_link(db, actor=None, unit_id=unit_id,
                                url=f"https://example.go.id/bukti/{n}", title=f"Bukti {n}")
        evidence_links.link(db, actor=None, assessment_id=draft.id, evidence_id=doc.id,
                            question_ref=ref, expected_index=0 if framework.question(
                                ref).evidence else None)
    for n in range(15):
        respond(db, campaign, **_answers(n))
    for n in range(3):
        survey_campaigns.create_campaign(db, actor=None, unit_id=unit_id,
                                         data=survey_campaigns.CampaignInput(
            title=f"Survei tambahan {n}", instrument_codes=["ikm-2017"],
            period_kind="semester", period_label=f"{2010 + n}-S1",
            opens_on=date(2010 + n, 1, 1), closes_on=date(2010 + n, 6, 30), population=100))
    for model in (Innovation, ActionItem, Partnership, TeamActivity, Milestone):
        _clone(db, model, unit_id, 15)


@pytest.mark.slow
async def test_pages_run_as_many_statements_at_any_size(client, db, engine):
    survey_instruments.sync_bundled(db)
    loaded = demo.load(db)
    unit_id = loaded.unit_ids["KPPN-TJP"]
    with engine.connect() as connection:
        draft_id = connection.execute(text(
            "SELECT id FROM assessment WHERE unit_id = :u AND status = 'draft'"),
            {"u": unit_id}).scalar_one()
        campaign_id = connection.execute(text(
            "SELECT id FROM survey_campaign WHERE unit_id = :u AND status = 'open'"),
            {"u": unit_id}).scalar_one()
    campaign = db.get(SurveyCampaign, campaign_id)
    for _ in range(2):  # the open campaign's first responses (15 more come with the growth)
        respond(db, campaign, **_answers(3))
    ids = {"unit": unit_id, "assessment": draft_id, "campaign": campaign_id}
    csrf_page = await client.get("/login")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', csrf_page.text).group(1)
    response = await client.post("/login", data={
        "username": "koordinator", "password": demo.DEMO_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    page = await client.get(f"/assessments/{draft_id}")
    session_csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)

    async def measure() -> dict[str, list[str]]:
        out = {}
        for name, path, htmx in PAGES:
            url = path.format(**ids)
            await client.get(url, headers=HX if htmx else {})  # warm: caches per process
            with counting(engine) as statements:
                response = await client.get(url, headers=HX if htmx else {})
            assert response.status_code == 200, (name, response.status_code)
            out[name] = statements
        for option in ("A", "B"):  # the htmx save of one answer (warm, then counted)
            with counting(engine) as statements:
                response = await client.post(
                    f"/assessments/{draft_id}/answers/PPA1B",
                    data={"option": option, "penjelasan": "Uji"},
                    headers={**HX, "X-CSRF-Token": session_csrf})
            assert response.status_code == 200, response.text
        out["htmx save"] = statements
        return out

    small = await measure()
    _grow(db, unit_id, draft_id, campaign)
    large = await measure()
    for name in small:  # shown with -s: the figures in docs/perf.md
        print(f"{name:20} {len(small[name]):3} {len(large[name]):3}")
    grown = {name: (len(small[name]), len(large[name])) for name in small
             if len(large[name]) > len(small[name])}
    detail = "\n".join(
        f"{name}: {a} -> {b} statements; at the larger size:\n  " + "\n  ".join(
            s.split("\n")[0][:150] for s in large[name])
        for name, (a, b) in grown.items())
    assert not grown, f"{grown}\n{detail}"
    # A bound, too: no main page needs more than this many statements.
    assert max(len(s) for s in large.values()) <= 40, {k: len(v) for k, v in large.items()}
