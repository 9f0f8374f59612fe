"""The public form's write path: batches of submissions in one transaction (group commit).

Numbers are worked by hand from what each test sends: the values of every answer, the
per-IP thresholds of the policy, the rows a batch must leave behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.db import insert_rows, reserve_ids
from app.domain.surveys.guard import GuardPolicy, Reason
from app.models.surveys.guard import SurveyThrottle
from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services.errors import TooManyAttempts
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import guard as survey_guard
from app.services.surveys import intake as survey_intake
from app.services.surveys import responses as survey_responses
from tests.support.survey_forms import IKM, U, make_campaign, make_unit

OPEN = GuardPolicy(min_fill_seconds=0, flag_after=10**6, refuse_after=10**6, velocity_floor=10**6)


@pytest.fixture
def campaign(db):
    return make_campaign(db, make_unit(db))


def checked(campaign, values, *, suggestion=None, service_id=None):
    return survey_responses.CheckedSubmission(
        answers=[(IKM, u, v) for u, v in zip(U, values, strict=True)],
        service_id=service_id, source_tag=None, profile=None, suggestion=suggestion,
    )


def submission(campaign, values, *, ip="a" * 64, policy=OPEN, **kwargs):
    return survey_intake.Submission(
        campaign_id=campaign.id, checked=checked(campaign, values, **kwargs),
        meta=survey_responses.ResponseMeta(ip_hash=ip, device_hash="d" * 64, fill_seconds=40),
        submitted_at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC), policy=policy,
    )


def stored(db):
    db.expire_all()
    return (db.execute(select(func.count()).select_from(SurveyResponse)).scalar_one(),
            db.execute(select(func.count()).select_from(SurveyAnswer)).scalar_one())


async def submit_all(writer, subs):
    return await asyncio.gather(*(writer.submit(s) for s in subs), return_exceptions=True)


async def test_submissions_sent_together_share_one_transaction(engine, db, campaign):
    writer = survey_intake.IntakeWriter(engine)
    # Response n answers (n % 4) + 1 to every item, with its number as the suggestion.
    subs = [submission(campaign, [(n % 4) + 1] * 9, suggestion=f"no-{n}") for n in range(30)]
    results = await submit_all(writer, subs)
    assert writer.batches == 1 and writer.stored == 30
    assert [r.campaign_id for r in results] == [campaign.id] * 30
    assert len({r.id for r in results}) == 30
    assert stored(db) == (30, 270)
    # Every response's answers are its own: 9 x its value, found through the returned id.
    for n, result in enumerate(results):
        row = db.get(SurveyResponse, result.id)
        assert row.suggestion == f"no-{n}" and not row.suspect
        total = db.execute(select(func.sum(SurveyAnswer.value)).where(
            SurveyAnswer.response_id == result.id)).scalar_one()
        assert total == 9 * ((n % 4) + 1)
    writer.close()


async def test_a_burst_from_one_address_is_flagged_then_refused_in_order(engine, db, campaign):
    writer = survey_intake.IntakeWriter(engine)
    policy = GuardPolicy(min_fill_seconds=0, window_seconds=600, flag_after=3,
                         refuse_after=5)
    subs = [submission(campaign, [4] * 9, ip="b" * 64, policy=policy, suggestion=str(n))
            for n in range(7)]
    other = submission(campaign, [3] * 9, ip="c" * 64, policy=policy, suggestion="other")
    results = await submit_all(writer, [*subs, other])
    assert writer.batches == 1
    # Counts 1-3 are within the limit, 4 and 5 above flag_after, 6 and 7 above refuse_after.
    assert [type(r).__name__ for r in results] == ["RecordedResponse"] * 5 + [
        "TooManyAttempts"] * 2 + ["RecordedResponse"]
    assert [r.suspect for r in results[:5]] == [False, False, False, True, True]
    assert results[5].retry_after >= 1
    rows = {r.suggestion: r for r in db.execute(select(SurveyResponse)).scalars()}
    assert sorted(rows) == ["0", "1", "2", "3", "4", "other"]
    assert rows["3"].suspect_reasons == [Reason.ip_burst] and not rows["3"].reportable
    # The refused two were taken off the count again; the other address counts on its own.
    hits = dict(db.execute(select(SurveyThrottle.key, SurveyThrottle.hits)).all())
    assert hits == {"b" * 64: 5, "c" * 64: 1}
    writer.close()


async def test_a_closed_campaign_refuses_in_the_same_batch(engine, db, campaign):
    other = make_campaign(db, make_unit(db, "KPPN-Q", "KPPN Lain"), label="2026-S2")
    survey_campaigns.close_campaign(db, actor=None, campaign_id=other.id)
    writer = survey_intake.IntakeWriter(engine)
    results = await submit_all(writer, [submission(campaign, [4] * 9),
                                        submission(other, [4] * 9)])
    assert isinstance(results[0], survey_responses.RecordedResponse)
    assert isinstance(results[1], survey_campaigns.CampaignClosed)
    assert "ditutup" in results[1].message
    assert stored(db) == (1, 9)
    writer.close()


async def test_one_bad_submission_does_not_sink_its_batch(engine, db, campaign):
    writer = survey_intake.IntakeWriter(engine)
    good = [submission(campaign, [2] * 9, suggestion=f"good-{n}") for n in range(3)]
    bad = submission(campaign, [2] * 9, service_id=999_999)  # no such service: FK refuses
    results = await submit_all(writer, [good[0], bad, good[1], good[2]])
    assert [isinstance(r, survey_responses.RecordedResponse) for r in results] == [
        True, False, True, True]
    assert isinstance(results[1], Exception)
    assert stored(db) == (3, 27)
    writer.close()


def test_throttle_counts_a_burst_in_one_statement_and_keeps_only_accepted(db):
    policy = GuardPolicy(window_seconds=600, flag_after=2, refuse_after=4)
    at = datetime(2026, 3, 2, 5, 0, 30, tzinfo=UTC)
    assert survey_guard.count_arrivals(db, ip_hash="e" * 64, arrivals=3, policy=policy,
                                       now=at) == ["ok", "ok", "flag"]
    assert survey_guard.count_arrivals(db, ip_hash="e" * 64, arrivals=3, policy=policy,
                                       now=at) == ["flag", "refuse", "refuse"]
    db.commit()
    assert db.get(SurveyThrottle, ("e" * 64, int(datetime(2026, 3, 2, 5, 0,
                                                         tzinfo=UTC).timestamp()))).hits == 4


def test_bulk_rows_read_back_as_the_orm_writes_them(engine, db, campaign):
    """insert_rows stores JSON, times and booleans exactly as SQLAlchemy would."""
    via_orm = survey_responses.record_response(
        db, campaign=campaign, answers={(IKM, u): 3 for u in U},
        profile={"gender": "P"}, suggestion="Ramah",
        meta=survey_responses.ResponseMeta(ip_hash="f" * 64, fill_seconds=12),
        suspect_reasons=["too_fast"], now=datetime(2026, 3, 2, 5, 0, 1, tzinfo=UTC),
    )
    with engine.begin() as connection:
        (new_id,) = reserve_ids(connection, SurveyResponse.__table__, 1)
        sub = survey_responses.CheckedSubmission(answers=[(IKM, u, 3) for u in U], service_id=None,
                                        source_tag=None, profile={"gender": "P"},
                                        suggestion="Ramah")
        row = survey_responses.response_row(campaign.id, sub, survey_responses.ResponseMeta(
            ip_hash="f" * 64, fill_seconds=12), ["too_fast"], "web",
            datetime(2026, 3, 2, 5, 0, 1, tzinfo=UTC))
        insert_rows(connection, SurveyResponse.__table__, [{**row, "id": new_id}])
        insert_rows(connection, SurveyAnswer.__table__, survey_responses.answer_rows(new_id, row, sub))
    assert new_id > via_orm.id
    db.expire_all()
    first, second = db.get(SurveyResponse, via_orm.id), db.get(SurveyResponse, new_id)
    for name in ("campaign_id", "submitted_at", "service_id", "source_tag", "channel",
                 "profile", "suggestion", "ip_hash", "fill_seconds", "suspect",
                 "suspect_reasons", "reportable"):
        assert getattr(first, name) == getattr(second, name), name
    assert second.profile == {"gender": "P"} and second.suspect is True
    answers = db.execute(select(SurveyAnswer.value, SurveyAnswer.reportable).where(
        SurveyAnswer.response_id == new_id)).all()
    assert answers == [(3, False)] * 9


async def test_a_locked_sqlite_database_does_not_stall_the_event_loop(engine, db, campaign):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL batches always run in a worker thread")
    writer = survey_intake.IntakeWriter(engine)
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        other = sqlite3.connect(engine.url.database, timeout=5)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(5)
        other.rollback()
        other.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    locked.wait(5)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def let_go_later():
        await asyncio.sleep(0.4)
        release.set()

    started = time.monotonic()
    result, *_ = await asyncio.gather(
        writer.submit(submission(campaign, [4] * 9)), ticker(), let_go_later())
    holder.join()
    # The loop kept running while the batch waited in a worker thread for the lock.
    assert isinstance(result, survey_responses.RecordedResponse)
    assert time.monotonic() - started >= 0.4 and ticks >= 20
    assert stored(db) == (1, 9)
    writer.close()


def test_refusal_message_is_the_polite_one():
    exc = survey_guard.refusal(datetime(2026, 3, 2, 5, 0, 30, tzinfo=UTC),
                               GuardPolicy(window_seconds=600))
    assert isinstance(exc, TooManyAttempts) and exc.retry_after == 570
    assert "Terlalu banyak isian" in exc.message


# --- the public form on top of it: the cached context never outlives a change that matters --


async def test_closing_a_campaign_refuses_the_next_submission_at_once(client, app, db,
                                                                     campaign):
    from tests.support.survey_forms import ikm_form, open_form, submit

    code = campaign.public_code
    html = await open_form(client, code)
    assert (await submit(client, app, code, html, ikm_form())).status_code == 303
    survey_campaigns.close_campaign(db, actor=None, campaign_id=campaign.id)
    # Well within the context cache's seconds: the writer reads the state itself.
    client.cookies.delete(survey_guard.DEVICE_COOKIE, path="/s/")
    refused = await submit(client, app, code, html, ikm_form())
    assert refused.status_code == 409 and "Survei sudah ditutup" in refused.text
    assert stored(db) == (1, 9)


async def test_a_source_tag_added_a_moment_ago_is_accepted(client, app, db, campaign):
    from tests.support.survey_forms import ikm_form, open_form, submit

    code = campaign.public_code
    html = await open_form(client, code)
    assert (await submit(client, app, code, html, ikm_form())).status_code == 303
    survey_catalogue.create_source(db, actor=None, campaign_id=campaign.id, tag="loket-2",
                          label="Loket 2")
    client.cookies.delete(survey_guard.DEVICE_COOKIE, path="/s/")
    reply = await submit(client, app, code, html, ikm_form(), src="loket-2")
    assert reply.status_code == 303
    db.expire_all()
    tags = db.execute(select(SurveyResponse.source_tag).order_by(SurveyResponse.id)).all()
    assert [t for (t,) in tags] == [None, "loket-2"]


async def test_a_submission_queued_as_a_drain_finishes_is_still_written(engine, campaign,
                                                                        monkeypatch):
    """The exact moment: the drain has looked at an empty queue and is ending when the next
    submission arrives (in the same loop iteration). That submission must start a new drain
    instead of waiting forever for the ending one."""
    writer = survey_intake.IntakeWriter(engine)
    monkeypatch.setattr(writer, "_transaction", lambda _engine, subs: [
        survey_responses.RecordedResponse(n + 1, campaign.id, s.submitted_at, False)
        for n, s in enumerate(subs)])
    late = writer.submit(submission(campaign, [3] * 9))
    waiting: list[asyncio.Future] = []

    def arrive_late():
        # Runs the submission's synchronous start right here, the way a request arriving in
        # this loop iteration would, and keeps the future it then waits on.
        waiting.append(late.send(None))

    first = asyncio.ensure_future(writer.submit(submission(campaign, [4] * 9)))
    first.add_done_callback(lambda _: arrive_late())
    await first
    for _ in range(3):
        await asyncio.sleep(0)
    assert waiting, "the late submission did not start"
    # Written within moments (a short gather under load), not left waiting forever.
    await asyncio.wait_for(asyncio.shield(waiting[0]), timeout=2)
    with pytest.raises(StopIteration) as finished:
        late.send(None)
    assert isinstance(finished.value.value, survey_responses.RecordedResponse)
    writer.close()


def test_several_addresses_are_counted_together_as_each_alone(db):
    policy = GuardPolicy(window_seconds=600, flag_after=2, refuse_after=4)
    at = datetime(2026, 3, 2, 5, 0, 30, tzinfo=UTC)
    window = int(datetime(2026, 3, 2, 5, 0, tzinfo=UTC).timestamp())
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    assert survey_guard.count_arrivals(db, ip_hash=b, arrivals=2, policy=policy, now=at) == [
        "ok", "ok"]
    verdicts = survey_guard.count_arrivals_many(db, {c: 1, a: 3, b: 3}, policy=policy, now=at)
    # Up to 2 ok, the 3rd and 4th flagged, from the 5th refused. a: 1st-3rd; b (2 counted
    # before): 3rd, 4th, 5th.
    assert verdicts == {a: ["ok", "ok", "flag"], b: ["flag", "flag", "refuse"], c: ["ok"]}
    db.commit()
    hits = {key: db.get(SurveyThrottle, (key, window)).hits for key in (a, b, c)}
    assert hits == {a: 3, b: 4, c: 1}  # the refused two are not counted
