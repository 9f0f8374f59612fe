"""In real Chromium: the coordinator fills the worksheet in two areas, sees the sub-indicator,
area and total change without a reload, meets an inline error, and runs the gap planner."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser


def _sign_in(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("#username", "coord_a1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_coordinator_fills_worksheet_and_plans(live_server, browser, world, framework_row):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server)
    unit = world.unit("UNIT-A1")
    page.goto(f"{live_server}/units/{unit}")
    page.get_by_role("link", name="LKE ZI").first.click()
    page.wait_for_url(f"{live_server}/units/{unit}/assessments")
    page.fill("#new-year", "2024")
    page.select_option("#new-target", "WBK")
    page.get_by_role("button", name="Buat lembar kerja").click()
    page.wait_for_url("**/assessments/*")
    assert page.locator("#ws-total").inner_text() == "0,00"
    page.evaluate("window.__noReload = true")

    # Area PPA (open by default): PPA1A Ya. PPA1 weighs 0.50 over 2 questions -> 0.25.
    page.locator("label[for=q-PPA1A-Ya]").click()
    expect(page.locator("#ws-total")).to_have_text("0,25")
    assert page.locator("#score-PPA1 strong").inner_text() == "0,25"
    assert page.locator("#score-PPA strong").inner_text() == "0,25"
    assert page.locator("#ws-answered").inner_text() == "1"
    assert page.locator("#q-PPA1A .saved").is_visible()

    # Area PRA: 3 changes made by 4 agents = 75 % of 1.00 (PRA1 2.00 over 2 questions).
    page.locator("#area-PRA > summary").click()
    page.fill("#q-PRA1A-in-change_agents", "4")
    page.fill("#q-PRA1A-in-changes_made", "3")
    page.locator("#q-PRA1A-penjelasan").click()  # leaving the field fires "change"
    expect(page.locator("#ws-total")).to_have_text("1,00")
    assert "75,00%" in page.locator("#q-PRA1A .ws-ratio").inner_text()
    assert page.locator("#score-PRA strong").inner_text() == "0,75"
    assert page.locator("#score-PR strong").inner_text() == "0,75"
    assert page.locator("#nav-PRA .nav-score").inner_text() == "0,75"
    screenshot(page, "lke-worksheet-answered")

    # LHKPN: 10 reported of 9 who must report -> refused inline, nothing changes.
    page.locator("#area-PRE > summary").click()
    for key, value in (("must_head_of_unit", "1"), ("must_lhkpn_officials", "3"),
                       ("must_others", "5"), ("reported", "10")):
        page.fill(f"#q-PRE3A-in-{key}", value)
    page.locator("#q-PRE3A-penjelasan").click()
    page.wait_for_selector("#q-PRE3A.has-error")
    assert "tidak boleh melebihi" in page.locator("#q-PRE3A .flash-error").inner_text() or \
        "10 > 9" in page.locator("#q-PRE3A .flash-error").inner_text()
    assert page.locator("#q-PRE3A-in-reported").input_value() == "10"  # kept for fixing
    assert page.locator("#ws-total").inner_text() == "1,00"
    screenshot(page, "lke-worksheet-error")
    assert page.evaluate("window.__noReload === true")  # all of it without a page load

    # Gap planner: what-if PPA1B = A adds 0.25 -> 1.25, not saved.
    page.get_by_role("link", name="Predikat & rencana perbaikan").click()
    page.wait_for_url("**/gaps")
    assert page.locator("table.gaps tr.blocker").count() > 0  # every area is under its minimum
    page.select_option("#wi-PPA1B", "A")
    page.get_by_role("button", name="Hitung simulasi").click()
    page.wait_for_selector("#whatif-total")
    assert page.locator("#whatif-total").inner_text() == "1,25"
    screenshot(page, "lke-gaps-whatif")
    page.go_back()
    page.reload()
    assert page.locator("#ws-total").inner_text() == "1,00"  # the what-if stored nothing

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    _sign_in(phone, live_server)
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.locator("label[for=q-PPA1B-B]").click()
    expect(phone.locator("#ws-total")).to_have_text("1,13")
    screenshot(phone, "lke-worksheet-phone")
    page.close()
    phone.close()
