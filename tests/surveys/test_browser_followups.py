"""In real Chromium at 1280 and 390 px: the coordinator follows up the demo's weakest element,
marks it done, sees it improve in the next period, and downloads the SKM report."""

import pytest
from sqlmodel import select

from app.models.surveys.followups import SurveyFollowup
from app.services import demo
from app.services.surveys import campaigns as survey_campaigns
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.slow
def test_coordinator_plans_follow_up_and_downloads_report(live_server, browser, db):
    result = demo.load(db)
    unit_id = result.unit_ids["KPPN-TJP"]
    first = next(c for c in survey_campaigns.list_campaigns(db, unit_id=unit_id)
                 if c.period_label == "2019-S1")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    page.fill("#username", "koordinator")
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{first.id}")
    page.get_by_role("link", name="Rencana tindak lanjut").click()
    page.wait_for_load_state()
    # The demo's plan for 2019-S1 is done, and the next period (2019-S2) measured it.
    assert page.get_by_text("membaik").count() >= 1
    page.fill("#f-action", "Survei kepuasan di loket setiap bulan")
    page.fill("#f-owner", "Kepala Seksi Bank")
    page.select_option("#f-status", "selesai")
    page.get_by_role("button", name="Simpan", exact=True).last.click()
    page.wait_for_load_state()
    assert page.get_by_text("Survei kepuasan di loket setiap bulan").is_visible()
    db.expire_all()
    assert db.exec(select(SurveyFollowup).where(
        SurveyFollowup.action == "Survei kepuasan di loket setiap bulan")).one()
    screenshot(page, "surveys-followups")
    with page.expect_download() as download:
        page.get_by_role("link", name="Laporan SKM (PDF)").click()
    assert download.value.suggested_filename.endswith("2019-S1.pdf")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "surveys-followups-phone")
    page.close()
