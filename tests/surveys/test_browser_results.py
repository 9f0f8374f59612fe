"""In real Chromium: the coordinator reads the demo survey results and reviews a suspect one."""

import pytest

from app.services import demo
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser


def test_coordinator_reads_results_trend_and_reviews(live_server, browser, db):
    result = demo.load(db)
    unit_id = result.unit_ids["KPPN-TJP"]
    latest = next(c for c in survey_campaigns.list_campaigns(db, unit_id=unit_id)
                  if c.period_label == "2019-S2")
    before = survey_results.campaign_results(db, campaign=latest).respondents

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    page.fill("#username", "koordinator")
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/units/{unit_id}")
    assert page.locator("#survey-panel").is_visible()
    screenshot(page, "surveys-dashboard-panel")
    page.get_by_role("link", name="Survei", exact=True).first.click()
    page.wait_for_load_state()
    screenshot(page, "surveys-overview")
    page.get_by_role("link", name=latest.title).click()
    page.wait_for_load_state()
    assert page.locator("svg.chart").count() >= 3
    assert page.get_by_text("Prioritas perbaikan").count() >= 1
    screenshot(page, "surveys-results")

    page.goto(f"{live_server}/units/{unit_id}/surveys/trend?kind=ikm")
    assert page.locator("svg.chart polyline").count() == 1
    screenshot(page, "surveys-trend")

    page.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{latest.id}/responses?suspect=1")
    screenshot(page, "surveys-responses-suspect")
    page.get_by_role("button", name="Hitung", exact=True).first.click()
    page.wait_for_load_state()
    db.expire_all()
    assert survey_results.campaign_results(db, campaign=latest).respondents == before + 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{latest.id}")
    screenshot(page, "surveys-results-phone")
    page.close()
