"""Survey stuffing without spoofing: single-use form tokens, per-campaign velocity, and what
the coordinator sees. Numbers are worked by hand from what each test sends."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from app.domain.surveys.guard import GuardPolicy
from app.models.surveys.guard import SurveyCampaignRate, SurveyFormNonce
from app.models.surveys.records import SurveyResponse
from app.services.accounts import tokens
from app.services.surveys import guard as survey_guard
from app.services.surveys import intake as survey_intake
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from app.web.surveys import fast_lane
from tests.factories import login
from tests.support.survey_forms import (
    IKM,
    U,
    hidden,
    ikm_form,
    legacy_token,
    make_campaign,
    make_unit,
    open_form,
    submit,
)

NOON = datetime(2026, 3, 2, 5, 0, 0, tzinfo=UTC)  # 12:00 in Jakarta, a minute boundary
#: No per-IP limits here (these tests are about forms and campaigns), the default velocity.
POLICY = GuardPolicy(min_fill_seconds=0, flag_after=10**6, refuse_after=10**6)


@pytest.fixture
def campaign(db):
    return make_campaign(db, make_unit(db))


class Clock:
    """The writer's and the submit's clock, moved by the test (the form tokens keep the real
    time they were served at: the clock starts a minute ahead of it)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(survey_intake, "utcnow", clock)
    monkeypatch.setattr(fast_lane, "utcnow", clock)
    return clock


def submission(campaign, values, *, nonce=None, suggestion=None, policy=POLICY):
    return survey_intake.Submission(
        campaign_id=campaign.id,
        checked=survey_responses.CheckedSubmission(
            answers=[(IKM, u, v) for u, v in zip(U, values, strict=True)], service_id=None,
            source_tag=None, profile=None, suggestion=suggestion),
        meta=survey_responses.ResponseMeta(fill_seconds=40),
        submitted_at=NOON, policy=policy, form_nonce=nonce,
    )


def write(engine, subs, now=NOON):
    with engine.begin() as connection:
        return survey_intake.write_batch(connection, subs, now)


def reasons_by_suggestion(db) -> dict[str, list[str] | None]:
    db.expire_all()
    return {r.suggestion: r.suspect_reasons for r in db.execute(
        select(SurveyResponse).order_by(SurveyResponse.id)).scalars()}


def count(db, model) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def ikm_of(db, campaign):
    return survey_results.campaign_results(db, campaign=campaign)


async def post_form(client, code, html, values, **headers):
    """What a phone does: post the form it was served, with its own token."""
    return await client.post(f"/s/{code}", headers=headers, data={
        "csrf_token": hidden(html, "csrf_token"), "t": hidden(html, "t"), "website": "",
        **ikm_form(values)})


# --- the flood of the issue ---------------------------------------------------------------


async def test_a_flood_through_one_form_changes_no_index_while_sixty_genuine_answers_count(
        db, campaign, make_client, clock):
    code = campaign.public_code
    office = "198.51.100.20"  # one NAT address for everybody, the stuffer included
    stuffer = make_client(office)
    html = await open_form(stuffer, code)
    clock.advance(10)
    # The stuffer answers once through the form it was served: one person, one answer.
    assert (await post_form(stuffer, code, html, (3,) * 9)).status_code == 303
    # Then sends the same form 100 times more, all 1s, dropping the device cookie and
    # claiming another address every time (this peer is no trusted proxy: ignored anyway).
    for k in range(100):
        stuffer.cookies.delete(survey_guard.DEVICE_COOKIE, path="/s/")
        reply = await post_form(stuffer, code, html, (1,) * 9,
                                **{"X-Forwarded-For": f"10.{k}.0.1"})
        assert reply.status_code == 303  # the robot sees "thank you" like anyone
    # 59 more people at the same address, each through a form served to them, one every
    # 10 s (a busy morning: 6 a minute, 60 in 10 minutes, twice the old per-IP flag limit).
    for n in range(59):
        phone = make_client(office)
        html = await open_form(phone, code)
        clock.advance(10)
        values = (4,) * 9 if n < 20 else (3,) * 9
        assert (await post_form(phone, code, html, values)).status_code == 303

    # Counted: 40 answers of all 3s and 20 of all 4s. Every element's NRR is
    # (40 x 3 + 20 x 4) / 60 = 10/3, IKM = 10/3 x 25 = 250/3 = 83.33 (grade B). Had the flood
    # counted: (200 + 100) / 160 = 15/8 per element, IKM 46.88.
    res = ikm_of(db, campaign)
    ikm = res.result("ikm").ikm
    assert ikm.ikm == Fraction(250, 3) and ikm.ikm_shown == Decimal("83.33")
    assert ikm.grade.letter == "B"
    assert (res.respondents, res.stored, res.suspect_pending) == (60, 160, 100)
    rows = db.execute(select(SurveyResponse).order_by(SurveyResponse.id)).scalars().all()
    flood = [r for r in rows if r.suspect]
    assert len(flood) == 100 and all("form_reused" in r.suspect_reasons for r in flood)
    assert all(not r.reportable for r in flood)
    assert [r.id for r in rows if not r.suspect] == [rows[0].id] + [r.id for r in rows[101:]]
    # Only the genuine answers were counted per minute (the flood was not "clean").
    assert db.execute(select(func.sum(SurveyCampaignRate.arrivals),
                             func.sum(SurveyCampaignRate.held))).one() == (60, 0)
    assert count(db, SurveyFormNonce) == 60


# --- single-use forms -------------------------------------------------------------------------


def test_reuse_within_one_batch_first_counts_the_rest_are_suspect(engine, db, campaign):
    outcomes = write(engine, [
        submission(campaign, [4] * 9, nonce="form-a", suggestion="first"),
        submission(campaign, [1] * 9, nonce="form-a", suggestion="again"),
        submission(campaign, [4] * 9, nonce="form-b", suggestion="other form"),
        submission(campaign, [2] * 9, nonce="form-a", suggestion="third time"),
        submission(campaign, [4] * 9, nonce="form-a", suggestion="first"),  # identical resend
    ])
    assert [o.suspect for o in outcomes] == [False, True, False, True, False]
    assert outcomes[4].duplicate and outcomes[4].id == outcomes[0].id
    assert reasons_by_suggestion(db) == {
        "first": None, "again": ["form_reused"], "other form": None,
        "third time": ["form_reused"]}
    # Counted: two answers of all 4s: IKM 100.
    res = ikm_of(db, campaign)
    assert res.result("ikm").ikm.ikm == 100 and (res.respondents, res.stored) == (2, 4)


def test_reuse_across_batches_and_an_identical_resend(engine, db, campaign):
    (first,) = write(engine, [submission(campaign, [3] * 9, nonce="form-c", suggestion="a")])
    (again,) = write(engine, [submission(campaign, [1] * 9, nonce="form-c", suggestion="b")])
    # A network retry of the first answer, a minute later: the first answer comes back.
    (retry,) = write(engine, [submission(campaign, [3] * 9, nonce="form-c", suggestion="a")],
                     NOON + timedelta(minutes=1))
    assert not first.suspect and again.suspect and not again.duplicate
    assert retry.duplicate and retry.id == first.id and not retry.suspect
    assert retry.submitted_at.replace(tzinfo=UTC) == NOON
    assert reasons_by_suggestion(db) == {"a": None, "b": ["form_reused"]}
    res = ikm_of(db, campaign)
    assert res.result("ikm").ikm.ikm == 75 and (res.respondents, res.stored) == (1, 2)


@pytest.mark.parametrize("first_commits", [True, False])
def test_two_batches_using_one_form_at_the_same_moment(engine, db, campaign, first_commits):
    """Two processes store answers with the same form at once: the second waits for the
    first's transaction; the form is used if that committed, still free if it rolled back."""
    outcome = {}

    def other_process():
        outcome["second"] = write(engine, [
            submission(campaign, [1] * 9, nonce="form-d", suggestion="second")])[0]

    with engine.connect() as connection:
        transaction = connection.begin()
        survey_intake.write_batch(connection, [
            submission(campaign, [4] * 9, nonce="form-d", suggestion="first")], NOON)
        thread = threading.Thread(target=other_process)
        thread.start()
        time.sleep(0.2)  # let it reach the write lock (SQLite) or the nonce (PostgreSQL)
        if first_commits:
            transaction.commit()
        else:
            transaction.rollback()
    thread.join(30)
    if first_commits:
        assert outcome["second"].suspect
        assert reasons_by_suggestion(db) == {"first": None, "second": ["form_reused"]}
    else:
        assert not outcome["second"].suspect
        assert reasons_by_suggestion(db) == {"second": None}
    assert count(db, SurveyFormNonce) == 1


async def test_a_double_tap_stores_one_answer_and_a_changed_resend_is_held(client, app, db,
                                                                          campaign, clock):
    code = campaign.public_code
    html = await open_form(client, code)
    clock.advance(20)
    assert (await post_form(client, code, html, (4,) * 9)).status_code == 303
    # The same form and answers again (a double tap, a retry after a lost connection).
    assert (await post_form(client, code, html, (4,) * 9)).status_code == 303
    assert reasons_by_suggestion(db) == {None: None}
    # The same form with other answers: kept, not counted.
    reply = await post_form(client, code, html, (1,) * 9)
    assert reply.status_code == 303
    rows = db.execute(select(SurveyResponse).order_by(SurveyResponse.id)).scalars().all()
    assert [r.suspect_reasons for r in rows] == [None, ["form_reused", "repeat_device"]]
    assert ikm_of(db, campaign).result("ikm").ikm.ikm == 100


async def test_a_form_served_before_single_use_tokens_is_held(client, app, db, campaign):
    code = campaign.public_code
    html = await open_form(client, code)
    reply = await submit(client, app, code, html, ikm_form(),
                         t=legacy_token(app.state.secret_key, code, 60))
    assert reply.status_code == 303
    assert [r.suspect_reasons for r in db.execute(select(SurveyResponse)).scalars()] == [
        ["no_form_time"]]


async def test_an_api_retry_with_its_idempotency_key_is_not_a_reuse(client, db):
    unit_id = make_unit(db)
    campaign = make_campaign(db, unit_id)
    secret = tokens.create(db, actor=None, unit_id=unit_id, name="kiosk",
                           scopes=["write:surveys"]).secret
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "kiosk-1-000001"}
    body = {"answers": {IKM: {u: 3 for u in U}}}
    url = f"/api/v1/survey-campaigns/{campaign.id}/responses"
    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"]
    res = ikm_of(db, campaign)
    assert (res.respondents, res.stored, res.suspect_pending) == (1, 1, 0)
    assert res.result("ikm").ikm.ikm == 75


# --- velocity ---------------------------------------------------------------------------------


def _history(db, campaign, minutes: list[tuple[int, int, int]]) -> None:
    """(minutes before NOON, arrivals, held) rows of the campaign's past."""
    db.add_all(SurveyCampaignRate(campaign_id=campaign.id, minute=int(NOON.timestamp()) - 60 * m,
                                  arrivals=a, held=h) for m, a, h in minutes)
    db.commit()


def test_a_burst_far_above_the_usual_rate_is_held_with_its_numbers(engine, db, campaign):
    # The past 14 days: 200 minutes with one answer, 50 with two, and an earlier burst of 40
    # of which 20 were held: (200 + 100 + 20) / 251 = 320/251 = 1.27 a minute usually (the
    # 20 held ones left out; with them it would read 1.35). A minute 15 days ago is too old.
    _history(db, campaign, [(m, 1, 0) for m in range(1, 201)]
             + [(m, 2, 0) for m in range(201, 251)] + [(300, 40, 20), (15 * 24 * 60, 500, 0)])
    # 10 s into the minute, 50 answers at once. The minute before had 1, weighing 50/60:
    # the k-th is judged on 5/6 + k. Limit max(20, ceil(10 x 1.27)) = 20: the first 19 count,
    # the 20th (20.83) to the 50th (50.83) are held at 21 .. 51 a minute.
    burst = [submission(campaign, [1] * 9, suggestion=f"b{k}") for k in range(1, 51)]
    outcomes = write(engine, burst, NOON + timedelta(seconds=10))
    assert [o.suspect for o in outcomes] == [False] * 19 + [True] * 31
    reasons = reasons_by_suggestion(db)
    assert reasons["b19"] is None and reasons["b20"] == ["velocity:21:1.3"]
    assert reasons["b50"] == ["velocity:51:1.3"]
    # The burst goes on into the next minute: its 50 weigh 50 x 50/60 = 41.67, so the next
    # answer is held at once (42.67 -> 43). Usually now (320 + 19) / 252 = 1.35 -> "1.3".
    write(engine, [submission(campaign, [1] * 9, suggestion="next")],
          NOON + timedelta(seconds=70))
    assert reasons_by_suggestion(db)["next"] == ["velocity:43:1.3"]
    # A quiet minute later the burst is over: counted again.
    write(engine, [submission(campaign, [1] * 9, suggestion="calm")],
          NOON + timedelta(seconds=190))
    assert reasons_by_suggestion(db)["calm"] is None
    rate = {r.minute - int(NOON.timestamp()): (r.arrivals, r.held)
            for r in db.execute(select(SurveyCampaignRate)).scalars()
            if r.minute >= int(NOON.timestamp())}
    assert rate == {0: (50, 31), 60: (1, 1), 180: (1, 0)}
    # The minute older than 14 days was pruned when a new minute opened.
    oldest = int(NOON.timestamp()) - 15 * 24 * 3600
    assert db.get(SurveyCampaignRate, (campaign.id, oldest)) is None
    res = ikm_of(db, campaign)
    assert (res.respondents, res.suspect_pending) == (20, 32)
    assert res.result("ikm").ikm.ikm == 25  # the counted ones are all 1s: 1 x 25


def test_a_normal_busy_day_is_not_held(engine, db, campaign):
    # A fresh campaign's first busy morning: 12 answers a minute for 30 minutes, 4 at a time
    # at :05, :25 and :45. The estimate never passes 15 (12 x 55/60 + 4, 12 x 35/60 + 8,
    # 12 x 15/60 + 12), under the floor of 20.
    for minute in range(30):
        for second in (5, 25, 45):
            at = NOON + timedelta(minutes=minute, seconds=second)
            outcomes = write(engine, [submission(campaign, [3] * 9) for _ in range(4)], at)
            assert not any(o.suspect for o in outcomes)
    # A large campaign that usually gets 8 a minute (480 answers in its last 60 minutes):
    # limit 80. Ten minutes of 60 a minute, 20 at a time: 8 x 55/60 + 20 = 27.3 at first,
    # then 75 at every step, all counted.
    big = make_campaign(db, make_unit(db, "KPPN-B", "KPPN Besar"), label="2026-S2")
    _history(db, big, [(m, 8, 0) for m in range(1, 61)])
    for minute in range(10):
        for second in (5, 25, 45):
            at = NOON + timedelta(minutes=minute, seconds=second)
            outcomes = write(engine, [submission(big, [4] * 9) for _ in range(20)], at)
            assert not any(o.suspect for o in outcomes)
    assert ikm_of(db, campaign).respondents == 360
    assert ikm_of(db, big).respondents == 600
    assert ikm_of(db, campaign).result("ikm").ikm.ikm == 75


# --- the coordinator's review page -----------------------------------------------------------


async def test_the_coordinator_sees_why_an_answer_is_held(client, engine, db, world,
                                                          make_campaign):
    campaign = make_campaign()  # UNIT-A1
    # 4 answers in its last 3 active minutes: usually 4/3 = 1.3 a minute, limit 20.
    _history(db, campaign, [(1, 1, 0), (2, 2, 0), (3, 1, 0)])
    # 30 s into a minute the previous minute's 1 answer weighs 1/2: the k-th of 21 answers
    # is judged on k + 1/2, so the 20th (20.5) and the 21st (21.5) are held at 21 and 22.
    write(engine, [submission(campaign, [4] * 9, suggestion=f"s{k}") for k in range(21)],
          NOON + timedelta(seconds=30))
    write(engine, [submission(campaign, [4] * 9, nonce="form-e", suggestion="one"),
                   submission(campaign, [1] * 9, nonce="form-e", suggestion="two")],
          NOON + timedelta(hours=1))
    reasons = reasons_by_suggestion(db)
    assert reasons["s19"] == ["velocity:21:1.3"] and reasons["s20"] == ["velocity:22:1.3"]
    assert reasons["two"] == ["form_reused"]
    await login(client, "coord_a1")
    url = f"/units/{world.unit('UNIT-A1')}/surveys/campaigns/{campaign.id}/responses?suspect=1"
    page = (await client.get(url)).text
    assert "Formulir yang sama dikirim lebih dari sekali" in page
    assert "Lonjakan jawaban: 21 jawaban per menit, biasanya 1,3" in page
    assert "Lonjakan jawaban: 22 jawaban per menit, biasanya 1,3" in page
    assert "velocity:" not in page and "form_reused" not in page
    english = (await client.get(url + "&lang=en")).text
    assert "The same form was sent more than once" in english
    assert "Surge of answers: 21 answers per minute, usually 1.3" in english
