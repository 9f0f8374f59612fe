"""A token of another unit is answered like a token that does not exist, on both faces:
the same status and the same words, so token ids cannot be probed; and nothing changes."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models import ApiToken, AuditRecord
from app.services.accounts import tokens
from tests.factories import login
from tests.support.problems import problem

NOT_THERE = 999999


def _lead(html: str) -> str:
    return re.search(r'<p class="lead">(.*?)</p>', html, re.S).group(1).strip()


async def test_a_token_of_another_unit_is_answered_like_one_that_does_not_exist(
        client, db, world):
    b1_token = tokens.create(
        db, actor=None, unit_id=world.unit("UNIT-B1"), name="Portal B1", scopes=["read"]
    ).token
    a1 = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")  # coordinator of UNIT-A1, not of UNIT-B1

    answers = {}
    for token_id in (b1_token.id, NOT_THERE):
        page = await client.post(f"/units/{a1}/tokens/{token_id}/revoke",
                                 data={"csrf_token": csrf, "confirm": "1"})
        api = await client.delete(f"/api/v1/units/{a1}/tokens/{token_id}",
                                  headers={"X-CSRF-Token": csrf})
        answers[token_id] = (page.status_code, _lead(page.text), api.status_code, problem(api)["detail"])

    assert answers[NOT_THERE] == (
        404, f"Token {NOT_THERE} tidak ditemukan.",
        404, f"Token {NOT_THERE} tidak ditemukan.",
    )
    assert answers[b1_token.id] == (
        404, f"Token {b1_token.id} tidak ditemukan.",
        404, f"Token {b1_token.id} tidak ditemukan.",
    )

    db.expire_all()
    assert db.get(ApiToken, b1_token.id).revoked_at is None
    assert db.exec(select(AuditRecord).where(AuditRecord.action == "revoke")).all() == []
