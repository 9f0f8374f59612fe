"""In real Chromium: a coordinator registers a WBK innovation and a WBBM innovation built on
it (with its pembeda and before/after impact), adds team members and their commitments, then
sees the dashboard and the ZI journey at desktop and phone width.

Innovations, impacts, team members, pacts and the activity are entered through the
programme's forms; the two milestones through the JSON API from the same signed-in session
(cookie + CSRF header). The dashboard and the timeline are read as a person sees them.
"""

import json

import pytest

from tests.factories import PASSWORD
from tests.support.browser import screenshot

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
    csrf = json.loads(page.get_attribute("body", "hx-headers"))["X-CSRF-Token"]
    return page.request.post(f"{live_server}/api/v1{path}", data=body,
                             headers={"X-CSRF-Token": csrf})


def created(response) -> dict:
    assert response.status == 201, response.text()
    return response.json()


def submit(page, button) -> None:
    """Click a plain form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_innovations_team_dashboard_and_timeline(live_server, browser, world):
    unit = world.unit("UNIT-A1")
    context, page = sign_in(browser, live_server, DESKTOP)

    def register_innovation(fields, *, pembeda=None, parent=None):
        page.goto(f"{live_server}/units/{unit}/innovations")
        form = page.locator("details.addform", has_text="Daftarkan inovasi")
        form.locator("summary").click()
        page.fill("#f-title", fields["title"])
        page.select_option("#f-phase", fields["phase"])
        page.select_option("#f-stage", fields["stage"])
        page.select_option("#f-change_area", "pelayanan_publik")
        page.fill("#f-started", fields["started_on"])
        page.fill("#f-launched", fields["launched_on"])
        page.fill("#f-services", "Penerbitan SP2D")
        if parent:
            page.select_option("#f-parent", label=parent)
        if pembeda:
            page.fill("#f-pb-new", pembeda[0])
            page.fill("#f-pb-benefit", pembeda[1])
        submit(page, form.locator("button[type=submit]"))

    def add_impact(kind, unit_name, before, before_on, after, after_on):
        page.locator("details", has_text="Tambah ukuran dampak").locator("summary").click()
        page.select_option("#i-kind", kind)
        page.fill("#i-unit", unit_name)
        page.fill("#i-bv", before)
        page.fill("#i-bo", before_on)
        page.fill("#i-av", after)
        page.fill("#i-ao", after_on)
        submit(page, page.locator("form[action$='/impacts'] button[type=submit]"))

    register_innovation({"title": "Antrean daring SPM", "phase": "wbk", "stage": "penerapan",
                         "started_on": "2017-04-03", "launched_on": "2017-09-01"})
    assert page.locator("h1").inner_text().startswith("Antrean daring SPM")
    add_impact("service_time_minutes", "menit", "60", "2017-03-15", "25", "2018-03-15")

    wbbm = {"title": "Layanan tanpa tatap muka", "phase": "wbbm", "stage": "penerapan",
            "started_on": "2019-01-14", "launched_on": "2019-04-01"}
    parent_label = "Antrean daring SPM (WBK, 03-04-2017)"
    register_innovation(wbbm, parent=parent_label)  # without its pembeda: refused, kept
    assert "pembeda" in page.locator(".flash-error, .problems").first.inner_text().lower()
    assert page.locator("#f-title").input_value() == "Layanan tanpa tatap muka"
    register_innovation(wbbm, parent=parent_label, pembeda=(
        "Pengajuan dengan tanda tangan elektronik, tanpa datang.",
        "Satker tidak perlu ke kantor; SP2D terbit dalam 10 menit."))
    assert page.locator("h1").inner_text().startswith("Layanan tanpa tatap muka")
    add_impact("steps", "langkah", "4", "2018-12-14", "2", "2019-09-16")

    page.goto(f"{live_server}/units/{unit}/team")
    for name, level in [("Kepala Kantor", "pimpinan"), ("Pelaksana Seksi", "staf"),
                        ("Satpam Pagi", "satpam"), ("Petugas Kebersihan", "cleaning_service")]:
        page.fill("#mb-name", name)
        page.select_option("#mb-level", level)
        submit(page, page.locator("form[action$='/team/members'] button[type=submit]"))
    for name in ("Kepala Kantor", "Pelaksana Seksi", "Satpam Pagi"):
        option = page.locator("#pk-member option", has_text=name).get_attribute("value")
        page.select_option("#pk-member", option)
        page.fill("#pk-date", "2017-02-14")
        submit(page, page.locator("form[action$='/team/pacts'] button[type=submit]"))
    page.fill("#ac-title", "Sosialisasi ZI")
    page.select_option("#ac-kind", "sosialisasi")
    page.fill("#ac-date", "2017-02-14")
    for box in page.locator("form[action$='/team/activities'] input[name=member_ids]").all():
        box.check()
    submit(page, page.locator("form[action$='/team/activities'] button[type=submit]"))

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
