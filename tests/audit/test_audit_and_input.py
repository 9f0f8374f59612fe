"""Audit log records and bad input: clear 4xx, never 500, nothing changed."""

from __future__ import annotations

from sqlmodel import select

from app.models import AuditRecord, PredicateAward
from tests.factories import login
from tests.support.problems import problem, text


def _changes(db):
    records = db.exec(select(AuditRecord).order_by(AuditRecord.id)).all()
    return [r for r in records if r.action not in ("login", "logout")]


async def test_a_change_writes_exactly_one_audit_record_with_before_and_after(client, db, world):
    csrf = await login(client, "coord_a1")
    before = len(_changes(db))
    unit_id = world.unit("UNIT-A1")
    response = await client.post(
        f"/api/v1/units/{unit_id}/predicates",
        json={"predicate": "WBK", "year": 2018, "decree_number": "KEP-9/2018",
              "decree_date": "2018-12-10"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    records = _changes(db)[before:]
    assert len(records) == 1
    record = records[0]
    assert record.action == "create" and record.entity == "predicate_award"
    assert record.before is None
    assert record.after["decree_number"] == "KEP-9/2018"
    assert record.actor_label == "coord_a1"
    assert record.unit_id == unit_id
    assert record.request_id


async def test_revoking_a_token_records_before_and_after(client, db, world):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    created = await client.post(
        f"/api/v1/units/{unit_id}/tokens", json={"name": "SKM", "scopes": ["read"]},
        headers={"X-CSRF-Token": csrf},
    )
    token_id = created.json()["id"]
    count = len(_changes(db))
    await client.delete(f"/api/v1/units/{unit_id}/tokens/{token_id}",
                        headers={"X-CSRF-Token": csrf})
    (record,) = _changes(db)[count:]
    assert record.action == "revoke"
    assert record.before["revoked_at"] is None
    assert record.after["revoked_at"] is not None
    assert "token_hash" not in record.after


async def test_a_refused_change_writes_no_audit_record(client, db, world):
    csrf = await login(client, "coord_a1")
    count = len(_changes(db))
    # WBBM without a WBK held is refused by the rule.
    response = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/predicates",
        json={"predicate": "WBBM", "year": 2019, "decree_number": "KEP-2/2019",
              "decree_date": "2019-12-10"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert "WBK" in text(response)
    assert len(_changes(db)) == count
    assert db.exec(select(PredicateAward)).all() == []


async def test_audit_page_and_api_filter(client, db, world):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    await client.post(
        f"/api/v1/units/{unit_id}/tokens", json={"name": "SKM", "scopes": ["read"]},
        headers={"X-CSRF-Token": csrf},
    )
    api = await client.get(f"/api/v1/units/{unit_id}/audit", params={"entity": "api_token"})
    assert api.status_code == 200
    assert [i["entity"] for i in api.json()["items"]] == ["api_token"]
    page = await client.get(f"/units/{unit_id}/audit", params={"entity": "api_token"})
    assert page.status_code == 200 and "api_token" in page.text
    bad_date = await client.get(f"/units/{unit_id}/audit", params={"since": "kemarin"})
    assert bad_date.status_code == 422


async def test_audit_records_cannot_be_changed(db, world):
    import pytest

    record = db.exec(select(AuditRecord)).first()
    record.action = "tampered"
    db.add(record)
    with pytest.raises(RuntimeError, match="append-only"):
        db.commit()
    db.rollback()


async def test_bad_input_is_a_clear_4xx_and_changes_nothing(client, db, world):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    url = f"/api/v1/units/{unit_id}/predicates"
    headers = {"X-CSRF-Token": csrf, "content-type": "application/json"}
    malformed = await client.post(url, content=b'{"predicate": "WBK",', headers=headers)
    assert malformed.status_code == 422
    assert [e["code"] for e in problem(malformed)["errors"]] == ["json_invalid"]
    wrong_type = await client.post(
        url, json={"predicate": "WBK", "year": "dua ribu", "decree_number": "x",
                   "decree_date": "2018-01-01"}, headers={"X-CSRF-Token": csrf},
    )
    assert wrong_type.status_code == 422
    unknown_field = await client.post(
        url, json={"predicate": "WBK", "year": 2018, "decree_number": "x",
                   "decree_date": "2018-12-01", "admin": True}, headers={"X-CSRF-Token": csrf},
    )
    assert unknown_field.status_code == 422
    oversized = await client.post(
        url, content=b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}', headers=headers
    )
    assert oversized.status_code == 413
    assert problem(oversized)["status"] == 413
    assert db.exec(select(PredicateAward)).all() == []


async def test_unknown_ids_are_404_for_admin_and_403_for_others(client, world):
    await login(client, "admin")
    assert (await client.get("/api/v1/units/999999")).status_code == 404
    assert (await client.get("/units/999999")).status_code == 404
    assert (await client.get("/api/v1/units/abc")).status_code in (403, 422)
    client.cookies.clear()
    await login(client, "coord_a1")
    assert (await client.get("/api/v1/units/999999")).status_code == 403


async def test_unknown_api_path_is_json_404(client, world):
    await login(client, "coord_a1")
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert problem(response) == {
        "type": "about:blank", "title": "Tidak ditemukan", "status": 404,
        "detail": "Halaman atau data tidak ditemukan.", "detail_en": "Page or record not found.",
        "errors": [],
    }


async def test_page_errors_are_readable_pages(client, world):
    await login(client, "coord_a1")
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "tidak ditemukan" in response.text


async def test_only_admins_create_units(client, db, world):
    body = {"code": "UNIT-A3", "name": "KPPN A3", "level": "unit",
            "parent_id": world.unit("KANWIL-A")}
    csrf = await login(client, "coord_a1")
    refused = await client.post("/api/v1/units", json=body, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = await login(client, "admin")
    created = await client.post("/api/v1/units", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    duplicate = await client.post("/api/v1/units", json=body, headers={"X-CSRF-Token": csrf})
    assert duplicate.status_code == 422
    assert "sudah dipakai" in text(duplicate)
