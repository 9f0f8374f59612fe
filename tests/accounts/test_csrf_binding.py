"""The CSRF token is bound to the session (signed in) or to the browser's own random cookie
(anonymous), and renewed at sign-in and sign-out: a cookie and token pair planted from
another browser does not pass."""

from __future__ import annotations

from sqlmodel import select

from app.deps import CSRF_COOKIE
from app.models import PredicateAward
from tests.factories import PASSWORD, login, page_csrf
from tests.support.survey_forms import hidden, ikm_form, make_campaign, make_unit, open_form, submit

PREDICATE = {"predicate": "WBK", "year": 2018, "decree_number": "KEP-1/2018",
             "decree_date": "2018-12-10"}


async def test_a_planted_anonymous_pair_is_refused_for_a_signed_in_user(make_client, db, world):
    """The attacker's own browser hands out a zona_csrf cookie and its token; planting both
    in the victim's browser (a sibling subdomain can set cookies) used to pass the
    double-submit check. The victim's session decides now."""
    attacker = make_client()
    planted_token = await page_csrf(attacker)
    planted_cookie = attacker.cookies.get(CSRF_COOKIE)
    assert planted_token and planted_cookie

    victim = make_client()
    await login(victim, "coord_a1")
    victim.cookies.set(CSRF_COOKIE, planted_cookie)
    unit_id = world.unit("UNIT-A1")
    refused = await victim.post(f"/units/{unit_id}/predicates",
                                data={**PREDICATE, "csrf_token": planted_token})
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    by_header = await victim.post(f"/api/v1/units/{unit_id}/predicates", json=PREDICATE,
                                  headers={"X-CSRF-Token": planted_token})
    assert by_header.status_code == 403
    assert db.exec(select(PredicateAward)).all() == []


async def test_a_token_of_another_session_is_refused(make_client, db, world):
    other = make_client()
    other_token = await login(other, "coord_a1")  # the same person, another browser
    victim = make_client()
    await login(victim, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    refused = await victim.post(f"/units/{unit_id}/predicates",
                                data={**PREDICATE, "csrf_token": other_token})
    assert refused.status_code == 403
    assert db.exec(select(PredicateAward)).all() == []
    # Its own session's token passes.
    own = await page_csrf(victim)
    assert own != other_token
    ok = await victim.post(f"/units/{unit_id}/predicates", data={**PREDICATE, "csrf_token": own})
    assert ok.status_code == 303
    assert len(db.exec(select(PredicateAward)).all()) == 1


async def test_the_token_is_renewed_at_sign_in_and_sign_out(client, db, world):
    before = await page_csrf(client)
    cookie_before = client.cookies.get(CSRF_COOKIE)
    signed_in = await client.post(
        "/login", data={"username": "coord_a1", "password": PASSWORD, "csrf_token": before})
    assert signed_in.status_code == 303
    assert client.cookies.get(CSRF_COOKIE) != cookie_before  # the anonymous id renewed too
    during = await page_csrf(client)
    assert during != before
    unit_id = world.unit("UNIT-A1")
    stale = await client.post(f"/units/{unit_id}/predicates",
                              data={**PREDICATE, "csrf_token": before})
    assert stale.status_code == 403

    out = await client.post("/logout", data={"csrf_token": during})
    assert out.status_code == 303
    after = await page_csrf(client)
    assert after not in (before, during)
    # Neither earlier token opens the sign-in form now; the current one does.
    for old in (before, during):
        refused = await client.post("/login", data={"username": "coord_a1",
                                                    "password": PASSWORD, "csrf_token": old})
        assert refused.status_code == 403
    again = await client.post("/login", data={"username": "coord_a1", "password": PASSWORD,
                                              "csrf_token": after})
    assert again.status_code == 303


async def test_an_anonymous_token_passes_only_with_its_own_cookie(make_client, world):
    mine, theirs = make_client(), make_client()
    await page_csrf(mine)
    their_token = await page_csrf(theirs)
    refused = await mine.post("/login", data={"username": "coord_a1", "password": PASSWORD,
                                              "csrf_token": their_token})
    assert refused.status_code == 403
    assert "zona_session" not in mine.cookies


async def test_the_htmx_header_carries_the_session_token(client, world):
    csrf = await login(client, "coord_a1")
    page = await client.get(f"/units/{world.unit('UNIT-A1')}")
    assert page.status_code == 200
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page.text


async def test_the_survey_fast_lane_checks_the_binding_without_the_database(app, db,
                                                                            make_client):
    code = make_campaign(db, make_unit(db)).public_code
    citizen, stranger = make_client(), make_client()
    html = await open_form(citizen, code)
    await open_form(stranger, code)
    # The stranger posts the citizen's page (and so its token): 403, answers shown again.
    assert hidden(html, "csrf_token")
    refused = await submit(stranger, app, code, html, ikm_form())
    assert refused.status_code == 403
    assert "Jawaban belum terkirim" in refused.text
    accepted = await submit(citizen, app, code, html, ikm_form())
    assert accepted.status_code == 303
