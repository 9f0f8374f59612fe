"""In real Chromium at a phone's width, without JavaScript: the public results page of the
demo unit fits the screen, reads in Indonesian and English, and its numbers are the
services' own."""

from __future__ import annotations

import pytest

from app.services import demo
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results
from app.web.surveys.pages import format_id
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "java_script_enabled": False}


def test_a_phone_reads_the_public_results(live_server, browser, db):
    unit_id = demo.load(db).unit_ids["KPPN-TJP"]
    latest = next(c for c in survey_campaigns.list_campaigns(db, unit_id=unit_id)
                  if c.period_label == "2019-S2")
    ikm = survey_results.campaign_results(db, campaign=latest).result("ikm").value

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/hasil/KPPN-TJP")
    assert page.locator("h1").inner_text() == "Hasil survei layanan"
    # The headline is the unit's own results page's IKM of the latest finished period.
    assert page.locator(".res-stat .res-value").first.inner_text().startswith(format_id(ikm))
    assert page.locator("svg.chart").count() == 1
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "public-results-phone")

    page.get_by_role("link", name="EN").click()
    assert page.locator("h1").inner_text() == "Service survey results"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "public-results-phone-en")
    context.close()
