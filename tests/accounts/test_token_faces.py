"""Both faces keep their own words when the tokens service refuses a token of another unit."""

from __future__ import annotations

from sqlmodel import select

from app.models import ApiToken, AuditRecord
from app.services.accounts import tokens
from tests.factories import login


async def test_a_token_of_another_unit_is_not_revoked_through_either_face(client, db, world):
    b1_token = tokens.create(
        db, actor=None, unit_id=world.unit("UNIT-B1"), name="Portal B1", scopes=["read"]
    ).token
    a1 = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")  # coordinator of UNIT-A1, not of UNIT-B1

    page = await client.post(f"/units/{a1}/tokens/{b1_token.id}/revoke",
                             data={"csrf_token": csrf, "confirm": "1"})
    assert page.status_code == 422
    assert "Token ini bukan milik unit ini." in page.text

    api = await client.delete(f"/api/v1/units/{a1}/tokens/{b1_token.id}",
                              headers={"X-CSRF-Token": csrf})
    assert api.status_code == 404
    assert api.json() == {"detail": f"Token {b1_token.id} tidak ditemukan di unit ini."}

    db.expire_all()
    assert db.get(ApiToken, b1_token.id).revoked_at is None
    assert db.exec(select(AuditRecord).where(AuditRecord.action == "revoke")).all() == []
