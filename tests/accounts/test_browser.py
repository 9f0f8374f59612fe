"""In real Chromium: sign in as the coordinator, see the dashboard, switch language, sign out."""

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_coordinator_signs_in_switches_language_and_signs_out(
    live_server, browser, world, screenshots
):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server}/units")
    assert "/login" in page.url
    screenshots(page, "login")
    page.fill("#username", "coord_a1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/units")
    page.goto(f"{live_server}/units/{world.unit('UNIT-A1')}")
    assert page.locator("h1").inner_text() == "KPPN A1"
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.get_by_role("button", name="Keluar").is_visible()
    screenshots(page, "dashboard-id")

    page.click("a[hreflang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    screenshots(page, "dashboard-en")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/units/{world.unit('UNIT-A1')}")
    assert "/login" in page.url
    page.close()
