"""Survey pages: results, trend, responses and review, exports, cross-unit refusal, demo."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlmodel import func, select

from app.models.surveys.records import SurveyCampaign, SurveyResponse
from app.services import demo
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from tests.factories import login

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]


def ikm_answers(values):
    return {(IKM, code): v for code, v in zip(U, values, strict=True)}


async def test_results_page_shows_ikm_grade_and_priority(client, db, world, make_campaign):
    campaign = make_campaign(population=100)
    for r in ((4, 3, 3, 2, 4, 4, 3, 3, 1), (3, 3, 4, 2, 4, 3, 3, 4, 2), (4, 4, 3, 3, 4, 4, 2, 3, 2)):
        survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(r))
    await login(client, "viewer_a1")
    unit = world.unit("UNIT-A1")
    r = await client.get(f"/units/{unit}/surveys/campaigns/{campaign.id}")
    assert r.status_code == 200
    html = r.text
    assert "77,78" in html and "grade-b" in html  # IKM 700/9 shown with a decimal comma
    assert "<svg" in html and "style=" not in html
    assert "Sampel minimal belum tercapai" in html and ">80<" in html
    assert "prioritas" in html
    r = await client.get(f"/units/{unit}/surveys")
    assert r.status_code == 200 and campaign.title in r.text
    r = await client.get(f"/units/{unit}/surveys/trend?kind=ikm")
    assert r.status_code == 200 and "2019-S1" in r.text
    r = await client.get(f"/units/{unit}")
    panel = r.text[r.text.index('id="survey-panel"'):]
    assert "IKM · 2019-S1" in panel and "77,78" in panel and "grade-b" in panel


async def test_other_unit_cannot_see_or_change(client, db, world, make_campaign):
    campaign = make_campaign("UNIT-A1")
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers((4,) * 9),
                            suspect_reasons=["terlalu_cepat"])
    response_id = db.exec(select(SurveyResponse.id)).one()
    csrf = await login(client, "coord_b1")
    a1, b1 = world.unit("UNIT-A1"), world.unit("UNIT-B1")
    for url in (f"/units/{a1}/surveys", f"/units/{a1}/surveys/campaigns/{campaign.id}",
                f"/units/{a1}/surveys/campaigns/{campaign.id}/responses",
                f"/units/{a1}/surveys/campaigns/{campaign.id}/export.csv"):
        assert (await client.get(url)).status_code == 403, url
    # Through the coordinator's own unit, the other unit's campaign does not exist.
    r = await client.get(f"/units/{b1}/surveys/campaigns/{campaign.id}")
    assert r.status_code == 404
    r = await client.post(f"/units/{b1}/surveys/responses/{response_id}/review",
                          data={"decision": "include", "csrf_token": csrf})
    assert r.status_code == 404  # like a response that does not exist: ids are not probed
    r = await client.post(f"/units/{b1}/surveys/campaigns/{campaign.id}/status",
                          data={"status": "closed", "csrf_token": csrf})
    assert r.status_code == 404
    db.expire_all()
    assert db.get(SurveyResponse, response_id).review_decision is None
    assert db.get(SurveyCampaign, campaign.id).status == "open"


async def test_review_from_the_page_is_audited(client, db, world, make_campaign):
    campaign = make_campaign()
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers((2,) * 9),
                            suspect_reasons=["terlalu_cepat"])
    response_id = db.exec(select(SurveyResponse.id)).one()
    csrf = await login(client, "coord_a1")
    unit = world.unit("UNIT-A1")
    r = await client.get(f"/units/{unit}/surveys/campaigns/{campaign.id}/responses?suspect=1")
    assert "terlalu_cepat" in r.text
    r = await client.post(f"/units/{unit}/surveys/responses/{response_id}/review",
                          data={"decision": "include", "csrf_token": csrf})
    assert r.status_code == 303
    res = survey_results.campaign_results(db, campaign=campaign)
    assert res.respondents == 1 and res.result("ikm").ikm.ikm == 50
    r = await client.get(f"/units/{unit}/audit?entity=survey_response")
    assert "review:include" in r.text


async def test_member_cannot_review(client, db, world, make_campaign):
    campaign = make_campaign()
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers((2,) * 9),
                            suspect_reasons=["terlalu_cepat"])
    response_id = db.exec(select(SurveyResponse.id)).one()
    csrf = await login(client, "member_a1")
    r = await client.post(f"/units/{world.unit('UNIT-A1')}/surveys/responses/{response_id}/review",
                          data={"decision": "include", "csrf_token": csrf})
    assert r.status_code == 403


async def test_exports_escape_formulas(client, db, world, make_campaign):
    campaign = make_campaign()
    evil = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "aman"]
    for text in evil:
        survey_responses.record_response(db, campaign=campaign, answers=ikm_answers((3,) * 9),
                                suggestion=text)
    await login(client, "viewer_a1")
    base = f"/units/{world.unit('UNIT-A1')}/surveys/campaigns/{campaign.id}"
    r = await client.get(base + "/export.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    suggestions = {row[-1] for row in rows[1:]}
    # The leading tab is stripped on input (suggestions are trimmed); the rest is prefixed.
    assert suggestions == {"'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)",
                           "cmd", "aman"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[1][rows[0].index("ikm-2017.U1")] == "3"
    r = await client.get(base + "/export.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t"))
                   for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


async def test_create_campaign_from_the_form(client, db, world):
    csrf = await login(client, "coord_a1")
    unit = world.unit("UNIT-A1")
    form = {"csrf_token": csrf, "title": "Survei Semester I 2019",
            "instruments": ["ikm-2017", "spkp"], "period_kind": "semester",
            "period_label": "2019-s1", "opens_on": "2019-01-01", "closes_on": "2019-06-30",
            "population": "1200"}
    bad = {**form, "closes_on": "2018-12-31", "population": "0"}
    r = await client.post(f"/units/{unit}/surveys/campaigns", data=bad)
    assert r.status_code == 422 and "sebelum tanggal buka" in r.text
    assert db.exec(select(func.count()).select_from(SurveyCampaign)).one() == 0
    r = await client.post(f"/units/{unit}/surveys/campaigns", data=form)
    assert r.status_code == 303
    campaign = db.exec(select(SurveyCampaign)).one()
    assert campaign.period_label == "2019-S1" and campaign.population == 1200
    r = await client.get(r.headers["location"])
    assert r.status_code == 200 and "/s/" + campaign.public_code in r.text


def test_demo_surveys_are_deterministic_and_rising(db):
    result = demo.load(db)
    demo.load(db)  # idempotent
    unit_id = result.unit_ids["KPPN-TJP"]
    campaigns = survey_campaigns.list_campaigns(db, unit_id=unit_id)
    assert len(campaigns) == 7 and all(c.is_demo for c in campaigns)
    rows = survey_results.unit_trend(db, unit_id=unit_id, kind="ikm")
    assert [r.period for r in rows] == ["2017-S1", "2017-S2", "2018-S1", "2018-S2",
                                        "2019-S1", "2019-S2"]
    values = [r.result.value for r in rows]
    assert values == sorted(values) and values[0] < values[-1]
    assert all(r.respondents >= survey_results.sample_size(r.campaign.population) for r in rows)


def test_safe_cell_prefixes_every_dangerous_start():
    from app.services.surveys.export import safe_cell

    for text in ("=1+2", "+1", "-1", "@A1", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("ok =1") == "ok =1" and safe_cell(-5) == -5 and safe_cell(3) == 3


def test_survey_pages_are_translated_to_english():
    import re
    from pathlib import Path

    from app.i18n import missing_translations

    root = Path(__file__).resolve().parents[2] / "app"
    texts = [p.read_text() for p in (root / "templates/pages/surveys").glob("*.html")]
    texts.append((root / "web/surveys/pages.py").read_text())
    messages = sorted({m for t in texts for m in re.findall(r'_\(\s*"([^"]+)"\s*\)', t)})
    assert messages and missing_translations("en", messages) == []
