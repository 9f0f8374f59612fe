"""Reliability: many people submitting at once over real sockets (uvicorn on loopback).

Every acknowledged response (303 to the thank-you page, or 2xx from the API) must be stored
exactly once, nothing may fail with a 5xx, and batch retries racing each other with the same
idempotency keys must be counted once. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from app.models.surveys.guard import SurveyThrottle
from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services.accounts import tokens
from app.services.surveys import guard as survey_guard
from tests.support.survey_forms import IKM, U, hidden, ikm_form, make_campaign, make_unit

CLIENTS = 50
PER_CLIENT = 40  # 2,000 submissions


@pytest.fixture
def open_guard(app, monkeypatch):
    """Everyone comes from 127.0.0.1 here, 2,000 answers within seconds: lift the per-IP
    limits, the fill time and the campaign's velocity limit."""
    settings = app.state.settings
    monkeypatch.setattr(settings, "survey_throttle_flag_after", 10**6)
    monkeypatch.setattr(settings, "survey_throttle_refuse_after", 10**6)
    monkeypatch.setattr(settings, "survey_min_fill_seconds", 0)
    monkeypatch.setattr(settings, "survey_velocity_floor", 10**6)


@pytest.mark.slow
async def test_2000_form_submissions_from_50_clients_stored_exactly_once(
    live_server, db, open_guard
):
    campaign = make_campaign(db, make_unit(db))
    code = campaign.public_code
    statuses: Counter[int] = Counter()
    acknowledged: list[str] = []

    async def person(n: int) -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=live_server, timeout=60, limits=limits) as c:
            for k in range(PER_CLIENT):
                c.cookies.delete(survey_guard.DEVICE_COOKIE)  # a new phone every time
                page = await c.get(f"/s/{code}")  # a form of its own: each is good once
                assert page.status_code == 200
                csrf, served = hidden(page.text, "csrf_token"), hidden(page.text, "t")
                marker = f"c{n:02d}-{k:02d}"
                values = [(n + k + i) % 4 + 1 for i in range(9)]
                reply = await c.post(f"/s/{code}", data={
                    "csrf_token": csrf, "t": served, "website": "",
                    **ikm_form(values), "suggestion": marker,
                })
                statuses[reply.status_code] += 1
                if reply.status_code == 303:
                    acknowledged.append(marker)

    await asyncio.gather(*(person(n) for n in range(CLIENTS)))

    assert statuses == {303: CLIENTS * PER_CLIENT}
    stored = db.execute(select(SurveyResponse.suggestion, SurveyResponse.suspect)).all()
    assert Counter(s for s, _ in stored) == Counter(acknowledged)  # each exactly once
    assert not any(suspect for _, suspect in stored)
    assert db.execute(select(func.count()).select_from(SurveyAnswer)).scalar_one() == 9 * 2000
    # the answer values add up to what was sent (no answer lost or doubled)
    expected = sum((n + k + i) % 4 + 1 for n in range(CLIENTS) for k in range(PER_CLIENT)
                   for i in range(9))
    assert db.execute(select(func.sum(SurveyAnswer.value))).scalar_one() == expected
    # the per-IP counter saw every submission (atomic upsert under concurrency)
    assert db.execute(select(func.sum(SurveyThrottle.hits))).scalar_one() == 2000


async def test_parallel_batch_retries_with_the_same_keys_count_once(live_server, db):
    unit_id = make_unit(db)
    campaign = make_campaign(db, unit_id)
    secret = tokens.create(db, actor=None, unit_id=unit_id, name="kiosk",
                           scopes=["write:surveys"]).secret
    batches = [
        {"items": [
            {"idempotency_key": f"kiosk-{b}-{i:03d}",
             "answers": {IKM: {u: (b + i + j) % 4 + 1 for j, u in enumerate(U)}}}
            for i in range(25)
        ]}
        for b in range(8)
    ]
    statuses: Counter[int] = Counter()
    created = 0

    async def sender(batch: dict) -> None:
        nonlocal created
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(base_url=live_server, timeout=60, headers=headers) as c:
            for _attempt in range(10):  # a client retrying until acknowledged
                reply = await c.post(
                    f"/api/v1/survey-campaigns/{campaign.id}/responses/batch", json=batch)
                statuses[reply.status_code] += 1
                if reply.status_code == 200:
                    created += reply.json()["created"]
                    return
                assert reply.status_code == 409, reply.text

    # every batch sent by 5 senders at once (a kiosk retrying after a timeout, in parallel)
    await asyncio.gather(*(sender(batch) for batch in batches for _copy in range(5)))

    assert set(statuses) <= {200, 409} and statuses[200] == 40
    assert created == 8 * 25
    keys = db.execute(select(SurveyResponse.idempotency_key)).scalars().all()
    assert len(keys) == 200 and len(set(keys)) == 200
    assert db.execute(select(func.count()).select_from(SurveyAnswer)).scalar_one() == 200 * 9
