"""Single sign-on through a real OpenID provider (oidc-provider on loopback): accounts made
just in time from the claim mapping, transfers, linking, re-check, sign-out."""

from __future__ import annotations

from datetime import timedelta

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
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
