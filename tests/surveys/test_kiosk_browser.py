"""The survey kiosk in real Chromium (Playwright), with the network switched off.

A coordinator registers a tablet and pairs it through the one-time link; the tablet takes
20 answers offline, survives a reload offline, and sends them when the network returns:
exactly 20 stored, once each, with the times they were given. A pairing link opened twice,
a revoked kiosk that keeps its queue, and answers refused after the grace period (kept aside
on the device, the reason on the kiosk). The interrupted sync (server killed halfway) is
in test_kiosk_sync_crash.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.models.surveys.kiosks import SurveyKiosk
from app.models.surveys.records import SurveyCampaign, SurveyResponse
from app.services.surveys import kiosks as survey_kiosks
from tests.factories import PASSWORD
from tests.support.browser import SCREENSHOT_DIR, screenshot

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 820, "height": 1180}, "device_scale_factor": 1,
          "is_mobile": True, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
WAIT = 20_000  # ms: every wait in these tests is bounded


def doc_shot(page, name: str, height: int) -> None:
    """The top of the screen, small, for docs/surveys-kiosk.md (copied to docs/img by hand)."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOT_DIR / f"doc-{name}.png"),
                    clip={"x": 0, "y": 0, "width": width, "height": height})


def answer(page, n: int) -> None:
    """Answer U1..U9 (value 1-4, varied by respondent n) and send."""
    for item in range(1, 10):
        value = (n + item) % 4 + 1
        page.locator(f"input[name='ikm-2017.U{item}'][value='{value}'] + span").tap()
    page.locator("#kiosk-send").tap()
    page.locator("#kiosk-thanks").wait_for(state="visible", timeout=WAIT)


def queue(page) -> int:
    return int(page.locator("#kiosk-queue").inner_text())


def pair_tablet(browser, link: str, **options):
    context = browser.new_context(**(options or TABLET))
    page = context.new_page()
    page.goto(link)
    page.locator("#pair-confirm").tap()
    page.wait_for_url(re.compile(r"/kiosk/\d+$"), timeout=WAIT)
    page.locator("#kiosk-form").wait_for(state="visible", timeout=WAIT)
    return context, page


def ready_offline(page) -> None:
    """Wait (bounded) until the service worker is active and the form is in its cache."""
    page.wait_for_function(
        "async () => { const r = await navigator.serviceWorker.getRegistration('/kiosk/');"
        " return !!(r && r.active); }", timeout=WAIT)
    page.wait_for_function(
        "async () => !!(await (await caches.open('zona-kiosk-v1')).match(location.pathname))",
        timeout=WAIT)


def sign_in(browser, base: str, user: str = "coord_a1"):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    desk.goto(f"{base}/login")
    desk.fill("#username", user)
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url(lambda url: "/login" not in url)
    return context, desk


def test_twenty_answers_offline_counted_once_with_their_times(live_server, browser, world, db,
                                                              app, make_campaign,
                                                              monkeypatch):
    monkeypatch.setattr(app.state.settings, "survey_kiosk_min_fill_seconds", 0)
    monkeypatch.setattr(app.state.settings, "survey_kiosk_max_per_minute", 1000)
    campaign = make_campaign(title="SKM Loket Offline 2026")
    unit_id = world.unit("UNIT-A1")

    # the coordinator registers the tablet from the campaign page
    staff, desk = sign_in(browser, live_server)
    desk.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{campaign.id}")
    desk.click("a[href$='/kiosks']")
    desk.fill("#k-name", "Tablet loket 1")
    desk.click("#register button[type=submit]")
    link = desk.locator("#pairing-link").inner_text().strip()
    assert link.startswith(f"{live_server}/kiosk/pair/")
    assert desk.locator(".kiosk-qr svg").count() == 1
    screenshot(desk, "kiosk-registered")
    doc_shot(desk, "kiosk-registered", 560)

    tablet, page = pair_tablet(browser, link)
    page.wait_for_function("() => document.getElementById('kiosk-queue').textContent === '0'",
                           timeout=WAIT)
    page.goto(page.url + "?batch=7")  # three batches: 7 + 7 + 6
    ready_offline(page)
    screenshot(page, "kiosk-tablet-form")
    doc_shot(page, "kiosk-tablet-form", 640)

    tablet.set_offline(True)
    given: list[tuple[datetime, datetime]] = []
    for n in range(20):
        if n == 4:  # this respondent reads English
            page.locator(".kiosk-langbtn[data-lang='en']").tap()
            assert page.locator("fieldset[data-item='ikm-2017.U1'] legend .l-en").is_visible()
            assert not page.locator("fieldset[data-item='ikm-2017.U1'] legend .l-id").is_visible()
        before = datetime.now(UTC)
        answer(page, n)
        given.append((before, datetime.now(UTC)))
        if n == 0:
            assert "Luring" in page.locator("#kiosk-net").inner_text()
            screenshot(page, "kiosk-tablet-thanks-offline")
            doc_shot(page, "kiosk-thanks-offline", 420)
        page.locator("#kiosk-next").tap()
        # a fresh form, in Indonesian again
        assert page.locator("#kiosk-form").is_visible()
        assert page.locator("input[name='ikm-2017.U1']:checked").count() == 0
        assert page.locator("fieldset[data-item='ikm-2017.U1'] legend .l-id").is_visible()
    assert queue(page) == 20

    # reload while offline: the form still loads (service worker), the queue is still there
    page.reload()
    page.locator("#kiosk-form").wait_for(state="visible", timeout=WAIT)
    page.wait_for_function("() => document.getElementById('kiosk-queue').textContent === '20'",
                           timeout=WAIT)
    db.expire_all()
    assert db.exec(select(SurveyResponse)).all() == []

    online_at = datetime.now(UTC)
    tablet.set_offline(False)
    page.wait_for_function("() => document.getElementById('kiosk-queue').textContent === '0'",
                           timeout=WAIT)
    db.expire_all()
    rows = db.exec(select(SurveyResponse).where(SurveyResponse.campaign_id == campaign.id)
                   .order_by(SurveyResponse.submitted_at)).all()
    assert len(rows) == 20
    assert len({r.idempotency_key for r in rows}) == 20
    assert all(r.channel == "kiosk" and r.reportable and not r.suspect for r in rows)
    for row, (before, after) in zip(rows, given, strict=True):
        at = row.submitted_at if row.submitted_at.tzinfo else row.submitted_at.replace(tzinfo=UTC)
        # the device keeps milliseconds
        assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= at <= after
        assert at < online_at
    # the coordinator sees the sync
    desk.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{campaign.id}/kiosks")
    row = desk.locator("#kiosks tbody tr").first
    assert "Terpasang" in row.inner_text()
    assert row.locator("td.num").inner_text().strip() == "0"
    screenshot(desk, "kiosk-list")
    doc_shot(desk, "kiosk-list", 400)
    desk.set_viewport_size({"width": 390, "height": 844})
    screenshot(desk, "kiosk-list-phone")
    desk.set_viewport_size({"width": 1280, "height": 900})
    # the results count them: 20 respondents
    desk.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{campaign.id}")
    assert desk.locator(".stat").first.inner_text().strip() == "20"

    # a second kiosk on a phone-sized screen: the same form, in English
    second = survey_kiosks.create(db, actor=None, campaign_id=campaign.id, name="HP loket 2")
    phone, small = pair_tablet(browser, f"{live_server}/kiosk/pair/{second.secret}", **PHONE)
    small.locator(".kiosk-langbtn[data-lang='en']").tap()
    assert small.locator("#kiosk-send .l-en").inner_text() == "Send answers"
    screenshot(small, "kiosk-phone-form-en")
    doc_shot(small, "kiosk-phone-en", 640)
    for context in (staff, tablet, phone):
        context.close()


def test_pairing_link_opened_twice(live_server, browser, world, db, make_campaign):
    campaign = make_campaign()
    issued = survey_kiosks.create(db, actor=None, campaign_id=campaign.id, name="Tablet 2")
    link = f"{live_server}/kiosk/pair/{issued.secret}"
    first, page = pair_tablet(browser, link)
    second = browser.new_context(**TABLET)
    other = second.new_page()
    shown = other.goto(link)
    assert shown.status == 410
    assert "sudah dipakai" in other.locator("#pair-refused").inner_text()
    assert other.locator("#pair-confirm").count() == 0
    screenshot(other, "kiosk-pair-used")
    first.close()
    second.close()


def test_revoked_kiosk_keeps_its_queue_and_says_so(live_server, browser, world, db, app,
                                                   make_campaign, monkeypatch):
    monkeypatch.setattr(app.state.settings, "survey_kiosk_min_fill_seconds", 0)
    campaign = make_campaign()
    issued = survey_kiosks.create(db, actor=None, campaign_id=campaign.id, name="Tablet 3")
    tablet, page = pair_tablet(browser, f"{live_server}/kiosk/pair/{issued.secret}")
    answer(page, 1)
    page.wait_for_function("() => document.getElementById('kiosk-queue').textContent === '0'",
                           timeout=WAIT)
    survey_kiosks.revoke(db, actor=None, kiosk_id=issued.kiosk.id)
    page.locator("#kiosk-next").tap()
    answer(page, 2)
    alert = page.locator("#kiosk-alert")
    alert.wait_for(state="visible", timeout=WAIT)
    assert "dicabut atau kedaluwarsa" in alert.inner_text()
    assert "1 jawaban tetap tersimpan" in alert.inner_text()
    assert queue(page) == 1
    screenshot(page, "kiosk-revoked")
    doc_shot(page, "kiosk-revoked", 360)
    db.expire_all()
    assert len(db.exec(select(SurveyResponse)).all()) == 1
    # the coordinator pairs the same tablet as a new kiosk: it sends the kept answer
    again = survey_kiosks.create(db, actor=None, campaign_id=campaign.id, name="Tablet 3b")
    page.goto(f"{live_server}/kiosk/pair/{again.secret}")
    page.locator("#pair-confirm").tap()
    page.wait_for_url(f"{live_server}/kiosk/{again.kiosk.id}", timeout=WAIT)
    page.wait_for_function("() => document.getElementById('kiosk-queue').textContent === '0'",
                           timeout=WAIT)
    db.expire_all()
    rows = db.exec(select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert [r.kiosk_id for r in rows] == [issued.kiosk.id, again.kiosk.id]
    tablet.close()


def test_late_answers_are_refused_with_a_reason_and_kept_aside(live_server, browser, world,
                                                               db, app, make_campaign,
                                                               monkeypatch):
    monkeypatch.setattr(app.state.settings, "survey_kiosk_min_fill_seconds", 0)
    monkeypatch.setattr(app.state.settings, "survey_kiosk_grace_hours", 0)
    campaign = make_campaign()
    issued = survey_kiosks.create(db, actor=None, campaign_id=campaign.id, name="Tablet 4")
    tablet, page = pair_tablet(browser, f"{live_server}/kiosk/pair/{issued.secret}")
    tablet.set_offline(True)
    for n in range(2):
        answer(page, n)
        page.locator("#kiosk-next").tap()
    # the campaign closes while the tablet is offline; no grace period at all
    row = db.get(SurveyCampaign, campaign.id)
    row.status, row.closed_at = "closed", datetime.now(UTC)
    db.add(row)
    db.commit()
    tablet.set_offline(False)
    page.wait_for_function("() => document.getElementById('kiosk-queue').textContent === '0'",
                           timeout=WAIT)
    kept = page.evaluate("""async () => {
        const db = await new Promise((ok, ko) => {
            const r = indexedDB.open('zona-kiosk'); r.onsuccess = () => ok(r.result);
            r.onerror = () => ko(r.error); });
        return await new Promise(ok => {
            const r = db.transaction('refused').objectStore('refused').getAll();
            r.onsuccess = () => ok(r.result.map(x => x.reason)); });
    }""")
    assert kept == ["grace_over", "grace_over"]
    db.expire_all()
    assert db.exec(select(SurveyResponse)).all() == []
    kiosk = db.get(SurveyKiosk, issued.kiosk.id)
    assert kiosk.refused_count == 2
    assert kiosk.last_refusal == "Diterima setelah masa tenggang setelah survei ditutup"
    tablet.close()


def test_form_resets_after_thanks_and_after_inactivity(live_server, browser, world, db, app,
                                                       make_campaign, monkeypatch):
    """With the page's clock under the test's control (no real waiting)."""
    monkeypatch.setattr(app.state.settings, "survey_kiosk_min_fill_seconds", 0)
    campaign = make_campaign()
    issued = survey_kiosks.create(db, actor=None, campaign_id=campaign.id, name="Tablet 5")
    tablet, page = pair_tablet(browser, f"{live_server}/kiosk/pair/{issued.secret}")
    page.clock.install()
    page.reload()
    page.locator("#kiosk-form").wait_for(state="visible", timeout=WAIT)
    # a respondent starts, switches to English, and walks away mid-form
    page.locator(".kiosk-langbtn[data-lang='en']").tap()
    page.locator("input[name='ikm-2017.U1'][value='3'] + span").tap()
    page.clock.fast_forward(80_000)
    assert page.locator("input[name='ikm-2017.U1']:checked").count() == 1
    page.clock.fast_forward(11_000)  # 91 s without a touch
    assert page.locator("input[name='ikm-2017.U1']:checked").count() == 0
    assert page.locator("fieldset[data-item='ikm-2017.U1'] legend .l-id").is_visible()
    # the next one answers; the thanks gives way to a fresh form after six seconds
    answer(page, 3)
    page.clock.fast_forward(5_000)
    assert page.locator("#kiosk-thanks").is_visible()
    page.clock.fast_forward(1_500)
    assert page.locator("#kiosk-form").is_visible()
    assert not page.locator("#kiosk-thanks").is_visible()
    assert page.locator("input[name='ikm-2017.U1']:checked").count() == 0
    tablet.close()
