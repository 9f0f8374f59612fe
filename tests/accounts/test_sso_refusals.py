"""Every refused SSO answer: a clear Indonesian page, an audit record, nobody signed in.

The provider is real (oidc-provider on loopback); a bad ID token is put into its token
answer by the test script's tamper switch, signed with the provider's own key (or not), so
only the one thing under test is wrong. The clock skew tolerated is 120 s (the default).
"""

from __future__ import annotations

import time

import httpx
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.sso import SsoIdentity
from tests.support.oidc_provider import new_key, query_of, sign_in_at_provider

ZONA = "http://testserver"


async def at_provider(client: httpx.AsyncClient, sub: str = "budi-001") -> tuple[str, str]:
    """Start at Zona and sign in at the provider: (the address back to Zona, the nonce)."""
    started = await client.get("/sso/login")
    assert started.status_code == 303
    authorize = started.headers["location"]
    back = sign_in_at_provider(authorize, sub, stop_at=ZONA)
    return back.removeprefix(ZONA), query_of(authorize)["nonce"]


def id_claims(provider, nonce: str, **changes) -> dict:
    now = int(time.time())
    claims = {"iss": provider.issuer, "sub": "budi-001", "aud": "zona", "iat": now,
              "exp": now + 300, "nonce": nonce}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def refusals(db) -> list[str]:
    db.expire_all()
    return [a.entity_id for a in db.exec(
        select(AuditRecord).where(AuditRecord.action == "sso.refused").order_by(AuditRecord.id)
    ).all()]


async def assert_refused(client, db, world, response, reason: str, title: str, status=400):
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert title in response.text
    assert f"<code>{reason}</code>" in response.text
    assert "zona_session" not in response.headers.get("set-cookie", "")
    assert refusals(db)[-1] == reason
    after = await client.get(f"/units/{world.unit('UNIT-A1')}")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    db.expire_all()
    assert db.exec(select(SsoIdentity)).all() == []  # nobody was signed in or created


async def test_a_state_other_than_the_browsers_is_refused(sso_client, db, world):
    back, _nonce = await at_provider(sso_client)
    forged = back.replace("state=", "state=x", 1)
    response = await sso_client.get(forged)
    await assert_refused(sso_client, db, world, response, "state",
                         "Permintaan masuk tidak dikenali")


async def test_an_answer_brought_by_another_browser_is_refused(sso_client, sso_app, db, world):
    back, _nonce = await at_provider(sso_client)
    # Another browser has no state cookie: the answer was not asked for by it.
    transport = httpx.ASGITransport(app=sso_app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url=ZONA) as other:
        response = await other.get(back)
        await assert_refused(other, db, world, response, "state",
                             "Permintaan masuk tidak dikenali")


async def test_a_replayed_answer_is_refused(sso_client, db, world):
    back, _nonce = await at_provider(sso_client)
    cookie = sso_client.cookies.get("zona_sso")
    assert (await sso_client.get(back)).status_code == 303  # the real one signs in
    await sso_client.post("/logout", data={"csrf_token": await _csrf(sso_client)})
    sso_client.cookies.set("zona_sso", cookie, domain="testserver.local", path="/sso")
    replay = await sso_client.get(back)
    assert replay.status_code == 400 and "Kode masuk sudah dipakai" in replay.text
    assert refusals(db) == ["replay"]
    assert (await sso_client.get(f"/units/{world.unit('UNIT-A1')}")).status_code == 303


async def test_a_used_code_under_a_fresh_state_is_refused_by_the_provider(sso_client, db,
                                                                          world):
    first, _nonce = await at_provider(sso_client)
    code = query_of(ZONA + first)["code"]
    assert (await sso_client.get(first)).status_code == 303
    await sso_client.post("/logout", data={"csrf_token": await _csrf(sso_client)})
    second, _nonce = await at_provider(sso_client)
    query = query_of(ZONA + second)
    replay = await sso_client.get("/sso/callback", params={**query, "code": code})
    assert replay.status_code == 400 and "Kode masuk sudah dipakai" in replay.text
    assert refusals(db) == ["replay"]
    assert (await sso_client.get(f"/units/{world.unit('UNIT-A1')}")).status_code == 303


async def test_an_id_token_for_another_audience_is_refused(sso_client, db, world, oidc_provider):
    back, nonce = await at_provider(sso_client)
    oidc_provider.tamper(oidc_provider.sign(id_claims(oidc_provider, nonce, aud="lain-app")))
    await assert_refused(sso_client, db, world, await sso_client.get(back), "audience",
                         "Token untuk aplikasi lain")


async def test_an_expired_id_token_is_refused(sso_client, db, world, oidc_provider):
    back, nonce = await at_provider(sso_client)
    now = int(time.time())
    # Expired an hour ago: far beyond the 120 s of clock skew.
    claims = id_claims(oidc_provider, nonce, iat=now - 7200, exp=now - 3600)
    oidc_provider.tamper(oidc_provider.sign(claims))
    await assert_refused(sso_client, db, world, await sso_client.get(back), "expired",
                         "Token identitas kedaluwarsa")


async def test_an_unsigned_id_token_is_refused(sso_client, db, world, oidc_provider):
    back, nonce = await at_provider(sso_client)
    oidc_provider.tamper(oidc_provider.unsigned(id_claims(oidc_provider, nonce)))
    await assert_refused(sso_client, db, world, await sso_client.get(back), "unsigned",
                         "Token identitas tidak ditandatangani")


async def test_an_id_token_signed_by_another_key_is_refused(sso_client, db, world,
                                                            oidc_provider):
    back, nonce = await at_provider(sso_client)
    forged_key = new_key(oidc_provider.key.kid)  # same key id, not the provider's key
    oidc_provider.tamper(oidc_provider.sign(id_claims(oidc_provider, nonce), key=forged_key))
    await assert_refused(sso_client, db, world, await sso_client.get(back), "signature",
                         "Tanda tangan token tidak sah")


async def test_an_id_token_from_an_unknown_issuer_is_refused(sso_client, db, world,
                                                             oidc_provider):
    back, nonce = await at_provider(sso_client)
    claims = id_claims(oidc_provider, nonce, iss="https://sso.bukan-kita.example")
    oidc_provider.tamper(oidc_provider.sign(claims))
    await assert_refused(sso_client, db, world, await sso_client.get(back), "issuer",
                         "Penyedia identitas tidak dikenal")


async def test_an_answer_naming_an_unknown_issuer_is_refused(sso_client, db, world):
    back, _nonce = await at_provider(sso_client)
    query = query_of(ZONA + back)
    assert "iss" in query  # the provider names itself in the answer (RFC 9207)
    response = await sso_client.get(
        "/sso/callback", params={**query, "iss": "https://sso.bukan-kita.example"})
    await assert_refused(sso_client, db, world, response, "issuer",
                         "Penyedia identitas tidak dikenal")


async def test_an_id_token_for_another_sign_in_is_refused(sso_client, db, world, oidc_provider):
    back, _nonce = await at_provider(sso_client)
    oidc_provider.tamper(oidc_provider.sign(id_claims(oidc_provider, "nonce-lain")))
    await assert_refused(sso_client, db, world, await sso_client.get(back), "nonce",
                         "Token identitas tidak cocok")


async def test_a_sign_in_the_person_cancelled_is_refused(sso_client, db, world):
    await sso_client.get("/sso/login")
    state = sso_client.cookies.get("zona_sso")
    assert state
    started = await sso_client.get("/sso/login")
    query = query_of(started.headers["location"])
    response = await sso_client.get("/sso/callback", params={
        "state": query["state"], "error": "access_denied", "error_description": "batal"})
    await assert_refused(sso_client, db, world, response, "denied", "Masuk dibatalkan")


async def test_clock_skew_within_the_tolerance_is_accepted(sso_client, db, world,
                                                           oidc_provider):
    back, nonce = await at_provider(sso_client)
    now = int(time.time())
    # The provider's clock 60 s ahead (iat in our future) and a token that expired 60 s
    # ago by our clock: both inside 120 s.
    oidc_provider.tamper(oidc_provider.sign(
        id_claims(oidc_provider, nonce, iat=now + 60, exp=now - 60)))
    response = await sso_client.get(back)
    assert response.status_code == 303, response.text[:300]
    assert refusals(db) == []


async def test_sso_not_configured_says_so(client):
    response = await client.get("/sso/login")
    assert response.status_code == 404 and "SSO tidak aktif" in response.text
    callback = await client.get("/sso/callback", params={"state": "x", "code": "y"})
    assert callback.status_code == 404


async def test_a_key_rotation_at_the_provider_is_followed(sso_client, sso_app, db, world,
                                                         oidc_provider):
    client = sso_app.state.oidc
    assert (await _sign_in(sso_client)).status_code == 303
    fetched = client.jwks_fetches
    old_key = oidc_provider.key
    await sso_client.post("/logout", data={"csrf_token": await _csrf(sso_client)})

    oidc_provider.rotate_keys()  # restarted, signing with a new key; the old one withdrawn
    assert oidc_provider.key.kid != old_key.kid
    assert (await _sign_in(sso_client)).status_code == 303  # the new key id: fetched again
    assert client.jwks_fetches == fetched + 1
    assert [k.kid for k in client.keys().keys] == [oidc_provider.key.kid]

    # A token still signed with the withdrawn key is refused.
    await sso_client.post("/logout", data={"csrf_token": await _csrf(sso_client)})
    back, nonce = await at_provider(sso_client)
    oidc_provider.tamper(oidc_provider.sign(id_claims(oidc_provider, nonce), key=old_key))
    response = await sso_client.get(back)
    assert response.status_code == 400 and "Tanda tangan token tidak sah" in response.text
    assert refusals(db)[-1] == "signature"


async def _sign_in(client: httpx.AsyncClient) -> httpx.Response:
    back, _nonce = await at_provider(client)
    return await client.get(back)


async def _csrf(client: httpx.AsyncClient) -> str:
    import re

    page = await client.get("/account/sso")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def test_a_refusal_reads_english_for_an_english_reader(sso_client, db, world):
    await sso_client.get("/sso/login")
    response = await sso_client.get("/sso/callback",
                                    params={"state": "palsu", "code": "palsu", "lang": "en"})
    assert response.status_code == 400
    assert "Sign-in request not recognised" in response.text
    assert "Back to the sign-in page" in response.text
    assert refusals(db) == ["state"]
