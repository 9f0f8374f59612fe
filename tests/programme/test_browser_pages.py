"""The programme pages in Chromium: register an innovation through the form, filter with htmx,
see a refusal keep what was typed, see the commitment meters; no CSP violations."""

import pytest

from app.services.programme import innovations, team
from tests.factories import PASSWORD
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser


def test_register_and_refuse_in_browser(live_server, browser, db, world):
    unit = world.unit("UNIT-A1")
    wbk = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "SP2D drive-thru", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": "2017-03-01"})
    for name, level in (("Kepala", "pimpinan"), ("Satpam 1", "satpam"), ("Satpam 2", "satpam"),
                        ("Satpam 3", "satpam")):
        m = team.create_member(db, actor=None, unit_id=unit, data={"name": name, "level": level})
        if name != "Satpam 3":
            team.create_pact(db, actor=None, unit_id=unit,
                             data={"member_id": m.id, "signed_on": "2017-01-20"})
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "member_a1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/units/{unit}/innovations")
    page.click("main summary")
    page.fill("#f-title", "SP2D antar")
    page.select_option("#f-phase", "wbbm")
    page.select_option("#f-stage", "penerapan")
    page.fill("#f-started", "2018-03-01")
    page.select_option("#f-parent", str(wbk.id))
    page.click("text=Simpan inovasi")
    page.wait_for_selector(".flash-error")
    assert "pembeda" in page.inner_text(".flash-error")
    assert page.input_value("#f-title") == "SP2D antar"
    screenshot(page, "programme-innovation-refused")
    page.fill("#f-pb-new", "SP2D diantar ke satker")
    page.fill("#f-pb-benefit", "Bendahara tidak perlu datang ke kantor")
    page.click("text=Simpan inovasi")
    page.wait_for_selector("ol.lineage")
    assert "SP2D drive-thru" in page.inner_text("ol.lineage")
    screenshot(page, "programme-innovation-detail")
    page.goto(f"{live_server}/units/{unit}/innovations")
    page.select_option("#q-phase", "wbbm")  # htmx swaps the table only
    page.locator("#innovation-table a", has_text="SP2D drive-thru").wait_for(state="detached")
    assert "SP2D antar" in page.inner_text("#innovation-table")
    page.goto(f"{live_server}/units/{unit}/team")
    row = page.locator("table.commitment tr", has_text="Satpam").first.inner_text()
    assert "66,67%" in row
    screenshot(page, "programme-team")
    assert not [e for e in errors if "Content Security Policy" in e], errors
