"""Closing a survey whose sample is below its minimum asks first (with and without
JavaScript: the button's confirm text and the server's confirmation step say the same), and
the worksheet item and the dashboard headline show the sample. Population 100 gives a
Krejcie-Morgan minimum of 80 respondents (the table value); 3 answered."""

from __future__ import annotations

import html
import re
from datetime import date

from app.models.surveys.records import SurveyCampaign
from app.services.lke import answers, assessments
from tests.factories import login
from tests.support.survey_responses import respond


async def test_close_below_minimum_sample_asks_then_fills(client, db, world, framework_row,
                                                          make_campaign):
    unit = world.unit("UNIT-A1")
    a = assessments.create(db, actor=None, unit_id=unit, year=2019, target="WBK")
    campaign = make_campaign("2019-S1", instruments=("spkp",), opens_on=date(2019, 1, 1),
                             closes_on=date(2099, 1, 1))
    for _ in range(3):
        respond(db, campaign, spkp=(4,) * 8)
    csrf = await login(client, "coord_a1")

    page = await client.get(f"/units/{unit}/surveys/campaigns/{campaign.id}")
    button = re.search(r'<button[^>]*id="close-campaign"[^>]*>', page.text).group(0)
    question = html.unescape(re.search(r'data-confirm="([^"]*)"', button).group(1))
    assert "Sampel belum mencapai jumlah minimum: 3 dari 80 responden" in question
    assert "HPA1A" in question

    url = f"/units/{unit}/surveys/campaigns/{campaign.id}/status"
    asked = await client.post(url, data={"csrf_token": csrf, "status": "closed"})
    assert asked.status_code == 200
    text = html.unescape(asked.text)
    assert "Sampel belum mencapai jumlah minimum: 3 dari 80 responden" in text
    assert "Jawaban LKE 2019 HPA1A akan diisi dari hasil survei ini." in text
    assert "Tutup walau sampel kurang" in text
    db.expire_all()
    assert db.get(SurveyCampaign, campaign.id).status != "closed"
    assert "HPA1A" not in answers.answers_of(db, assessment_id=a.id)

    done = await client.post(url, data={"csrf_token": csrf, "status": "closed",
                                        "confirmed": "1"})
    assert done.status_code == 303
    db.expire_all()
    assert db.get(SurveyCampaign, campaign.id).status == "closed"
    assert answers.answers_of(db, assessment_id=a.id)["HPA1A"].index_value == "4"

    # the worksheet item and the dashboard headline say the index rests on too few answers
    sheet = html.unescape((await client.get(f"/assessments/{a.id}")).text)
    assert "sampel 3 dari minimal 80 responden" in sheet
    assert 'id="sample-short-HPA1A"' in sheet
    board = html.unescape((await client.get(f"/units/{unit}")).text)
    short = re.search(r'id="sample-short-spkp">([^<]*)<', board).group(1)
    assert short == "sampel kurang: 3 dari minimal 80 responden"


async def test_reopening_asks_nothing(client, db, world, framework_row, make_campaign):
    unit = world.unit("UNIT-A1")
    campaign = make_campaign("2019-S1", instruments=("spkp",), opens_on=date(2019, 1, 1),
                             closes_on=date(2099, 1, 1))
    csrf = await login(client, "coord_a1")
    url = f"/units/{unit}/surveys/campaigns/{campaign.id}/status"
    assert (await client.post(url, data={"csrf_token": csrf, "status": "closed",
                                         "confirmed": "1"})).status_code == 303
    reopened = await client.post(url, data={"csrf_token": csrf, "status": "open"})
    assert reopened.status_code == 303
    db.expire_all()
    assert db.get(SurveyCampaign, campaign.id).status == "open"
