"""The public form /s/{code}: first visit, no script, guard rules, bad input keeps answers."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from sqlmodel import func, select

from app.deps import CSRF_COOKIE
from app.models.surveys.guard import SurveyThrottle
from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import guard as survey_guard
from tests.support.survey_forms import (
    IKM,
    hidden,
    ikm_form,
    make_campaign,
    make_unit,
    old_token,
    open_form,
    submit,
)


def counts(db) -> tuple[int, int]:
    db.expire_all()
    return (db.exec(select(func.count()).select_from(SurveyResponse)).one(),
            db.exec(select(func.count()).select_from(SurveyAnswer)).one())


def responses(db) -> list[SurveyResponse]:
    db.expire_all()
    return list(db.exec(select(SurveyResponse).order_by(SurveyResponse.id)).all())


@pytest.fixture
def unit_id(db) -> int:
    return make_unit(db)


@pytest.fixture
def open_campaign(db, unit_id):
    def factory(**kwargs):
        return make_campaign(db, unit_id, **kwargs)

    return factory


@pytest.fixture
def campaign(open_campaign):
    return open_campaign()


async def test_first_visit_renders_the_form_and_sets_the_csrf_cookie(client, campaign):
    page = await client.get(f"/s/{campaign.public_code}")
    assert page.status_code == 200
    assert CSRF_COOKIE in page.cookies
    html = page.text
    assert "<script" not in html  # works without JavaScript, nothing to download
    assert 'style="' not in html
    assert "Bagaimana pendapat Saudara tentang kesesuaian persyaratan" in html
    assert html.count('type="radio"') == 9 * 4
    assert 'name="website"' in html and 'tabindex="-1"' in html  # the honeypot
    # The token is derived from the cookie's random id, not the id itself (app.deps).
    assert hidden(html, "csrf_token") not in ("", page.cookies[CSRF_COOKIE])
    assert survey_guard.read_form_token("test-secret-key-" + "x" * 32, hidden(html, "t"),
                                        campaign.public_code) is not None


async def test_english_switch(client, campaign):
    html = await open_form(client, campaign.public_code, "?lang=en")
    assert "How well do the service requirements fit the type of service?" in html
    assert "Very appropriate" in html
    assert 'lang="en"' in html


async def test_submit_stores_once_and_thanks(client, app, db, campaign):
    code = campaign.public_code
    html = await open_form(client, code)
    data = {**ikm_form(), "suggestion": "Antrean lebih tertib, terima kasih."}
    result = await submit(client, app, code, html, data)
    assert result.status_code == 303
    assert result.headers["location"] == f"/s/{code}/terima-kasih"
    assert survey_guard.DEVICE_COOKIE in result.cookies
    cookie = result.headers["set-cookie"]
    assert cookie.startswith(f"{survey_guard.DEVICE_COOKIE}=")
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    assert attributes == {"HttpOnly", "Max-Age=31536000", "Path=/s/", "SameSite=lax"}
    thanks = await client.get(result.headers["location"])
    assert thanks.status_code == 200 and "Terima kasih!" in thanks.text
    assert counts(db) == (1, 9)
    [row] = responses(db)
    assert row.suspect is False and row.reportable is True and row.suspect_reasons is None
    assert row.channel == "web"
    assert row.suggestion == "Antrean lebih tertib, terima kasih."
    assert row.fill_seconds >= 29
    assert len(row.ip_hash) == 64 and "127.0.0.1" not in row.ip_hash
    values = dict(db.exec(select(SurveyAnswer.item_code, SurveyAnswer.value)).all())
    assert values == {"U1": 4, "U2": 3, "U3": 3, "U4": 2, "U5": 4, "U6": 4, "U7": 3, "U8": 3,
                      "U9": 1}


async def test_missing_answers_keep_the_rest_and_store_nothing(client, app, db, campaign):
    code = campaign.public_code
    html = await open_form(client, code)
    data = ikm_form()
    del data[f"{IKM}.U3"], data[f"{IKM}.U7"]
    data["suggestion"] = "Saran yang tidak boleh hilang"
    result = await submit(client, app, code, html, data)
    assert result.status_code == 422
    page = result.text
    assert "2 pertanyaan belum dijawab" in page
    assert page.count("Pertanyaan ini belum dijawab.") == 2
    assert '<a href="#q-ikm-2017-U3">3</a>, <a href="#q-ikm-2017-U7">7</a>' in page
    # the answers given are still chosen, the suggestion still written
    assert re.search(rf'name="{IKM}.U1" value="4" required checked', page)
    assert re.search(rf'name="{IKM}.U9" value="1" required checked', page)
    assert "Saran yang tidak boleh hilang</textarea>" in page
    assert counts(db) == (0, 0)
    assert db.exec(select(func.count()).select_from(SurveyThrottle)).one() == 0
    # fixing it goes through
    fixed = await submit(client, app, code, page, {**ikm_form(), "suggestion": "ok"})
    assert fixed.status_code == 303
    assert counts(db) == (1, 9)


@pytest.mark.parametrize("bad", ["7", "0", "abc", "3.5", "-1", "99999999", "²", "٣", " 4x"])
async def test_values_out_of_range_or_not_numbers_are_refused(client, app, db, campaign, bad):
    code = campaign.public_code
    html = await open_form(client, code)
    result = await submit(client, app, code, html, {**ikm_form(), f"{IKM}.U2": bad})
    assert result.status_code == 422
    assert "Pilih salah satu jawaban yang tersedia." in result.text
    assert counts(db) == (0, 0)


async def test_unknown_service_is_refused(client, app, db, unit_id, campaign):
    survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="sp2d", name="SP2D")
    code = campaign.public_code
    html = await open_form(client, code)
    result = await submit(client, app, code, html, {**ikm_form(), "service": "999999"})
    assert result.status_code == 422
    assert "Layanan ini tidak dikenal" in result.text
    assert counts(db) == (0, 0)


async def test_honeypot_is_kept_but_suspect(client, app, db, campaign):
    code = campaign.public_code
    html = await open_form(client, code)
    result = await submit(client, app, code, html, ikm_form(), website="http://spam.example")
    assert result.status_code == 303  # the robot is not told
    [row] = responses(db)
    assert row.suspect and not row.reportable and row.suspect_reasons == ["honeypot"]
    assert db.exec(select(func.count()).select_from(SurveyAnswer).where(
        SurveyAnswer.reportable == True)).one() == 0  # noqa: E712


async def test_too_fast_and_forged_time_are_suspect(client, app, db, campaign):
    code = campaign.public_code
    html = await open_form(client, code)
    await submit(client, app, code, html, ikm_form(), seconds_ago=2)
    client.cookies.delete(survey_guard.DEVICE_COOKIE, path="/s/")
    await submit(client, app, code, html, ikm_form(), t="forged")
    first, second = responses(db)
    assert first.suspect_reasons == ["too_fast"] and first.fill_seconds in (1, 2, 3)
    assert second.suspect_reasons == ["no_form_time"] and second.fill_seconds is None


async def test_second_response_from_a_device_is_kept_but_flagged(client, app, db, campaign):
    code = campaign.public_code
    html = await open_form(client, code)
    assert (await submit(client, app, code, html, ikm_form())).status_code == 303
    html = await open_form(client, code)
    assert (await submit(client, app, code, html, ikm_form())).status_code == 303
    first, second = responses(db)
    assert not first.suspect
    assert second.suspect_reasons == ["repeat_device"]
    assert first.device_hash == second.device_hash


async def test_throttle_flags_only_answers_without_a_fresh_form_and_refuses_all(
        client, app, db, campaign, monkeypatch):
    settings = app.state.settings
    monkeypatch.setattr(settings, "survey_throttle_flag_after", 1)
    monkeypatch.setattr(settings, "survey_throttle_refuse_after", 4)
    code, secret = campaign.public_code, app.state.secret_key
    html = await open_form(client, code)
    sent = [
        ikm_form(),  # 1st from this address: within flag_after
        ikm_form(),  # 2nd: above flag_after, but through a form of its own: counted
        {**ikm_form(), "t": old_token(secret, code, 30, nonce="form-3")},
        # 4th: the 3rd's form again, other answers: reused, and above flag_after -> ip_burst
        {**ikm_form((1,) * 9), "t": old_token(secret, code, 30, nonce="form-3")},
    ]
    for data in sent:
        client.cookies.delete(survey_guard.DEVICE_COOKIE, path="/s/")
        assert (await submit(client, app, code, html, data)).status_code == 303
    client.cookies.delete(survey_guard.DEVICE_COOKIE, path="/s/")
    # The 5th from this address is above refuse_after (4): refused, fresh form or not, with
    # the answers kept on the page.
    refused = await submit(client, app, code, html, {**ikm_form(), "suggestion": "tetap"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Terlalu banyak isian dari jaringan Anda" in refused.text
    assert "tetap</textarea>" in refused.text
    assert [r.suspect_reasons for r in responses(db)] == [
        None, None, None, ["form_reused", "ip_burst"]]
    assert counts(db) == (4, 36)


async def test_without_csrf_cookie_the_form_comes_back_filled(client, app, db, campaign,
                                                              make_client):
    code = campaign.public_code
    html = await open_form(client, code)
    stranger = make_client()  # no cookie: e.g. a forged cross-site post
    form = {"csrf_token": hidden(html, "csrf_token"), "t": old_token(app.state.secret_key, code, 30),
            **ikm_form()}
    result = await stranger.post(f"/s/{code}", data=form)
    assert result.status_code == 403
    assert "Jawaban belum terkirim." in result.text
    assert re.search(rf'name="{IKM}.U1" value="4" required checked', result.text)
    assert counts(db) == (0, 0)
    # the page it got back carries a fresh token and cookie: sending again works
    again = await stranger.post(f"/s/{code}", data={**form, "csrf_token": hidden(
        result.text, "csrf_token")})
    assert again.status_code == 303
    assert counts(db) == (1, 9)


async def test_source_tag_preselects_its_service_and_is_stored(client, app, db, unit_id,
                                                               campaign):
    service = survey_catalogue.create_service(db, actor=None, unit_id=unit_id,
                                     code="sp2d", name="Pencairan dana (SP2D)")
    survey_catalogue.create_source(db, actor=None, campaign_id=campaign.id, tag="loket-1",
                          label="Loket 1", service_id=service.id)
    code = campaign.public_code
    html = await open_form(client, code, "?src=loket-1")
    assert hidden(html, "src") == "loket-1"
    assert re.search(rf'name="service" value="{service.id}" checked', html)
    assert "?src=loket-1&amp;lang=en" in html  # the language switch keeps the tag
    result = await submit(client, app, code, html, {**ikm_form(), "service": str(service.id),
                                                    "src": "loket-1"})
    assert result.status_code == 303
    [row] = responses(db)
    assert row.source_tag == "loket-1" and row.service_id == service.id
    # an unknown tag in the link is dropped, not shown as an error the person can't fix
    html = await open_form(client, code, "?src=nope")
    assert 'name="src"' not in html


async def test_closed_and_not_yet_open_campaigns_say_so_politely(client, app, db,
                                                                 open_campaign):
    closed = open_campaign(title="Lama")
    survey_campaigns.close_campaign(db, actor=None, campaign_id=closed.id)
    page = await client.get(f"/s/{closed.public_code}")
    assert page.status_code == 200
    assert "Survei sudah ditutup" in page.text and "<form" not in page.text
    html = await open_form(client, open_campaign(title="Buka").public_code)
    result = await submit(client, app, closed.public_code, html, ikm_form())
    assert result.status_code == 409
    assert "Survei ini sudah ditutup" in result.text
    later = open_campaign(title="Nanti", opens_on=date(2098, 1, 1), label="2098-S1")
    page = await client.get(f"/s/{later.public_code}")
    assert "Survei belum dibuka" in page.text and "1 Januari 2098" in page.text
    assert counts(db) == (0, 0)


async def test_unknown_code_is_a_friendly_404(client, db):
    for code in ("zzzzzzzz", "x" * 300):
        page = await client.get(f"/s/{code}")
        assert page.status_code == 404
        assert "Tautan survei tidak dikenal" in page.text
    posted = await client.post("/s/zzzzzzzz", data={"csrf_token": "x"})
    assert posted.status_code == 404
    assert (await client.get("/s/zzzzzzzz/terima-kasih")).status_code == 404


async def test_over_https_the_device_cookie_is_secure(app, db, campaign):
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://zona.example") as c:
        html = await open_form(c, campaign.public_code)
        result = await submit(c, app, campaign.public_code, html, ikm_form())
    assert result.status_code == 303
    attributes = {part.strip() for part in result.headers["set-cookie"].split(";")[1:]}
    assert "Secure" in attributes and "HttpOnly" in attributes
