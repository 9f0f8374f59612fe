"""Validation reports every problem at once (survey answers, batches, campaigns), each named
with its field and reason; a campaign's period and dates agree, or the period is derived."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from app.models.surveys.records import SurveyCampaign, SurveyResponse
from app.services.errors import FieldProblem, Invalid
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import responses as survey_responses
from tests.factories import issue_token, login

IKM = "ikm-2017"
MISSING = [f"U{n}" for n in range(3, 10)]


def bearer(db, world, scopes=("read", "write:surveys")):
    return {"Authorization": f"Bearer {issue_token(db, world, 'UNIT-A1', list(scopes))}"}


def count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def texts(response) -> str:
    """Every message of a refusal, whatever the shape of the body."""
    return response.text


def test_the_service_names_every_answer_problem(db, make_campaign):
    campaign = make_campaign()
    with pytest.raises(survey_responses.SubmissionInvalid) as info:
        survey_responses.record_response(
            db, campaign=campaign,
            answers={(IKM, "U1"): 5, (IKM, "U2"): "3", (IKM, "U99"): 4},
        )
    errors = {e.field: e.code for e in info.value.errors}
    # U1 out of the 1-4 scale, U2 not an integer, U3..U9 not answered, U99 not an item.
    assert errors == {
        "answers.ikm-2017.U1": "out_of_range", "answers.ikm-2017.U2": "not_integer",
        **{f"answers.ikm-2017.{code}": "missing" for code in MISSING},
        "answers": "unknown_item",
    }
    assert all(e.location == "body" for e in info.value.errors)
    assert len(info.value.problems) == 10
    assert count(db, SurveyResponse) == 0


async def test_one_422_lists_types_ranges_and_missing_items(client, db, world, make_campaign):
    campaign = make_campaign()
    response = await client.post(
        f"/api/v1/survey-campaigns/{campaign.id}/responses",
        json={"answers": {IKM: {"U1": 5, "U2": "3"}}, "service_id": "loket"},
        headers=bearer(db, world),
    )
    assert response.status_code == 422
    body = texts(response)
    assert "U1: jawaban harus antara 1 dan 4." in body
    assert "U2: jawaban harus berupa angka bulat." in body
    for code in MISSING:
        assert f"{code} (" in body and "wajib dijawab" in body
    assert "Jenis layanan tidak dikenal." in body
    assert count(db, SurveyResponse) == 0


async def test_a_batch_names_each_item(client, db, world, make_campaign):
    campaign = make_campaign()
    good = {f"U{n}": 4 for n in range(1, 10)}
    items = [
        {"idempotency_key": "a", "answers": {IKM: good}},
        {"idempotency_key": "b", "answers": {IKM: {**good, "U4": 0}}},
        {"idempotency_key": "c", "answers": {IKM: {**good, "U9": 2.5}}},
    ]
    response = await client.post(
        f"/api/v1/survey-campaigns/{campaign.id}/responses/batch", json={"items": items},
        headers=bearer(db, world),
    )
    assert response.status_code == 422
    assert "U4: jawaban harus antara 1 dan 4." in response.text
    assert "U9: jawaban harus berupa angka bulat." in response.text
    assert count(db, SurveyResponse) == 0
    with pytest.raises(survey_responses.SubmissionInvalid) as info:
        survey_responses.record_batch(db, actor=None, campaign=campaign, items=[
            survey_responses.BatchItem(answers={(IKM, k): v for k, v in i["answers"][IKM].items()},
                                       idempotency_key=i["idempotency_key"]) for i in items])
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("items.1.answers.ikm-2017.U4", "out_of_range"),
        ("items.2.answers.ikm-2017.U9", "not_integer"),
    ]


def _campaign(**changes) -> survey_campaigns.CampaignInput:
    data = {"title": "Survei Semester II 2026", "instrument_codes": [IKM],
            "period_kind": "semester", "period_label": "2026-S2",
            "opens_on": date(2026, 12, 1), "closes_on": date(2026, 12, 31), "population": 300}
    data.update(changes)
    return survey_campaigns.CampaignInput(**data)


def test_every_campaign_problem_at_once(db, world):
    with pytest.raises(Invalid) as info:
        survey_campaigns.create_campaign(db, actor=None, unit_id=world.unit("UNIT-A1"), data=_campaign(
            title=" ", instrument_codes=["ikm-2017", "tidak-ada"], period_label="2026-Q9",
            closes_on=date(2026, 11, 30), population=0))
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("title", "missing"), ("instruments.1", "unknown"),
        ("closes_on", "before_opens_on"), ("period_label", "invalid_format"),
        ("population", "out_of_range"),
    ]
    assert count(db, SurveyCampaign) == 0


def test_a_period_the_dates_do_not_touch_is_refused(db, world):
    """The issue's case: labelled 2031-S2, open in December 2026 (not stored as 2031)."""
    with pytest.raises(Invalid) as info:
        survey_campaigns.create_campaign(db, actor=None, unit_id=world.unit("UNIT-A1"),
                                         data=_campaign(period_label="2031-S2"))
    assert info.value.errors == [FieldProblem(
        "period_label", "period_dates_mismatch",
        "Periode 2031-S2 (2031-07-01 s.d. 2031-12-31) tidak sesuai dengan tanggal survei "
        "(2026-12-01 s.d. 2026-12-31): survei harus dibuka sedikitnya satu hari dalam "
        "periodenya. Menurut tanggal buka, periodenya 2026-S2; kosongkan label agar diisi "
        "otomatis.")]
    assert count(db, SurveyCampaign) == 0


@pytest.mark.parametrize(("kind", "label", "opens", "closes", "stored", "year"), [
    # Blank label: the period the opening date falls in.
    ("semester", None, date(2026, 12, 1), date(2026, 12, 31), "2026-S2", 2026),
    ("quarter", "", date(2026, 8, 15), date(2026, 9, 15), "2026-Q3", 2026),
    ("year", None, date(2025, 1, 1), date(2025, 3, 1), "2025", 2025),
    # A label the dates touch by one day is kept: 2026-S1 ends on 30 June.
    ("semester", "2026-S1", date(2026, 6, 30), date(2026, 7, 31), "2026-S1", 2026),
    # Fieldwork across the year end for the year before: it opened in that year.
    ("year", "2025", date(2025, 12, 15), date(2026, 1, 31), "2025", 2025),
    ("semester", "2026-s2", date(2026, 7, 1), date(2026, 7, 2), "2026-S2", 2026),
])
def test_the_period_agrees_or_is_derived(db, world, kind, label, opens, closes, stored, year):
    campaign = survey_campaigns.create_campaign(
        db, actor=None, unit_id=world.unit("UNIT-A1"),
        data=_campaign(period_kind=kind, period_label=label, opens_on=opens, closes_on=closes))
    assert (campaign.period_label, campaign.year) == (stored, year)


@pytest.mark.parametrize(("kind", "label", "opens", "closes"), [
    ("semester", "2026-S1", date(2026, 7, 1), date(2026, 12, 31)),  # starts a day late
    ("quarter", "2026-Q4", date(2026, 1, 1), date(2026, 9, 30)),     # ends a day early
    ("year", "2027", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_periods_that_miss_by_a_day_are_refused(db, world, kind, label, opens, closes):
    with pytest.raises(Invalid) as info:
        survey_campaigns.create_campaign(
            db, actor=None, unit_id=world.unit("UNIT-A1"),
            data=_campaign(period_kind=kind, period_label=label, opens_on=opens,
                           closes_on=closes))
    assert [e.code for e in info.value.errors] == ["period_dates_mismatch"]


def test_period_bounds_by_hand():
    assert survey_campaigns.period_bounds("2024-Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert survey_campaigns.period_bounds("2024-S1") == (date(2024, 1, 1), date(2024, 6, 30))
    assert survey_campaigns.period_bounds("2024-S2") == (date(2024, 7, 1), date(2024, 12, 31))
    assert survey_campaigns.period_bounds("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert survey_campaigns.period_of("quarter", date(2024, 12, 31)) == "2024-Q4"
    assert survey_campaigns.period_of("semester", date(2024, 7, 1)) == "2024-S2"


async def test_the_api_refuses_a_mismatch_and_derives_a_missing_label(client, db, world):
    unit = world.unit("UNIT-A1")
    body = {"title": "SKM", "instruments": [IKM], "period_kind": "semester",
            "period_label": "2031-S2", "opens_on": "2026-12-01", "closes_on": "2026-12-31",
            "population": 300}
    url = f"/api/v1/units/{unit}/survey-campaigns"
    refused = await client.post(url, json=body, headers=bearer(db, world))
    assert refused.status_code == 422
    assert "Periode 2031-S2" in refused.text and "2026-S2" in refused.text
    del body["period_label"]
    created = await client.post(url, json=body, headers=bearer(db, world))
    assert created.status_code == 201, created.text
    assert (created.json()["period_label"], created.json()["year"]) == ("2026-S2", 2026)


async def test_the_page_refuses_a_mismatch_and_derives_a_blank_label(client, db, world):
    csrf = await login(client, "coord_a1")
    unit = world.unit("UNIT-A1")
    form = {"csrf_token": csrf, "title": "SKM", "instruments": [IKM],
            "period_kind": "semester", "period_label": "2031-S2", "opens_on": "2026-12-01",
            "closes_on": "2026-12-31", "population": "300"}
    refused = await client.post(f"/units/{unit}/surveys/campaigns", data=form)
    assert refused.status_code == 422 and "Periode 2031-S2" in refused.text
    assert count(db, SurveyCampaign) == 0
    created = await client.post(f"/units/{unit}/surveys/campaigns",
                                data={**form, "period_label": ""})
    assert created.status_code == 303
    campaign = db.exec(select(SurveyCampaign)).one()
    assert (campaign.period_label, campaign.year) == ("2026-S2", 2026)
