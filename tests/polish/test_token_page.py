"""The token page: every problem of the form at once, days typed as Indonesians write them,
the one-time token with its copy button, scopes in words."""

from __future__ import annotations

from sqlmodel import select

from app.models import ApiToken
from tests.factories import login


async def test_token_form(client, db, world):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    refused = await client.post(f"/units/{unit_id}/tokens", data={
        "csrf_token": csrf, "name": "", "scopes": "bogus", "expires_in_days": "setahun"})
    assert refused.status_code == 422
    for problem in ("Nama token wajib diisi.", "Cakupan tidak dikenal: bogus.",
                    "Masa berlaku 1-3650 hari."):
        assert problem in refused.text
    assert db.exec(select(ApiToken)).all() == []

    made = await client.post(f"/units/{unit_id}/tokens", data={
        "csrf_token": csrf, "name": "SIMPEG", "scopes": ["read", "read:audit"],
        "expires_in_days": "1.000"})
    assert made.status_code == 200
    token = db.exec(select(ApiToken)).one()
    days = (token.expires_at - token.created_at).total_seconds() / 86400
    assert abs(days - 1000) < 1 / 24, days  # 1.000 days, not 1
    assert 'data-copy="#issued-token"' in made.text and "/static/copy.js" in made.text
    # the scopes of the listed token in words, not codes
    assert "Membaca data unit (LKE, survei, program, hasil)." in made.text
    assert "<td>read read:audit</td>" not in made.text
