"""Single sign-on through a real OpenID provider (oidc-provider on loopback): accounts made
just in time from the claim mapping, transfers, linking, re-check, sign-out."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx
from sqlmodel import select

from app.models.accounts import BrowserSession, Membership, User
from app.models.audit import AuditRecord
from app.models.sso import SsoAccessRequest, SsoIdentity, SsoSession
from tests.factories import PASSWORD, login
from tests.support.oidc_provider import sign_in_at_provider

ZONA = "http://testserver"


async def start(client: httpx.AsyncClient, next_path: str = "/") -> str:
    response = await client.get("/sso/login", params={"next": next_path})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def sign_in(client: httpx.AsyncClient, sub: str, next_path: str = "/") -> httpx.Response:
    """Start at Zona, sign in at the provider's pages, come back: Zona's answer."""
    authorize = await start(client, next_path)
    back = sign_in_at_provider(authorize, sub, stop_at=ZONA)
    return await client.get(back.removeprefix(ZONA))


def onward(response: httpx.Response) -> str:
    """Where a page that goes on to the provider by itself sends the browser."""
    assert response.status_code == 200, response.status_code
    found = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', response.text)
    link = re.search(r'<a class="btn btn-primary" href="([^"]+)"', response.text)
    assert found and link and found.group(1) == link.group(1)
    return unescape(found.group(1))


def memberships(db, user_id: int, world) -> set[tuple[str, str]]:
    codes = {uid: code for code, uid in world.units.items()}
    db.expire_all()
    rows = db.exec(select(Membership).where(Membership.user_id == user_id)).all()
    return {(codes[m.unit_id], m.role) for m in rows}


def user_named(db, username: str) -> User | None:
    db.expire_all()
    return db.exec(select(User).where(User.username == username)).first()


def audits(db, action: str, entity: str | None = None) -> list[AuditRecord]:
    db.expire_all()
    query = select(AuditRecord).where(AuditRecord.action == action)
    if entity:
        query = query.where(AuditRecord.entity == entity)
    return list(db.exec(query.order_by(AuditRecord.id)).all())


async def signed_in(client: httpx.AsyncClient, world) -> bool:
    response = await client.get(f"/units/{world.unit('UNIT-A1')}")
    return response.status_code == 200


async def test_login_page_offers_sso_by_name(sso_client):
    page = await sso_client.get("/login")
    assert page.status_code == 200
    assert "Masuk dengan SSO Kemenkeu" in page.text
    assert 'href="/sso/login?next=/"' in page.text or 'href="/sso/login?next=%2F"' in page.text
    assert 'name="password"' in page.text  # passwords still on by default


async def test_first_sign_in_creates_the_account_in_its_unit_with_its_roles(
    sso_client, db, world, oidc_provider
):
    authorize = await start(sso_client, "/units")
    sent = httpx.URL(authorize).params
    assert authorize.startswith(oidc_provider.issuer + "/auth")
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["state"] and sent["nonce"] and sent["client_id"] == "zona"
    back = sign_in_at_provider(authorize, "budi-001", stop_at=ZONA)
    answer = await sso_client.get(back.removeprefix(ZONA))
    assert answer.status_code == 303 and answer.headers["location"] == "/units"
    assert await signed_in(sso_client, world)

    budi = user_named(db, "budi")
    assert budi.full_name == "Budi Santoso" and budi.email == "budi@kemenkeu.example"
    assert budi.password_hash == ""  # signs in through the provider only
    # org_code A1 -> member of UNIT-A1; group zona-koordinator-a1 -> its coordinator; the
    # "{value}" rule looks for a unit coded "A1", which does not exist: nothing more.
    assert memberships(db, budi.id, world) == {("UNIT-A1", "member"), ("UNIT-A1", "coordinator")}
    identity = db.exec(select(SsoIdentity).where(SsoIdentity.user_id == budi.id)).one()
    assert (identity.issuer, identity.subject) == (oidc_provider.issuer, "budi-001")
    assert identity.created_by_sso
    created = [a for a in audits(db, "create", "membership") if a.after.get("source") == "sso"]
    assert len(created) == 2
    logins = audits(db, "login", "user")
    assert logins[-1].actor_user_id == budi.id and logins[-1].after == {"method": "sso"}

    # The same person again: the same account (issuer + sub), nothing new.
    await sso_client.post("/logout", data={"csrf_token": await csrf(sso_client)})
    again = await sign_in(sso_client, "budi-001")
    assert again.status_code == 303
    assert len(db.exec(select(User).where(User.username.startswith("budi"))).all()) == 1


async def csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/account/sso")
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def test_a_transfer_at_the_provider_takes_effect_at_the_next_sign_in(
    sso_client, db, world, oidc_provider
):
    assert (await sign_in(sso_client, "sari-002")).status_code == 303
    sari = user_named(db, "sari")
    assert memberships(db, sari.id, world) == {("UNIT-A1", "member")}
    await sso_client.post("/logout", data={"csrf_token": await csrf(sso_client)})

    # Sari moves to unit B1: her organisation code changes at the provider.
    oidc_provider.set_user("sari-002", {"name": "Sari Dewi", "preferred_username": "sari",
                                        "org_code": "B1", "groups": []})
    assert (await sign_in(sso_client, "sari-002")).status_code == 303
    assert user_named(db, "sari").id == sari.id  # the same account
    assert memberships(db, sari.id, world) == {("UNIT-B1", "member")}
    removed = audits(db, "delete", "membership")
    assert [(a.unit_id, a.before["role"], a.before["source"]) for a in removed] == \
        [(world.unit("UNIT-A1"), "member", "sso")]
    added = [a for a in audits(db, "create", "membership")
             if a.unit_id == world.unit("UNIT-B1") and a.after.get("source") == "sso"]
    assert [a.after["user_id"] for a in added] == [sari.id]
    assert (await sso_client.get(f"/units/{world.unit('UNIT-A1')}")).status_code == 403
    assert (await sso_client.get(f"/units/{world.unit('UNIT-B1')}")).status_code == 200


async def test_an_organisation_code_that_is_a_unit_code_maps_through_the_value_rule(
    sso_client, db, world
):
    assert (await sign_in(sso_client, "kanwil-006")).status_code == 303
    person = user_named(db, "kanwil.a")
    assert memberships(db, person.id, world) == {("KANWIL-A", "viewer")}


async def test_claims_mapping_to_nothing_ask_for_the_coordinator_and_leave_a_request(
    sso_client, client, db, world, oidc_provider
):
    refused = await sign_in(sso_client, "tono-003")
    assert refused.status_code == 403
    assert "Minta akses ke koordinator Anda" in refused.text
    assert "koordinator tim Zona Integritas unit Anda" in refused.text
    assert "zona_session" not in refused.headers.get("set-cookie", "")
    assert user_named(db, "tono") is None  # no account for claims that map to nothing
    assert not await signed_in(sso_client, world)
    request = db.exec(select(SsoAccessRequest)).one()
    assert (request.subject, request.name, request.attempts) == ("tono-003", "Tono Wibowo", 1)
    assert request.claims["org_code"] == "X9"
    assert [a.entity_id for a in audits(db, "sso.refused")] == ["unmapped"]

    await sign_in(sso_client, "tono-003")
    db.expire_all()
    assert db.exec(select(SsoAccessRequest)).one().attempts == 2

    # The administrator sees the request and marks it handled; a coordinator may not.
    coordinator_csrf = await login(client, "coord_a1")
    assert (await client.get("/admin/sso-requests")).status_code == 403
    await client.post("/logout", data={"csrf_token": coordinator_csrf})
    admin_csrf = await login(client, "admin")
    listing = await client.get("/admin/sso-requests")
    assert listing.status_code == 200
    assert "Tono Wibowo" in listing.text and "X9" in listing.text
    done = await client.post(f"/admin/sso-requests/{request.id}/resolve",
                             data={"csrf_token": admin_csrf})
    assert done.status_code == 303
    assert "Tono Wibowo" not in (await client.get("/admin/sso-requests")).text
    db.expire_all()
    assert db.get(SsoAccessRequest, request.id).resolved_by == world.users["admin"]


async def test_a_person_whose_claims_no_longer_map_loses_the_roles_at_sign_in(
    sso_client, db, world, oidc_provider
):
    assert (await sign_in(sso_client, "dewi-004")).status_code == 303
    dewi = user_named(db, "dewi")
    await sso_client.post("/logout", data={"csrf_token": await csrf(sso_client)})
    oidc_provider.set_user("dewi-004", {"name": "Dewi Lestari", "preferred_username": "dewi",
                                        "org_code": "PENSIUN", "groups": []})
    refused = await sign_in(sso_client, "dewi-004")
    assert refused.status_code == 403 and "Minta akses" in refused.text
    assert memberships(db, dewi.id, world) == set()
    assert not await signed_in(sso_client, world)


async def test_a_person_disabled_at_the_provider_is_cut_off_after_the_recheck_interval(
    sso_client, sso_app, db, world, oidc_provider
):
    assert (await sign_in(sso_client, "dewi-004")).status_code == 303
    dewi = user_named(db, "dewi")
    assert sso_app.state.settings.oidc_recheck_seconds == 60
    oidc_provider.disable("dewi-004")
    # Within the interval the session is not asked about again.
    assert await signed_in(sso_client, world)

    def age_last_check(seconds: int) -> None:
        db.expire_all()
        row = db.exec(select(SsoSession)).one()
        row.checked_at = row.checked_at - timedelta(seconds=seconds)
        db.add(row)
        db.commit()

    age_last_check(61)
    refused = await sso_client.get(f"/units/{world.unit('UNIT-A1')}")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    db.expire_all()
    assert db.exec(select(BrowserSession).where(BrowserSession.user_id == dewi.id)).one() \
        .revoked_at is not None
    cut = audits(db, "sso.recheck-refused")
    assert [(a.entity_id, a.after["reason"]) for a in cut] == [(str(dewi.id), "denied")]


async def test_the_recheck_applies_a_transfer_without_a_new_sign_in(
    sso_client, db, world, oidc_provider
):
    assert (await sign_in(sso_client, "sari-002")).status_code == 303
    sari = user_named(db, "sari")
    oidc_provider.set_user("sari-002", {"name": "Sari Dewi", "preferred_username": "sari",
                                        "org_code": "B1", "groups": []})
    db.expire_all()
    row = db.exec(select(SsoSession)).one()
    row.checked_at = row.checked_at - timedelta(seconds=61)
    db.add(row)
    db.commit()
    assert (await sso_client.get(f"/units/{world.unit('UNIT-B1')}")).status_code == 200
    assert memberships(db, sari.id, world) == {("UNIT-B1", "member")}


async def test_sign_out_ends_the_session_and_goes_to_the_providers_end_session(
    sso_client, db, world, oidc_provider
):
    assert (await sign_in(sso_client, "budi-001")).status_code == 303
    out = await sso_client.post("/logout", data={"csrf_token": await csrf(sso_client)})
    assert "Anda sudah keluar dari Zona" in out.text
    target = httpx.URL(onward(out))
    assert str(target).startswith(oidc_provider.issuer + "/session/end")
    assert target.params["post_logout_redirect_uri"] == "http://testserver/login"
    assert target.params["client_id"] == "zona" and target.params["id_token_hint"].count(".") == 2
    assert not await signed_in(sso_client, world)
    # The provider accepts the request (its own confirmation page).
    confirm = httpx.get(str(target), timeout=10)
    assert confirm.status_code == 200 and "logout" in confirm.text.lower()


async def test_a_password_session_signs_out_locally(sso_client, world):
    token = await login(sso_client, "coord_a1")
    out = await sso_client.post("/logout", data={"csrf_token": token})
    assert out.headers["location"] == "/login"


async def test_the_owner_of_a_local_account_links_it_and_then_signs_in_with_sso(
    sso_client, db, world, oidc_provider
):
    from app.services.accounts import users as accounts

    rina = accounts.create_user(db, actor=None, username="rina", full_name="Rina K",
                                password=PASSWORD)
    accounts.add_membership(db, actor=None, user_id=rina.id, unit_id=world.unit("UNIT-A1"),
                            role="viewer")
    token = await login(sso_client, "rina")
    page = await sso_client.get("/account/sso")
    assert "Akun Zona Anda belum tertaut" in page.text
    started = await sso_client.post("/sso/link", data={"csrf_token": token})
    back = sign_in_at_provider(onward(started), "rina-005", stop_at=ZONA)
    linked = await sso_client.get(back.removeprefix(ZONA))
    assert linked.status_code == 303 and linked.headers["location"] == "/account/sso?linked=1"
    identity = db.exec(select(SsoIdentity).where(SsoIdentity.subject == "rina-005")).one()
    assert identity.user_id == rina.id and not identity.created_by_sso
    assert audits(db, "link", "sso_identity")[-1].actor_user_id == rina.id

    await sso_client.post("/logout", data={"csrf_token": await csrf(sso_client)})
    assert (await sign_in(sso_client, "rina-005")).status_code == 303
    assert user_named(db, "rina.k") is None  # no second account: the linked one
    logins = audits(db, "login", "user")
    assert logins[-1].actor_user_id == rina.id
    # From now on the provider's claims give her roles: org_code A1 -> member.
    assert memberships(db, rina.id, world) == {("UNIT-A1", "member")}


async def test_an_sso_account_linked_to_someone_else_cannot_be_linked_again(
    sso_client, db, world
):
    assert (await sign_in(sso_client, "budi-001")).status_code == 303
    await sso_client.post("/logout", data={"csrf_token": await csrf(sso_client)})
    token = await login(sso_client, "member_a1")
    started = await sso_client.post("/sso/link", data={"csrf_token": token})
    back = sign_in_at_provider(onward(started), "budi-001", stop_at=ZONA)
    refused = await sso_client.get(back.removeprefix(ZONA))
    assert refused.status_code == 403 and "sudah tertaut ke akun Zona lain" in refused.text
    assert db.exec(select(SsoIdentity).where(SsoIdentity.user_id == world.users["member_a1"])
                   ).first() is None


async def test_passwords_off_leaves_them_to_the_named_admins(
    sso_client, sso_app, world, monkeypatch
):
    monkeypatch.setattr(sso_app.state.settings, "oidc_local_login", False)
    monkeypatch.setattr(sso_app.state.settings, "oidc_local_admins", "admin")
    page = await sso_client.get("/login")
    assert "Masuk dengan SSO Kemenkeu" in page.text
    assert "Administrator: masuk dengan kata sandi" in page.text
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = await sso_client.post("/login", data={
        "username": "coord_a1", "password": PASSWORD, "csrf_token": csrf_token})
    assert refused.status_code == 403
    assert "Masuk dengan kata sandi tidak tersedia" in refused.text
    assert "zona_session" not in refused.headers.get("set-cookie", "")
    assert (await login(sso_client, "admin"))


async def test_passwords_off_without_named_admins_shows_no_password_form(
    sso_client, sso_app, world, monkeypatch
):
    monkeypatch.setattr(sso_app.state.settings, "oidc_local_login", False)
    monkeypatch.setattr(sso_app.state.settings, "oidc_local_admins", "")
    page = await sso_client.get("/login")
    assert "Masuk dengan SSO Kemenkeu" in page.text
    assert 'name="password"' not in page.text
    assert re.search(r'name="csrf_token"', page.text) is None  # no form on the page at all
    # Posted anyway (with a valid token for this browser): refused, even for the admin.
    from app.deps import anonymous_csrf_token

    token = anonymous_csrf_token(sso_app.state.secret_key, sso_client.cookies["zona_csrf"])
    refused = await sso_client.post("/login", data={
        "username": "admin", "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 403
    assert "Masuk dengan kata sandi tidak tersedia" in refused.text
