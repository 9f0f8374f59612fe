"""In real Chromium, the whole review cycle with its confirmations, once with JavaScript
(the browser's confirm dialog, cancelled once) and once without (the server's confirmation
step): submit -> Kanwil returns -> resubmit -> Kanwil accepts -> TPI accepts (final). Also:
the review page by area with its filters and progress, the reviewer landing on the queue,
oversight in the menu, and a final assessment opening read-only instead of a 409."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models.lke.assessments import Assessment
from tests.factories import PASSWORD
from tests.support.browser import SCREENSHOT_DIR, screenshot
from tests.support.lke_review import new_assessment

pytestmark = pytest.mark.browser


def _sign_in(browser, live_server, username, *, js=True, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  java_script_enabled=js)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def _status(db, assessment_id) -> str:
    db.expire_all()
    return db.get(Assessment, assessment_id).status


def _confirm_step(page, expected: str):
    """No JavaScript: the server's confirmation page; check what it says, then confirm."""
    page.wait_for_selector("#confirm-step")
    assert expected in page.inner_text("#confirm-step")
    page.click("#confirm-yes")
    page.wait_for_load_state()


def test_cycle_with_javascript(live_server, browser, world, db):
    a = new_assessment(db, world, complete=True)
    coord_ctx, coord = _sign_in(browser, live_server, "coord_a1")
    coord.goto(f"{live_server}/assessments/{a.id}/submission")
    # the missing-evidence warning lists questions with their text, linked to the worksheet
    warning = coord.locator("#evidence-warning")
    expect(warning).to_contain_text("belum punya eviden")
    first = warning.locator("a").first
    assert re.search(rf"/assessments/{a.id}#q-\w+", first.get_attribute("href"))
    assert "eviden yang diharapkan tercakup" in coord.inner_text("#evidence-coverage").lower()
    coord.click("#submit-assessment")
    coord.wait_for_selector(".badge-status-submitted")

    # the reviewer signs in and lands on its queue; oversight is in the menu
    kanwil_ctx, kanwil = _sign_in(browser, live_server, "reviewer_a")
    assert kanwil.url.endswith(f"/units/{world.unit('KANWIL-A')}/reviews")
    assert kanwil.locator("#nav-oversight").count() == 1
    assert kanwil.locator("#nav-oversight").get_attribute("href") == "/oversight"
    kanwil.click(f"a[href='/assessments/{a.id}/review']")
    kanwil.wait_for_selector("#r-PPA1B")
    # one area per page: the first area's questions only, and a tab per area
    area = kanwil.locator(".area-tab[aria-current]").get_attribute("id").removeprefix("area-")
    assert "PPA1B".startswith(area) or kanwil.locator("#r-PPA1B").count() == 1
    tabs = kanwil.locator(".area-tab").count()
    assert tabs > 3
    rows_in_area = kanwil.locator("article.review-row").count()
    assert 0 < rows_in_area < 40
    progress_before = kanwil.inner_text(f"#area-{area} .area-progress")
    assert progress_before.startswith(f"0/{rows_in_area}")

    row = kanwil.locator("#r-PPA1B")
    row.locator("select[name=option]").select_option("C")
    kanwil.wait_for_selector("#r-PPA1B .saved")
    row.locator("textarea[name=note]").fill("Mekanisme pemilihan anggota tim belum ada")
    row.locator("input[name=flagged]").check()
    kanwil.wait_for_selector("#rs-PPA1B .badge-err")
    # the area's progress counts the question as reviewed (out-of-band swap)
    expect(kanwil.locator(f"#area-{area} .area-progress")).to_contain_text(
        f"1/{rows_in_area} diperiksa 1 ditandai 1 berbeda")

    # "checked" on a question the reviewer agrees with (JavaScript on: a plain post too)
    kanwil.click("#check-PPA1A")
    kanwil.wait_for_selector("#rs-PPA1A .badge-ok")
    expect(kanwil.locator(f"#area-{area} .area-progress")).to_contain_text(
        f"2/{rows_in_area} diperiksa")
    rows_in_area_unreviewed = rows_in_area - 2

    # filters
    kanwil.click("#filter-flagged")
    kanwil.wait_for_load_state()
    assert kanwil.locator("article.review-row").count() == 1
    assert kanwil.locator("#r-PPA1B").count() == 1
    kanwil.click("#filter-differs")
    kanwil.wait_for_load_state()
    assert [r.get_attribute("id") for r in kanwil.locator("article.review-row").all()] == [
        "r-PPA1B"]
    kanwil.click("#filter-unreviewed")
    kanwil.wait_for_load_state()
    assert kanwil.locator("#r-PPA1B").count() == 0
    assert kanwil.locator("article.review-row").count() == rows_in_area_unreviewed
    kanwil.click("#filter-no_evidence")
    kanwil.wait_for_load_state()
    assert kanwil.locator("article.review-row").count() == rows_in_area  # none has evidence
    kanwil.click("#filter-all")
    kanwil.wait_for_load_state()
    screenshot(kanwil, "review-flow-1280")
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    kanwil.screenshot(path=str(SCREENSHOT_DIR / "review-flow-1280-top.png"))
    kanwil.locator("article.review-row").nth(2).screenshot(
        path=str(SCREENSHOT_DIR / "review-flow-1280-row.png"))

    # return: the confirm dialog says what happens; cancelled once, nothing changes
    seen = []

    def dismiss(dialog):
        seen.append(dialog.message)
        dialog.dismiss()

    kanwil.once("dialog", dismiss)
    kanwil.fill("#decision-note", "Lengkapi mekanisme pemilihan tim (PPA1B).")
    kanwil.click("#decide-return")
    kanwil.wait_for_timeout(300)
    assert seen and "dikembalikan ke unit" in seen[0]
    assert _status(db, a.id) == "submitted"
    kanwil.once("dialog", lambda dialog: dialog.accept())
    kanwil.click("#decide-return")
    expect(kanwil).to_have_url(re.compile(rf"/assessments/{a.id}/comparison"))
    assert _status(db, a.id) == "returned"

    # the unit resubmits; the page says who reviews the resubmission
    coord.goto(f"{live_server}/assessments/{a.id}/submission")
    assert "Kantor Wilayah" in coord.inner_text("#resubmit-reviewers")
    flag_link = coord.locator("#flag-PPA1B a")
    assert flag_link.get_attribute("href") == f"/assessments/{a.id}#q-PPA1B"
    screenshot(coord, "review-flow-submission-returned")
    coord.click("#submit-assessment")
    coord.wait_for_selector(".badge-status-submitted")

    # Kanwil accepts (forwarded to TPI), TPI accepts: final, locked for good
    kanwil.goto(f"{live_server}/assessments/{a.id}/review")
    # the new round: nothing checked yet; the fixed question is unflagged first
    assert kanwil.locator("#rs-PPA1B .badge-ok").count() == 0
    kanwil.locator("#r-PPA1B select[name=option]").select_option("")
    kanwil.wait_for_selector("#r-PPA1B .saved")
    kanwil.locator("#r-PPA1B input[name=flagged]").uncheck()
    expect(kanwil.locator("#rs-PPA1B .badge-err")).to_have_count(0)
    messages = []
    kanwil.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    kanwil.click("#decide-accept")
    expect(kanwil).to_have_url(re.compile(rf"/assessments/{a.id}/comparison"))
    assert "diteruskan ke TPI" in messages[0]
    assert _status(db, a.id) == "in_review"

    tpi_ctx, tpi = _sign_in(browser, live_server, "tpi")
    assert tpi.url.endswith(f"/units/{world.unit('ES1')}/reviews")
    tpi.click(f"a[href='/assessments/{a.id}/review']")
    tpi.wait_for_selector("#decide-accept")
    messages.clear()
    tpi.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    tpi.click("#decide-accept")
    expect(tpi).to_have_url(re.compile(rf"/assessments/{a.id}/comparison"))
    assert "FINAL" in messages[0] and "terkunci" in messages[0]
    assert _status(db, a.id) == "final"

    # the final assessment's review page opens read-only, not a 409 page
    response = tpi.goto(f"{live_server}/assessments/{a.id}/review")
    assert response.status == 200
    expect(tpi.locator("#review-readonly")).to_contain_text("Hanya baca")
    assert tpi.locator("#review-decision").count() == 0
    assert tpi.locator("#r-PPA1B select[name=option]").is_disabled()
    screenshot(tpi, "review-flow-final-readonly")
    for context in (coord_ctx, kanwil_ctx, tpi_ctx):
        context.close()


def test_cycle_without_javascript(live_server, browser, world, db):
    a = new_assessment(db, world, complete=True)
    coord_ctx, coord = _sign_in(browser, live_server, "coord_a1", js=False)
    coord.goto(f"{live_server}/assessments/{a.id}/submission")
    coord.click("#submit-assessment")
    coord.wait_for_load_state()
    assert _status(db, a.id) == "submitted"

    kanwil_ctx, kanwil = _sign_in(browser, live_server, "reviewer_a", js=False)
    assert kanwil.url.endswith(f"/units/{world.unit('KANWIL-A')}/reviews")
    kanwil.goto(f"{live_server}/assessments/{a.id}/review")
    row = kanwil.locator("#r-PPA1B")
    row.locator("textarea[name=note]").fill("Mekanisme pemilihan belum ada")
    row.locator("input[name=flagged]").check()
    row.locator("button:has-text('Simpan')").first.click()
    kanwil.wait_for_load_state()
    assert kanwil.locator("#rs-PPA1B .badge-err").count() == 1
    # a plain "checked" mark on another question counts it as reviewed
    other = kanwil.locator("article.review-row").nth(0)
    other_id = other.get_attribute("id")
    other.locator("button[name=checked]").click()
    kanwil.wait_for_load_state()
    assert kanwil.locator(f"#{other_id} .badge-ok").count() == 1

    # return: the server asks first; Cancel changes nothing
    kanwil.fill("#decision-note", "Perbaiki PPA1B")
    kanwil.click("#decide-return")
    kanwil.wait_for_selector("#confirm-step")
    assert "dikembalikan ke unit" in kanwil.inner_text("#confirm-step")
    kanwil.click("#confirm-cancel")
    kanwil.wait_for_load_state()
    assert _status(db, a.id) == "submitted"
    kanwil.fill("#decision-note", "Perbaiki PPA1B")
    kanwil.click("#decide-return")
    _confirm_step(kanwil, "dikembalikan ke unit")
    assert "/comparison" in kanwil.url
    assert _status(db, a.id) == "returned"

    coord.goto(f"{live_server}/assessments/{a.id}/submission")
    assert "Kantor Wilayah" in coord.inner_text("#resubmit-reviewers")
    coord.click("#submit-assessment")
    coord.wait_for_load_state()
    assert _status(db, a.id) == "submitted"

    kanwil.goto(f"{live_server}/assessments/{a.id}/review")
    kanwil.locator("#r-PPA1B input[name=flagged]").uncheck()
    kanwil.locator("#r-PPA1B noscript button, #r-PPA1B button:has-text('Simpan')").first.click()
    kanwil.wait_for_load_state()
    assert kanwil.locator("#rs-PPA1B .badge-err").count() == 0
    kanwil.click("#decide-accept")
    _confirm_step(kanwil, "diteruskan ke TPI")
    assert _status(db, a.id) == "in_review"

    tpi_ctx, tpi = _sign_in(browser, live_server, "tpi", js=False)
    tpi.goto(f"{live_server}/assessments/{a.id}/review")
    tpi.click("#decide-accept")
    tpi.wait_for_selector("#confirm-step")
    screenshot(tpi, "review-flow-confirm-step-nojs")
    _confirm_step(tpi, "FINAL")
    assert _status(db, a.id) == "final"
    response = tpi.goto(f"{live_server}/assessments/{a.id}/review")
    assert response.status == 200 and "Hanya baca" in tpi.inner_text("#review-readonly")
    for context in (coord_ctx, kanwil_ctx, tpi_ctx):
        context.close()


def test_review_page_at_phone_width(live_server, browser, world, db):
    a = new_assessment(db, world, complete=True)
    from app.services.lke import submission
    from tests.factories import principal

    submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    ctx, page = _sign_in(browser, live_server, "reviewer_a", width=390)
    page.goto(f"{live_server}/assessments/{a.id}/review")
    page.wait_for_selector("#review-areas")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('main *')].filter("
        "e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)")
    assert wide == []
    screenshot(page, "review-flow-390")
    page.screenshot(path=str(SCREENSHOT_DIR / "review-flow-390-top.png"))
    page.locator("article.review-row").first.screenshot(
        path=str(SCREENSHOT_DIR / "review-flow-390-row.png"))
    page.locator("#review-decision").screenshot(
        path=str(SCREENSHOT_DIR / "review-flow-390-decision.png"))
    ctx.close()
