"""Idempotency-Key on the API's creates: a repeat returns the first answer and creates
nothing; the same key with another request is refused; keys are per token and path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from app.models.idempotency import IdempotencyRecord
from app.models.lke.assessments import Assessment
from app.models.lke.evidence import Evidence
from app.models.programme import Innovation
from app.models.surveys.records import SurveyCampaign
from app.services import idempotency
from app.services.accounts import tokens
from tests.factories import issue_token, login
from tests.support.lke_review import PDF

CAMPAIGN = {
    "title": "Survei Semester I 2026", "instruments": ["ikm-2017"], "period_kind": "semester",
    "period_label": "2026-S1", "opens_on": "2026-01-05", "closes_on": "2026-06-30",
    "population": 500,
}


def count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def assert_codes(response, expected: list[str]) -> None:
    """The problem's ``errors`` codes, once the API answers problem details (RFC 9457)."""
    body = response.json()
    if "errors" in body:
        assert [e["code"] for e in body["errors"]] == expected
        assert [e["location"] for e in body["errors"]] == ["header"] * len(expected)


def headers(secret: str, key: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {secret}"}
    if key is not None:
        h["Idempotency-Key"] = key
    return h


async def test_a_repeated_create_returns_the_first_answer_and_creates_nothing(
        client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/assessments"
    body = {"year": 2026, "target": "WBK"}
    first = await client.post(url, json=body, headers=headers(secret, "3f1c-0001"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # The same JSON with its keys in another order and other spaces is the same request.
    again = await client.post(url, content=b'{ "target" : "WBK", "year" : 2026 }',
                              headers={**headers(secret, "3f1c-0001"),
                                       "Content-Type": "application/json"})
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert count(db, Assessment) == 1
    # Without the key the same request is a new one: the one-per-year rule answers.
    assert (await client.post(url, json=body, headers=headers(secret))).status_code == 409


async def test_the_same_key_with_another_request_is_refused(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    first = await client.post(url, json=CAMPAIGN, headers=headers(secret, "k-1"))
    assert first.status_code == 201, first.text
    other = await client.post(url, json={**CAMPAIGN, "population": 501},
                              headers=headers(secret, "k-1"))
    assert other.status_code == 422
    assert "Idempotency-Key" in other.text
    assert_codes(other, ["idempotency_key_reused"])
    assert count(db, SurveyCampaign) == 1
    # Another query string is another request too.
    other = await client.post(url + "?x=1", json=CAMPAIGN, headers=headers(secret, "k-1"))
    assert other.status_code == 422


async def test_keys_are_per_token_and_per_path(client, db, world):
    kiosk = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    portal = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    a = await client.post(url, json=CAMPAIGN, headers=headers(kiosk, "same"))
    b = await client.post(url, json=CAMPAIGN, headers=headers(portal, "same"))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    service = await client.post(f"/api/v1/units/{world.unit('UNIT-A1')}/survey-services",
                                json={"code": "paspor", "name": "Paspor"},
                                headers=headers(kiosk, "same"))
    assert service.status_code == 201, service.text
    assert count(db, SurveyCampaign) == 2
    assert count(db, IdempotencyRecord) == 3


async def test_a_refused_first_request_frees_its_key(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    bad = {**CAMPAIGN, "instruments": ["tidak-ada"]}
    refused = await client.post(url, json=bad, headers=headers(secret, "k-2"))
    assert refused.status_code == 422
    assert count(db, IdempotencyRecord) == 0
    # The corrected request may use the same key: the refused one changed nothing.
    fixed = await client.post(url, json=CAMPAIGN, headers=headers(secret, "k-2"))
    assert fixed.status_code == 201, fixed.text
    assert count(db, SurveyCampaign) == 1


async def test_an_upload_repeated_with_its_key_is_stored_once(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:indicators"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/evidence"
    answers = []
    for _ in range(2):  # each send has its own multipart boundary
        answers.append(await client.post(
            url, data={"title": "SK Tim"}, files={"file": ("sk.pdf", PDF, "application/pdf")},
            headers=headers(secret, "upload-1")))
    assert [a.status_code for a in answers] == [201, 201], answers[0].text
    assert answers[0].json() == answers[1].json()
    assert count(db, Evidence) == 1
    other_file = await client.post(
        url, data={"title": "SK Tim"},
        files={"file": ("sk.pdf", PDF + b"%extra", "application/pdf")},
        headers=headers(secret, "upload-1"))
    assert other_file.status_code == 422
    assert count(db, Evidence) == 1


async def test_programme_creates_take_the_key(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:programme"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/innovations"
    body = {"title": "Antrian daring", "stage": "penerapan", "phase": "wbk",
            "change_area": "pelayanan_publik", "started_on": "2025-03-01"}
    first = await client.post(url, json=body, headers=headers(secret, "inv-1"))
    again = await client.post(url, json=body, headers=headers(secret, "inv-1"))
    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert first.json() == again.json()
    assert count(db, Innovation) == 1


async def test_a_key_still_running_is_409_and_a_dead_one_is_taken_over(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    actor = tokens.authenticate(db, secret=secret)
    path = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    # A first request with this key is running (reserved, no answer yet).
    reserved = idempotency.begin(
        db, actor=actor, method="POST", path=path, key="busy",
        fingerprint=idempotency.fingerprint(query="", body=json.dumps(CAMPAIGN).encode()))
    assert isinstance(reserved, idempotency.Reservation)
    running = await client.post(path, json=CAMPAIGN, headers=headers(secret, "busy"))
    assert running.status_code == 409
    assert count(db, SurveyCampaign) == 0
    # The first request's process died: after the in-flight timeout a repeat runs.
    row = db.get(IdempotencyRecord, reserved.record_id)
    row.created_at = datetime.now(UTC) - idempotency.IN_FLIGHT_TIMEOUT - timedelta(seconds=1)
    db.add(row)
    db.commit()
    taken = await client.post(path, json=CAMPAIGN, headers=headers(secret, "busy"))
    assert taken.status_code == 201, taken.text
    assert count(db, SurveyCampaign) == 1


async def test_a_create_committed_by_a_process_that_died_before_its_answer_is_not_run_again(
        client, db, world):
    """The process committed the create and died before it stored the answer (a replica
    killed between the two commits): the repeat, even after the in-flight timeout, does not
    create a second campaign; it is told the request was done."""
    from datetime import date

    from app.services.surveys import campaigns as survey_campaigns

    secret = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    actor = tokens.authenticate(db, secret=secret)
    path = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    reserved = idempotency.begin(
        db, actor=actor, method="POST", path=path, key="died-after-commit",
        fingerprint=idempotency.fingerprint(query="", body=json.dumps(CAMPAIGN).encode()))
    idempotency.watch(db, record_id=reserved.record_id)  # as app.deps does
    survey_campaigns.create_campaign(  # the route's work, committed; then the process died
        db, actor=actor, unit_id=world.unit("UNIT-A1"), data=survey_campaigns.CampaignInput(
            title=CAMPAIGN["title"], instrument_codes=CAMPAIGN["instruments"],
            period_kind="semester", period_label="2026-S1", opens_on=date(2026, 1, 5),
            closes_on=date(2026, 6, 30), population=500))
    row = db.get(IdempotencyRecord, reserved.record_id)
    assert row.completed_at is not None and row.status_code is None
    soon = await client.post(path, json=CAMPAIGN, headers=headers(secret, "died-after-commit"))
    assert soon.status_code == 409 and "masih diproses" in soon.json()["detail"]
    row.created_at = datetime.now(UTC) - idempotency.IN_FLIGHT_TIMEOUT - timedelta(seconds=1)
    db.add(row)
    db.commit()
    late = await client.post(path, json=CAMPAIGN, headers=headers(secret, "died-after-commit"))
    assert late.status_code == 409, late.text
    assert "sudah dijalankan" in late.json()["detail"]
    assert "was done" in late.json()["detail_en"]
    assert count(db, SurveyCampaign) == 1


def test_keys_expire_after_the_retention(db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    actor = tokens.authenticate(db, secret=secret)
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    args = {"actor": actor, "method": "POST", "path": "/api/v1/x", "key": "k",
            "fingerprint": "a" * 64}
    first = idempotency.begin(db, now=start, **args)
    idempotency.complete(db, record_id=first.record_id, status_code=201,
                         media_type="application/json", body='{"id": 1}')
    replay = idempotency.begin(db, now=start + timedelta(hours=23), **args)
    assert replay == idempotency.Replay(201, "application/json", '{"id": 1}')
    fresh = idempotency.begin(db, now=start + timedelta(hours=24, seconds=1), **args)
    assert isinstance(fresh, idempotency.Reservation)


async def test_a_malformed_key_is_refused_with_the_header_named(client, db, world):
    secret = issue_token(db, world, "UNIT-A1", ["write:surveys"])
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    for key in ("dua kata", "x" * 256):
        response = await client.post(url, json=CAMPAIGN, headers=headers(secret, key))
        assert response.status_code == 422, key
    assert count(db, SurveyCampaign) == 0


async def test_a_person_signed_in_may_use_keys_too(client, db, world):
    csrf = await login(client, "coord_a1")
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns"
    h = {"X-CSRF-Token": csrf, "Idempotency-Key": "form-7"}
    first = await client.post(url, json=CAMPAIGN, headers=h)
    again = await client.post(url, json=CAMPAIGN, headers=h)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert count(db, SurveyCampaign) == 1


def test_every_create_declares_the_header(app):
    from app.api.docs import build_openapi

    schema = build_openapi(app)
    creates = []
    for path, operations in schema["paths"].items():
        post = operations.get("post")
        if post is None or "201" not in post["responses"] or path.endswith("/tokens"):
            continue
        creates.append(path)
        names = [p["name"] for p in post.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names, path
    assert len(creates) >= 15


def test_migration_0810_goes_down_and_up(scratch_database_url):
    from alembic import command
    from sqlalchemy import inspect

    from app.db import make_engine
    from app.migrate import alembic_config

    config = alembic_config(scratch_database_url)
    command.upgrade(config, "0810")
    engine = make_engine(scratch_database_url)
    assert "idempotency_record" in inspect(engine).get_table_names()
    command.downgrade(config, "0800")
    assert "idempotency_record" not in inspect(engine).get_table_names()
    command.upgrade(config, "0810")
    assert "idempotency_record" in inspect(engine).get_table_names()
    engine.dispose()
