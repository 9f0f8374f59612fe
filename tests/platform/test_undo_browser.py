"""In real Chromium, with JavaScript: deleting an action item from its list (the browser's
confirm dialog) and a survey service, each followed by its undo notice; a viewer opening the
review page during a re-review (read-only, the decided values). At 1280 and 390 px: nothing
reaches past the viewport."""

from __future__ import annotations

import pytest

from app.models.programme import ActionItem
from app.models.surveys.records import SurveyService
from app.services.lke import review as review_svc
from app.services.lke import submission as lke_submission
from app.services.programme import action_plan
from app.services.surveys import catalogue
from tests.factories import PASSWORD, principal
from tests.support.browser import SCREENSHOT_DIR, screenshot
from tests.support.lke_review import new_assessment

pytestmark = pytest.mark.browser

_OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth + 1"


def _sign_in(browser, live_server, username, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


@pytest.mark.parametrize("width", [1280, 390])
def test_delete_then_undo_in_the_browser(live_server, browser, world, db, width):
    unit = world.unit("UNIT-A1")
    item = action_plan.create_action_item(db, actor=None, unit_id=unit, data={
        "area": "manajemen_perubahan", "activity": "Susun rencana kerja ZI"})
    service = catalogue.create_service(db, actor=None, unit_id=unit, code="LOKET",
                                       name="Loket pencairan")
    context, page = _sign_in(browser, live_server, "coord_a1", width)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/units/{unit}/action-plan")
    assert not page.evaluate(_OVERFLOW)
    screenshot(page, f"action-plan-delete-button-{width}")
    page.click(f"#del-item-{item.id}")
    page.wait_for_selector("#undo-notice")
    assert "Susun rencana kerja ZI" in page.inner_text("#undo-notice")
    assert not page.evaluate(_OVERFLOW)
    screenshot(page, f"undo-action-plan-{width}")
    db.expire_all()
    assert db.get(ActionItem, item.id).deleted_at is not None
    page.click("#undo-delete")
    page.wait_for_load_state()
    assert "Dipulihkan" in page.inner_text("#flash")
    db.expire_all()
    assert db.get(ActionItem, item.id).deleted_at is None

    page.goto(f"{live_server}/units/{unit}/surveys/services")
    page.click(f"form[action$='/services/{service.id}/delete'] button")
    page.wait_for_selector("#undo-notice")
    assert "Loket pencairan" in page.inner_text("#undo-notice")
    assert not page.evaluate(_OVERFLOW)
    screenshot(page, f"undo-survey-service-{width}")
    page.click("#undo-delete")
    page.wait_for_load_state()
    db.expire_all()
    assert db.get(SurveyService, service.id).deleted_at is None
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_viewer_reads_a_re_review(live_server, browser, world, db, width):
    a = new_assessment(db, world, complete=True)
    coord, kanwil = principal(db, world, "coord_a1"), principal(db, world, "reviewer_a")
    lke_submission.submit(db, actor=coord, assessment_id=a.id)
    review_svc.save_values(db, actor=kanwil, assessment_id=a.id, changes=[
        review_svc.DraftChange(ref="PPA1B", option="C", note="SK belum ada", flagged=True)])
    review_svc.decide(db, actor=kanwil, assessment_id=a.id, decision="return")
    lke_submission.submit(db, actor=coord, assessment_id=a.id)
    context, page = _sign_in(browser, live_server, "viewer_a1", width)
    page.goto(f"{live_server}/assessments/{a.id}/review")
    page.wait_for_selector("#review-readonly")
    assert "mereviu ulang" in page.inner_text("#review-readonly")
    assert page.locator("#r-PPA1B select[name=option]").input_value() == "C"
    assert not page.evaluate(_OVERFLOW)
    screenshot(page, f"review-readonly-re-review-{width}")
    page.locator("#r-PPA1B").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / f"review-readonly-re-review-row-{width}.png"))
    context.close()
