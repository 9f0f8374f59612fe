"""In real Chromium at desktop and phone width: the bell with its count in the header, the
inbox, the preferences, the unit's calendar with its countdown and the calendar form.
No page scrolls sideways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.season import calendar as cal
from app.services.lke import assessments, frameworks
from app.services.season import calendar as season_calendar
from app.services.season import notify
from tests.factories import PASSWORD, principal
from tests.support.browser import SCREENSHOT_DIR

pytestmark = pytest.mark.browser

# The page never scrolls sideways (a wide table scrolls inside its own .table-wrap).
WIDER_THAN_VIEWPORT = """() => document.documentElement.scrollWidth
  > document.documentElement.clientWidth ? [document.documentElement.scrollWidth] : []"""


def _data(db, world):
    today = season_calendar.local_today("Asia/Jakarta")  # the unit's day, as the pages count
    season_calendar.set_calendar(db, actor=None, unit_id=None, year=today.year, dues={
        cal.SELF_ASSESSMENT: today - timedelta(days=3),
        cal.REGIONAL_REVIEW: today + timedelta(days=5),
        cal.TPI_REVIEW: today + timedelta(days=40), cal.NATIONAL_PROPOSAL: None},
        survey_periods=[cal.SurveyPeriod(f"{today.year}-S1", date(today.year, 1, 1),
                                         date(today.year, 6, 30))])
    unit = world.unit("UNIT-A1")
    frameworks.sync_bundled(db)
    assessments.create(db, actor=None, unit_id=unit, year=today.year, target="WBK")
    coord = [world.users["coord_a1"]]
    notify.notify(db, kind="assessment_returned", user_ids=coord, unit_id=unit,
                  link=f"/units/{unit}", params={
                      "unit": "KPPN A1", "year": today.year, "level": "regional",
                      "actor": "reviewer_a", "total": "71,25",
                      "note": "Lengkapi eviden SK tim dan notulen rapat."})
    notify.notify(db, kind="question_flagged", user_ids=coord, unit_id=unit,
                  link=f"/units/{unit}", params={"unit": "KPPN A1", "year": today.year,
                                                 "level": "regional", "count": 2,
                                                 "refs": "PPA1A, PPA2B"})
    notify.notify(db, kind="deadline", user_ids=coord, unit_id=unit,
                  link=f"/units/{unit}/calendar", params={
                      "unit": "KPPN A1", "step": "self_assessment", "year": today.year,
                      "due": "31-03-2026", "days_left": -3})
    db.commit()
    return unit


@pytest.mark.parametrize("width", [1280, 390])
def test_season_pages(live_server, browser, world, db, screenshots, width):
    unit = _data(db, world)
    assert principal(db, world, "coord_a1") is not None
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{live_server}/login")
    page.fill("#username", "coord_a1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/units/{unit}")
    page.wait_for_selector(".bell-count")
    assert page.locator(".bell-count").inner_text() == "3"
    assert "terlambat 3 hari" in page.locator("#dash-season").inner_text()
    screenshots(page, f"season-dashboard-{width}")
    assert page.evaluate(WIDER_THAN_VIEWPORT) == []

    page.click("#bell")
    page.wait_for_url(f"{live_server}/notifications")
    assert "3 belum dibaca" in page.locator("main").inner_text()
    screenshots(page, f"season-inbox-{width}")
    assert page.evaluate(WIDER_THAN_VIEWPORT) == []
    page.get_by_role("button", name="KPPN A1: 2 pertanyaan LKE").click()
    page.wait_for_url(f"{live_server}/units/{unit}")
    page.wait_for_selector(".bell-count")
    assert page.locator(".bell-count").inner_text() == "2"

    page.goto(f"{live_server}/notifications/preferences")
    page.check("input[name=mode_deadline][value=digest]")
    page.get_by_role("button", name="Simpan pilihan").click()
    page.wait_for_load_state()
    assert "Pilihan tersimpan." in page.locator("main").inner_text()
    assert page.is_checked("input[name=mode_deadline][value=digest]")
    screenshots(page, f"season-preferences-{width}")
    assert page.evaluate(WIDER_THAN_VIEWPORT) == []

    page.goto(f"{live_server}/units/{unit}/assessments")
    page.get_by_role("link", name=str(season_calendar.local_today("Asia/Jakarta").year)).first.click()
    page.wait_for_load_state()
    strip = page.locator(".season-due").inner_text()
    assert "Tenggat berikutnya" in strip and "terlambat 3 hari" in strip
    SCREENSHOT_DIR.mkdir(exist_ok=True)  # the worksheet's head (the page is very long)
    page.locator("header.ws-head").screenshot(
        path=str(SCREENSHOT_DIR / f"season-worksheet-{width}.png"))

    page.goto(f"{live_server}/units/{unit}/calendar")
    text = page.locator("main").inner_text()
    assert "terlambat 3 hari" in text and "5 hari lagi" in text and "40 hari lagi" in text
    screenshots(page, f"season-unit-calendar-{width}")
    assert page.evaluate(WIDER_THAN_VIEWPORT) == []
    page.close()

    admin = browser.new_page(viewport={"width": width, "height": 900})
    admin.goto(f"{live_server}/login")
    admin.fill("#username", "admin")
    admin.fill("#password", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_load_state()
    admin.goto(f"{live_server}/calendar")
    assert "Atur: Seluruh unit (semua kantor)" in admin.locator("main").inner_text()
    screenshots(admin, f"season-calendar-{width}")
    assert admin.evaluate(WIDER_THAN_VIEWPORT) == []
    admin.close()

    kanwil = browser.new_page(viewport={"width": width, "height": 900})
    kanwil.goto(f"{live_server}/login")
    kanwil.fill("#username", "reviewer_a")
    kanwil.fill("#password", PASSWORD)
    kanwil.click("button[type=submit]")
    kanwil.wait_for_load_state()
    kanwil.goto(f"{live_server}/oversight")
    row = kanwil.locator("tr", has_text="KPPN A1").inner_text()
    assert "Penilaian mandiri (LKE) diajukan" in row and "terlambat 3 hari" in row
    screenshots(kanwil, f"season-oversight-{width}")
    assert kanwil.evaluate(WIDER_THAN_VIEWPORT) == []
    kanwil.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_evidence_validity_and_the_bell_without_javascript(live_server, browser, world, db,
                                                          screenshots, width):
    """The evidence library with its "valid until" column (expired marked), at both widths,
    in a browser with JavaScript off: the bell still shows its count."""
    from app.models.lke.evidence import Evidence

    unit = _data(db, world)
    today = season_calendar.local_today("Asia/Jakarta")
    db.add_all([
        Evidence(unit_id=unit, kind="link", title="Sertifikat ISO 9001 kantor",
                 url="https://kppn.go.id/iso.pdf", uploaded_by_label="Coord_A1",
                 valid_until=today - timedelta(days=2)),
        Evidence(unit_id=unit, kind="link", title="SK Tim Pembangunan ZI",
                 url="https://kppn.go.id/sk.pdf", uploaded_by_label="Coord_A1",
                 valid_until=today + timedelta(days=200)),
    ])
    db.commit()
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", "coord_a1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/units/{unit}/evidence")
    assert page.locator("#bell .bell-count").inner_text() == "3"
    expired = page.locator("tr", has_text="Sertifikat ISO 9001").inner_text()
    assert "kedaluwarsa" in expired
    assert "kedaluwarsa" not in page.locator("tr", has_text="SK Tim Pembangunan").inner_text()
    # Renewed without JavaScript: the plain form posts and the page comes back unmarked.
    row = page.locator("tr", has_text="Sertifikat ISO 9001")
    row.locator("input[type=date]").fill((today + timedelta(days=365)).isoformat())
    row.get_by_role("button", name="Ubah").click()
    page.wait_for_load_state()
    assert "kedaluwarsa" not in page.locator("#evidence-list").inner_text()
    page.locator("tr", has_text="Sertifikat ISO 9001").locator("input[type=date]").fill(
        (today - timedelta(days=2)).isoformat())
    page.locator("tr", has_text="Sertifikat ISO 9001").get_by_role("button", name="Ubah").click()
    page.wait_for_load_state()
    screenshots(page, f"season-evidence-validity-{width}")
    assert page.evaluate(WIDER_THAN_VIEWPORT) == []
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_national_proposal_shows_done_when_final(live_server, browser, world, db,
                                                     screenshots, width):
    today = season_calendar.local_today("Asia/Jakarta")
    season_calendar.set_calendar(db, actor=None, unit_id=None, year=today.year, dues={
        cal.NATIONAL_PROPOSAL: today + timedelta(days=10)})
    frameworks.sync_bundled(db)
    a = assessments.create(db, actor=None, unit_id=world.unit("UNIT-A1"), year=today.year,
                           target="WBK")
    a.status = "final"  # the TPI accepted it
    db.add(a)
    db.commit()
    for username, path, shot in (("coord_a1", f"/units/{world.unit('UNIT-A1')}", "dashboard"),
                                 ("tpi", "/oversight", "oversight")):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{live_server}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}{path}")
        where = "#dash-season" if shot == "dashboard" else "tr:has-text('KPPN A1')"
        text = page.locator(where).first.inner_text()
        assert "Usulan ke Tim Penilai Nasional" in text and "selesai" in text
        if shot == "oversight":
            other = page.locator("tr", has_text="KPPN A2").inner_text()
            assert "10 hari lagi" in other
        screenshots(page, f"season-proposal-{shot}-{width}")
        assert page.evaluate(WIDER_THAN_VIEWPORT) == []
        page.close()
