"""In real Chromium: a coordinator registers a WBK innovation and a WBBM innovation built on
it (with its pembeda and before/after impact), adds team members and their commitments, then
sees the dashboard and the ZI journey at desktop and phone width.

The records are entered through the programme's JSON API from the signed-in browser session
(cookie + CSRF header, exactly what the pages' htmx requests send); the dashboard and the
timeline are read as a person sees them.
"""

import pytest

from tests.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", "coord_a1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def api(page, live_server, path, body):
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "zona_csrf")
    return page.request.post(f"{live_server}/api/v1{path}", data=body,
                             headers={"X-CSRF-Token": csrf})


def created(response) -> dict:
    assert response.status == 201, response.text()
    return response.json()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_innovations_team_dashboard_and_timeline(live_server, browser, world):
    unit = world.unit("UNIT-A1")
    context, page = sign_in(browser, live_server, DESKTOP)

    wbk = created(api(page, live_server, f"/units/{unit}/innovations", {
        "title": "Antrean daring SPM", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": "2017-04-03",
        "launched_on": "2017-09-01", "services": ["Penerbitan SP2D"],
        "problem": "Satker menunggu antrean tanpa kepastian.",
        "solution": "Nomor antrean daring dan notifikasi status SPM."}))
    created(api(page, live_server, f"/innovations/{wbk['id']}/impacts", {
        "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "60",
        "before_on": "2017-03-15", "after_value": "25", "after_on": "2018-03-15"}))

    wbbm = {"title": "Layanan tanpa tatap muka", "stage": "penerapan", "phase": "wbbm",
            "change_area": "pelayanan_publik", "started_on": "2019-01-14",
            "launched_on": "2019-04-01", "parent_id": wbk["id"],
            "services": ["Penerbitan SP2D"]}
    refused = api(page, live_server, f"/units/{unit}/innovations", wbbm)
    assert refused.status == 422 and "pembeda" in refused.text()  # the pembeda is required
    wbbm_row = created(api(page, live_server, f"/units/{unit}/innovations", wbbm | {
        "pembeda_what_is_new": "Pengajuan dengan tanda tangan elektronik, tanpa datang.",
        "pembeda_citizen_benefit": "Satker tidak perlu ke kantor; SP2D terbit dalam 10 menit."}))
    created(api(page, live_server, f"/innovations/{wbbm_row['id']}/impacts", {
        "kind": "steps", "measure_unit": "langkah", "before_value": "4",
        "before_on": "2018-12-14", "after_value": "2", "after_on": "2019-09-16"}))

    people = {}
    for name, level in [("Kepala Kantor", "pimpinan"), ("Pelaksana Seksi", "staf"),
                        ("Satpam Pagi", "satpam"), ("Petugas Kebersihan", "cleaning_service")]:
        people[name] = created(api(page, live_server, f"/units/{unit}/team/members",
                                   {"name": name, "level": level}))["id"]
    for name in ("Kepala Kantor", "Pelaksana Seksi", "Satpam Pagi"):
        created(api(page, live_server, f"/units/{unit}/team/pacts",
                    {"member_id": people[name], "signed_on": "2017-02-14"}))
    created(api(page, live_server, f"/units/{unit}/team/activities", {
        "kind": "sosialisasi", "held_on": "2017-02-14", "title": "Sosialisasi ZI",
        "member_ids": list(people.values())}))
    for kind, on in [("pencanangan", "2017-02-14"), ("usulan_wbk", "2018-05-28")]:
        created(api(page, live_server, f"/units/{unit}/milestones",
                    {"kind": kind, "on_date": on, "title": f"{kind} KPPN A1"}))

    # the dashboard
    page.goto(f"{live_server}/units/{unit}")
    innovations_card = page.locator("#dash-innovations")
    assert innovations_card.locator(".kpis .stat").all_inner_texts() == ["2", "1", "1"]
    assert "WBBM yang mengembangkan inovasi WBK: 1" in innovations_card.inner_text()
    team_card = page.locator("#dash-team")
    assert "3 dari 4 orang menandatangani pakta integritas (75%)" in team_card.inner_text()
    assert "4 ikut kegiatan ZI (100%)" in team_card.inner_text()
    cleaning = team_card.locator("tr", has_text="Petugas kebersihan")
    assert cleaning.locator("meter").first.get_attribute("value") == "0"
    assert page.locator("#dash-lke").is_visible()  # reserved for the LKE panel
    screenshot(page, "programme-dashboard-desktop")

    # the journey
    page.get_by_role("link", name="Perjalanan ZI").first.click()
    page.wait_for_url(f"{live_server}/units/{unit}/timeline")
    road = page.locator(".road-step")
    assert road.count() == 5
    assert "is-done" in road.nth(1).get_attribute("class")
    assert "is-next" in road.nth(2).get_attribute("class")
    assert [page.locator(f"#year-{y}").inner_text() for y in (2017, 2018, 2019)] == [
        "2017", "2018", "2019"]
    y2019 = page.locator("#tahun-2019")
    assert "Layanan tanpa tatap muka" in y2019.inner_text()
    assert "Mengembangkan Antrean daring SPM" in y2019.inner_text()
    screenshot(page, "programme-timeline-desktop")
    context.close()

    # the same pages on a phone: one column, nothing wider than the screen
    context, page = sign_in(browser, live_server, PHONE)
    page.goto(f"{live_server}/units/{unit}")
    assert no_sideways_scroll(page)
    assert page.locator("#dash-team meter").first.is_visible()
    screenshot(page, "programme-dashboard-phone")
    page.goto(f"{live_server}/units/{unit}/timeline?lang=en")
    assert no_sideways_scroll(page)
    assert page.locator("h1").inner_text() == "Integrity Zone journey"
    assert "Develops Antrean daring SPM" in page.locator("#tahun-2019").inner_text()
    screenshot(page, "programme-timeline-phone-en")
    context.close()
