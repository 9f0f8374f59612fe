"""In real Chromium at a phone viewport: the QR link, answering, thank-you; then the
coordinator sees the response in the campaign results. Also with JavaScript switched off."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models.surveys.records import SurveyResponse
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from tests.factories import PASSWORD
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
#: The answer chosen for U1..U9 (tile index 0-3 = value 1-4).
CHOSEN = [4, 3, 4, 2, 3, 4, 4, 3, 2]


def answer_everything(page) -> None:
    for n, value in enumerate(CHOSEN, start=1):
        tile = page.locator(f"input[name='ikm-2017.U{n}'][value='{value}'] + span")
        tile.tap()


def _submit_survey(page, link: str, name: str, *, js: bool) -> None:
    page.goto(link)
    assert page.locator("h1").inner_text() == "SKM Semester I 2026"
    screenshot(page, f"{name}-form")
    # a tile is a big touch target
    box = page.locator("input[name='ikm-2017.U1'][value='4'] + span").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 140
    # the first attempt misses two questions: the page says so, answers are kept
    for n, value in enumerate(CHOSEN, start=1):
        if n not in (3, 8):
            page.locator(f"input[name='ikm-2017.U{n}'][value='{value}'] + span").tap()
    page.fill("#suggestion", "Petugas ramah, antrean perlu papan nomor.")
    with page.expect_navigation():
        page.locator("button.pub-send").tap()
    assert "2 pertanyaan belum dijawab" in page.content()
    assert page.locator("input[name='ikm-2017.U1'][value='4']").is_checked()
    assert page.locator("#suggestion").input_value() == "Petugas ramah, antrean perlu papan nomor."
    page.locator("#q-ikm-2017-U3").scroll_into_view_if_needed()
    screenshot(page, f"{name}-missing")
    answer_everything(page)
    page.locator("button.pub-send").tap()
    page.wait_for_url("**/terima-kasih")
    assert "Terima kasih!" in page.locator("h1").inner_text()
    screenshot(page, f"{name}-thanks")


def test_phone_answers_by_qr_link_and_coordinator_sees_it(live_server, browser, world, db,
                                                          app, monkeypatch):
    monkeypatch.setattr(app.state.settings, "survey_min_fill_seconds", 0)
    unit_id = world.unit("UNIT-A1")
    from datetime import date

    campaign = survey_campaigns.create_campaign(db, actor=None, unit_id=unit_id, data=survey_campaigns.CampaignInput(
        title="SKM Semester I 2026", instrument_codes=["ikm-2017"], period_kind="semester",
        period_label="2026-S1", opens_on=date(2020, 1, 1), closes_on=date(2099, 12, 31),
        population=500))
    service = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="sp2d",
                                     name="Pencairan dana (SP2D)")
    survey_catalogue.create_source(db, actor=None, campaign_id=campaign.id, tag="loket-1",
                          label="Loket 1", service_id=service.id)

    # the coordinator prints the poster: the QR code and the short link it carries
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    desk.goto(f"{live_server}/login")
    desk.fill("#username", "coord_a1")
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url(lambda url: "/login" not in url)
    desk.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{campaign.id}/poster?src=loket-1")
    link = "http://" + desk.locator(".poster-link strong").inner_text()
    assert link == f"{live_server}/s/{campaign.public_code}?src=loket-1"
    qr = desk.locator("img.poster-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(desk, "survey-poster")
    desk.emulate_media(media="print")
    assert not desk.locator(".poster-tools").is_visible()
    screenshot(desk, "survey-poster-print")
    desk.emulate_media(media="screen")

    # a person scans it with a phone (JavaScript on)
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    _submit_survey(page, link, "survey-phone", js=True)
    # the service of the counter was preselected
    db.expire_all()
    [row] = db.exec(select(SurveyResponse)).all()
    assert row.service_id == service.id and row.source_tag == "loket-1" and not row.suspect

    # the same person in English, with JavaScript switched off, on a second phone
    bare = browser.new_context(java_script_enabled=False, **PHONE)
    page2 = bare.new_page()
    page2.goto(link + "&lang=en")
    assert "How well do the service requirements fit" in page2.content()
    page2.goto(link + "&lang=id")
    _submit_survey(page2, link, "survey-phone-nojs", js=False)
    db.expire_all()
    assert len(db.exec(select(SurveyResponse)).all()) == 2

    # the coordinator sees both in the campaign results
    desk.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{campaign.id}")
    assert desk.locator(".stat").first.inner_text().strip() == "2"
    assert "Kode QR dan poster" in desk.content()
    screenshot(desk, "survey-results-after-phone")
    desk.goto(f"{live_server}/units/{unit_id}/surveys/campaigns/{campaign.id}/responses")
    assert "Petugas ramah, antrean perlu papan nomor." in desk.content()
    screenshot(desk, "survey-responses-after-phone")
    for context in (staff, phone, bare):
        context.close()
