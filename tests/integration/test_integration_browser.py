"""In real Chromium: the coordinator closes a survey, finds the Hasil filled on the worksheet
with the campaign as its source, applies PPF4A; then applies innovation suggestions."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from app.services.lke import answers, assessments
from app.services.programme import innovations
from app.services.surveys import catalogue as survey_catalogue
from tests.factories import PASSWORD
from tests.support.browser import SCREENSHOT_DIR
from tests.support.survey_responses import respond

pytestmark = pytest.mark.browser


def test_close_survey_fill_hasil_and_apply_innovations(live_server, browser, db, world,
                                                       framework_row, make_campaign):
    unit = world.unit("UNIT-A1")
    a = assessments.create(db, actor=None, unit_id=unit, year=2019, target="WBK")
    campaign = make_campaign("2019-S1", opens_on=date(2019, 1, 1), closes_on=date(2099, 1, 1))
    respond(db, campaign, ikm=(3,) * 9, spkp=(4,) * 8, spak=(3,) * 5)
    respond(db, campaign, ikm=(3,) * 9, spkp=(3,) * 8, spak=(3,) * 5)  # IPKP 3.5, IPAK 3
    survey_catalogue.create_service(db, actor=None, unit_id=unit, code="sp2d", name="Pencairan dana")
    innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "Antrian daring", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2018, 1, 2),
        "launched_on": date(2018, 7, 1), "services": ["SP2D"],
        "differs_from_other_units": True, "brings_service_closer": True})

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    page.fill("#username", "coord_a1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server}/units/{unit}/surveys/campaigns/{campaign.id}")
    expect(page.locator("#campaign-lke")).to_contain_text("masih berjalan")
    # closing asks first: the sample against its minimum and the LKE answers it fills
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("form[action$='/status'] button").first.click()
    page.wait_for_load_state()
    assert "minimum" in asked[0] and "HPA1A, HBA1A" in asked[0]
    expect(page.locator("#campaign-lke")).to_contain_text("HPA1A")

    page.goto(f"{live_server}/assessments/{a.id}#hasil-survei")
    panel = page.locator("#hasil-survei")
    expect(panel.locator("#hasil-HPA1A")).to_contain_text("3,50")
    expect(panel.locator("#hasil-HBA1A")).to_contain_text("sesuai survei")
    # HPA1A 3.5/4 x 17.5 = 15.3125 and HBA1A 3/4 x 17.5 = 13.125: total 28.4375 -> 28,44
    expect(page.locator("#ws-total")).to_have_text("28,44")
    page.get_by_role("button", name="Terapkan PPF4A = D").click()
    page.wait_for_load_state()
    expect(page.locator("#hasil-survei")).to_contain_text("sudah diterapkan")
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    page.locator("#hasil-survei").screenshot(path=str(SCREENSHOT_DIR / "integration-hasil.png"))
    page.locator("#area-HPA > summary").click()
    expect(page.locator("#src-HPA1A a")).to_contain_text("Survei 2019-S1")

    page.goto(f"{live_server}/units/{unit}/innovations")
    page.get_by_role("button", name="Terapkan ke LKE").click()
    page.wait_for_load_state()
    expect(page.locator("#applied")).to_contain_text("Antrian daring")
    assert answers.answers_of(db, assessment_id=a.id)["PPF2F"].option == "B"
