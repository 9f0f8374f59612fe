"""In real Chromium, the review half of the LKE flow: the coordinator attaches evidence and
submits; the regional reviewer returns one question; the coordinator fixes it and submits
again; the regional office and the TPI accept; the final worksheet refuses further edits."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models.lke.evidence import Evidence
from tests.factories import PASSWORD
from tests.support.browser import SCREENSHOT_DIR, screenshot
from tests.support.lke_review import PDF, new_assessment

pytestmark = pytest.mark.browser


def _shot(locator, name):
    """A picture of one part of a long page (the full-page ones are very tall)."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    locator.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def _sign_in(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def _open_evidence(page, ref):
    details = page.locator(f"#q-{ref} details.ws-evidence")
    details.locator("summary").click()
    page.wait_for_selector(f"#ev-{ref}")
    return page.locator(f"#ev-{ref}")


def _upload_in_panel(page, ref, name):
    panel = page.locator(f"#ev-{ref}")
    panel.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": PDF}
    )
    panel.locator("button", has_text="Unggah & tautkan").click()
    page.wait_for_selector(f"#ev-{ref} .flash-ok")


def test_return_fix_accept_final(live_server, browser, world, db, settings):
    a = new_assessment(db, world, complete=True)
    ws = f"{live_server}/assessments/{a.id}"

    # -- coordinator: attach evidence to PPA1A, submit
    coord_ctx, coord = _sign_in(browser, live_server, "coord_a1")
    coord.goto(ws)
    _open_evidence(coord, "PPA1A")
    # a file over the limit is stopped in the browser with a clear message, nothing sent
    limit = settings.max_upload_mb * 1024 * 1024
    coord.locator("#ev-PPA1A input[type=file]").set_input_files(
        {"name": "besar.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * limit}
    )
    coord.locator("#ev-PPA1A button", has_text="Unggah & tautkan").click()
    # the message sits in the question's evidence panel, next to the upload, and the form
    # is reset (no file chosen any more)
    expect(coord.locator("#ev-PPA1A .panel-error")).to_contain_text("Berkas terlalu besar")
    assert coord.locator("#ev-PPA1A input[type=file]").evaluate("e => e.files.length") == 0
    _upload_in_panel(coord, "PPA1A", "sk-tim-zi.pdf")
    panel = coord.locator("#ev-PPA1A")
    assert panel.locator("li.covered").count() == 1
    # the oversized file never reached the server: only the second upload is stored
    assert [e.original_name for e in db.exec(select(Evidence)).all()] == ["sk-tim-zi.pdf"]
    assert "sk-tim-zi.pdf" in panel.inner_text()
    assert coord.inner_text("#evs-PPA1A").startswith("1/3")  # the count updated too
    screenshot(coord, "review-1-evidence-attached")
    _shot(coord.locator("#q-PPA1A"), "review-1b-evidence-panel")
    coord.click("#ws-submission")
    coord.wait_for_selector("#submit-assessment")
    assert "Semua pertanyaan sudah dijawab" in coord.content()
    coord.click("#submit-assessment")
    coord.wait_for_selector(".badge-status-submitted")
    screenshot(coord, "review-2-submitted")

    # -- regional reviewer: queue, flag PPA1B with a note and value C, return
    kanwil_ctx, kanwil = _sign_in(browser, live_server, "reviewer_a")
    kanwil.goto(f"{live_server}/units/{world.unit('KANWIL-A')}/reviews")
    assert "KPPN A1" in kanwil.inner_text("main")
    screenshot(kanwil, "review-3-queue")
    kanwil.click(f"a[href='/assessments/{a.id}/review']")
    kanwil.wait_for_selector("#r-PPA1B")
    self_total = kanwil.inner_text("#self-total")
    row = kanwil.locator("#r-PPA1B")
    row.locator("select[name=option]").select_option("C")
    kanwil.wait_for_selector("#r-PPA1B .saved")
    # totals updated without a reload: 1/4 point less than the self-assessment
    assert kanwil.inner_text("#review-total") != self_total
    kanwil.locator("#r-PPA1B textarea[name=note]").fill("Mekanisme pemilihan anggota tim belum ada")
    kanwil.locator("#r-PPA1B input[name=flagged]").check()
    kanwil.wait_for_selector("#rs-PPA1B .badge-err")
    assert "PPA1B" in kanwil.inner_text("#review-decision")
    screenshot(kanwil, "review-4-flagged")
    _shot(kanwil.locator("#review-totals"), "review-4a-totals")
    _shot(kanwil.locator("#r-PPA1B"), "review-4b-flagged-row")
    kanwil.fill("#decision-note", "Lengkapi mekanisme pemilihan tim (PPA1B).")
    kanwil.click("#decide-return")
    kanwil.wait_for_url(f"**/assessments/{a.id}/comparison**")
    assert "dikembalikan" in kanwil.inner_text("main")
    screenshot(kanwil, "review-5-returned-comparison")

    # -- coordinator: sees the flag on the worksheet, fixes PPA1B, submits again
    coord.goto(ws)
    flag = coord.locator("#flag-PPA1B")
    assert "Mekanisme pemilihan anggota tim belum ada" in flag.inner_text()
    coord.locator("#q-PPA1B").scroll_into_view_if_needed()
    screenshot(coord, "review-6-worksheet-flag")
    _shot(coord.locator("#q-PPA1B"), "review-6b-worksheet-flagged-question")
    coord.fill("#q-PPA1B-penjelasan", "Mekanisme pemilihan tim ditetapkan, lihat eviden.")
    coord.locator("#q-PPA1B button", has_text="Simpan").click()
    coord.wait_for_selector("#q-PPA1B .saved")
    _open_evidence(coord, "PPA1B")
    _upload_in_panel(coord, "PPA1B", "mekanisme-pemilihan.pdf")
    coord.goto(f"{live_server}/assessments/{a.id}/submission")
    coord.click("#submit-assessment")
    coord.wait_for_selector(".badge-status-submitted")

    # -- regional: unflag and accept; TPI: accept (final)
    kanwil.goto(f"{live_server}/assessments/{a.id}/review")
    kanwil.locator("#r-PPA1B select[name=option]").select_option("")
    kanwil.wait_for_selector("#r-PPA1B .saved")
    kanwil.locator("#r-PPA1B input[name=flagged]").uncheck()
    expect(kanwil.locator("#rs-PPA1B .badge-err")).to_have_count(0)
    kanwil.click("#decide-accept")
    kanwil.wait_for_url(f"**/assessments/{a.id}/comparison**")

    tpi_ctx, tpi = _sign_in(browser, live_server, "tpi")
    tpi.goto(f"{live_server}/units/{world.unit('ES1')}/reviews")
    tpi.click(f"a[href='/assessments/{a.id}/review']")
    tpi.wait_for_selector("#decide-accept")
    tpi.click("#decide-accept")
    tpi.wait_for_url(f"**/assessments/{a.id}/comparison**")
    assert "final dan terkunci" in tpi.inner_text("main")
    screenshot(tpi, "review-7-final-comparison")

    # -- coordinator: the worksheet is locked and a further edit is refused
    coord.goto(ws)
    assert coord.locator("#q-PPA1A-penjelasan").is_disabled()
    assert "terkunci" in coord.inner_text("main")
    _open_evidence(coord, "PPA1A")
    assert coord.locator("#ev-PPA1A form").count() == 0  # no attach/detach when final
    _shot(coord.locator("header.page-head"), "review-8a-worksheet-locked-head")
    _shot(coord.locator("#q-PPA1A"), "review-8b-final-question")
    csrf = json.loads(coord.get_attribute("body", "hx-headers"))["X-CSRF-Token"]
    refused = coord.request.post(
        f"{ws}/answers/PPA1A", form={"option": "Tidak"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert refused.status == 409
    assert "final" in refused.text()
    coord.goto(f"{live_server}/assessments/{a.id}/submission")
    screenshot(coord, "review-8-final-locked")
    for context in (coord_ctx, kanwil_ctx, tpi_ctx):
        context.close()
