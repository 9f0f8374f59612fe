"""CSRF, API tokens, sign-in throttling and sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.models import ApiToken, AuditRecord, PredicateAward
from app.models.base import utcnow
from app.security.passwords import sha256_hex
from tests.factories import PASSWORD, issue_token, login, page_csrf

PREDICATE = {"predicate": "WBK", "year": 2018, "decree_number": "KEP-1/2018",
             "decree_date": "2018-12-10"}


async def test_cross_site_post_without_csrf_token_is_refused_and_changes_nothing(
    client, db, world
):
    await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    refused = await client.post(f"/units/{unit_id}/predicates", data=PREDICATE)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    wrong = await client.post(
        f"/units/{unit_id}/predicates", data=PREDICATE, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    assert db.exec(select(PredicateAward)).all() == []


async def test_same_site_form_with_token_is_accepted(client, db, world):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    response = await client.post(
        f"/units/{unit_id}/predicates", data={**PREDICATE, "csrf_token": csrf}
    )
    assert response.status_code == 303
    assert [a.decree_number for a in db.exec(select(PredicateAward)).all()] == ["KEP-1/2018"]


async def test_login_form_needs_csrf_token(client, world):
    await client.get("/login")
    response = await client.post("/login", data={"username": "coord_a1", "password": PASSWORD})
    assert response.status_code == 403
    assert "zona_session" not in client.cookies


async def test_tokens_are_hashed_at_rest(db, world):
    secret = issue_token(db, world, "UNIT-A1", ["read"])
    stored = db.exec(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix + stored.token_hash)
    assert stored.token_hash == sha256_hex(secret)
    assert len(secret) > 40


async def test_token_wrong_expired_revoked_are_401(client, db, world):
    unit_id = world.unit("UNIT-A1")
    secret = issue_token(db, world, "UNIT-A1", ["read"])
    ok = await client.get(f"/api/v1/units/{unit_id}", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200
    assert ok.json()["code"] == "UNIT-A1"

    wrong = await client.get(
        f"/api/v1/units/{unit_id}", headers={"Authorization": "Bearer zona_not-a-token"}
    )
    assert wrong.status_code == 401

    token = db.exec(select(ApiToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.add(token)
    db.commit()
    expired = await client.get(
        f"/api/v1/units/{unit_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert expired.status_code == 401

    second = issue_token(db, world, "UNIT-A1", ["read"])
    csrf = await login(client, "coord_a1")
    second_id = db.exec(select(ApiToken).where(ApiToken.token_hash == sha256_hex(second))).one().id
    revoked = await client.delete(
        f"/api/v1/units/{unit_id}/tokens/{second_id}", headers={"X-CSRF-Token": csrf}
    )
    assert revoked.status_code == 200
    client.cookies.clear()
    after = await client.get(
        f"/api/v1/units/{unit_id}", headers={"Authorization": f"Bearer {second}"}
    )
    assert after.status_code == 401


async def test_token_is_bound_to_its_unit_and_scopes(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])
    headers = {"Authorization": f"Bearer {secret}"}
    other_unit = await client.get(f"/api/v1/units/{world.unit('UNIT-A2')}", headers=headers)
    assert other_unit.status_code == 403
    # Recording a predicate needs unit.manage, which no token scope grants.
    missing_scope = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/predicates", json=PREDICATE, headers=headers
    )
    assert missing_scope.status_code == 403
    assert db.exec(select(PredicateAward)).all() == []


async def test_last_used_time_is_recorded(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["read"])
    assert db.exec(select(ApiToken)).one().last_used_at is None
    await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    db.expire_all()
    assert db.exec(select(ApiToken)).one().last_used_at is not None


async def test_login_throttle_per_account(client, world):
    csrf = await page_csrf(client)
    for _ in range(5):
        bad = await client.post(
            "/login", data={"username": "coord_a1", "password": "wrong", "csrf_token": csrf}
        )
        assert bad.status_code == 401
    blocked = await client.post(
        "/login", data={"username": "coord_a1", "password": PASSWORD, "csrf_token": csrf}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "zona_session" not in client.cookies




async def test_logout_ends_the_session_server_side(client, world):
    csrf = await login(client, "coord_a1")
    cookie = client.cookies.get("zona_session")
    out = await client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    # Replaying the old cookie after sign-out does not work.
    client.cookies.set("zona_session", cookie)
    again = await client.get(f"/units/{world.unit('UNIT-A1')}")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")


async def test_session_cookie_flags(client, world):
    csrf = await page_csrf(client)
    response = await client.post(
        "/login", data={"username": "coord_a1", "password": PASSWORD, "csrf_token": csrf}
    )
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header


async def test_login_next_never_leaves_the_site(client, world):
    csrf = await page_csrf(client)
    response = await client.post(
        "/login",
        data={"username": "coord_a1", "password": PASSWORD, "csrf_token": csrf,
              "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/"


async def test_security_headers(client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_audit_records_login(client, db, world):
    await login(client, "coord_a1")
    actions = [r.action for r in db.exec(select(AuditRecord)).all()]
    assert "login" in actions


async def test_api_docs_are_public_and_declare_the_bearer_scheme(client, db, world):
    """The document (never the data) is readable without signing in: an integrator
    generates a client from it before holding a token."""
    schema = await client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert (await client.get("/api/v1/units")).status_code == 401  # the data is not public
    body = schema.json()
    assert body["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert "/api/v1/units/{unit_id}" in body["paths"]
    assert not any(not p.startswith("/api/") for p in body["paths"])
    docs = await client.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
