"""The public form's abuse-guard rules (pure) and the signed form time / device cookie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from app.domain.surveys.guard import (
    GuardPolicy,
    Reason,
    ThrottleVerdict,
    fill_time_reason,
    honeypot_tripped,
    retry_after_seconds,
    sliding_count,
    suspicion_reasons,
    throttle_verdict,
    verdicts_in_order,
    window_start,
)
from app.services.surveys import guard as survey_guard
from tests.support.survey_forms import legacy_token, old_token

SECRET = "s" * 40
NOON = datetime(2026, 3, 2, 5, 0, 0, tzinfo=UTC)  # 12:00 in Jakarta, a window boundary


def test_windows_align_on_the_epoch():
    assert window_start(NOON, 600) == NOON
    assert window_start(NOON + timedelta(seconds=599), 600) == NOON
    assert window_start(NOON + timedelta(seconds=600), 600) == NOON + timedelta(minutes=10)
    # naive datetimes are read as UTC
    assert window_start(NOON.replace(tzinfo=None) + timedelta(seconds=61), 60) == \
        NOON + timedelta(minutes=1)


def test_sliding_estimate_weights_the_previous_window():
    # 150 s into a 600 s window: 3/4 of the previous window is still inside the last 600 s.
    at = NOON + timedelta(seconds=150)
    assert sliding_count(40, 5, at, 600) == Fraction(3, 4) * 40 + 5 == 35
    assert sliding_count(40, 5, NOON, 600) == 45  # at the boundary the whole previous counts
    assert sliding_count(0, 7, at, 600) == 7


def test_throttle_thresholds_are_strictly_above():
    policy = GuardPolicy(flag_after=30, refuse_after=120)
    assert throttle_verdict(30, policy) is ThrottleVerdict.ok
    assert throttle_verdict(Fraction(61, 2), policy) is ThrottleVerdict.flag
    assert throttle_verdict(120, policy) is ThrottleVerdict.flag
    assert throttle_verdict(121, policy) is ThrottleVerdict.refuse


def test_a_burst_is_judged_in_arrival_order_and_refusals_do_not_count():
    policy = GuardPolicy(window_seconds=600, flag_after=3, refuse_after=5)
    at = NOON + timedelta(seconds=30)
    # 30 s in: 29/30 of the previous window's 0 weighs nothing; counts 1..5 then 6 > 5.
    assert verdicts_in_order(0, 0, 7, at, policy) == [
        "ok", "ok", "ok", "flag", "flag", "refuse", "refuse"]
    # 2 already counted: the burst's first is the 3rd (ok), then 4 and 5 flag, then refused.
    assert verdicts_in_order(0, 2, 4, at, policy) == ["ok", "flag", "flag", "refuse"]
    # 480 s into a window the previous window's 5 weigh 5 x 120/600 = 1: 1+1, 1+2 ok, 1+3 flag,
    # 1+4 = 5 flag, 1+5 = 6 refused.
    later = NOON + timedelta(seconds=480)
    assert verdicts_in_order(5, 0, 6, later, policy) == [
        "ok", "ok", "flag", "flag", "refuse", "refuse"]
    assert verdicts_in_order(0, 9, 0, at, policy) == []


def test_burst_verdicts_match_judging_one_submission_at_a_time():
    """The same verdicts as counting each submission on its own (refused ones uncounted)."""
    policy = GuardPolicy(window_seconds=600, flag_after=4, refuse_after=9)
    for previous in (0, 1, 7, 13, 40):
        for elapsed in (0, 1, 150, 333, 599):
            at = NOON + timedelta(seconds=elapsed)
            for counted in (0, 3, 8, 12):
                expected, accepted = [], 0
                for _ in range(12):
                    verdict = throttle_verdict(
                        sliding_count(previous, counted + accepted + 1, at, 600), policy)
                    accepted += verdict is not ThrottleVerdict.refuse
                    expected.append(verdict)
                assert verdicts_in_order(previous, counted, 12, at, policy) == expected


def test_retry_after_counts_to_the_end_of_the_window():
    assert retry_after_seconds(NOON + timedelta(seconds=150), 600) == 450
    assert retry_after_seconds(NOON + timedelta(seconds=599, microseconds=500000), 600) == 1


def test_policy_refuses_nonsense():
    with pytest.raises(ValueError):
        GuardPolicy(flag_after=10, refuse_after=5)
    with pytest.raises(ValueError):
        GuardPolicy(window_seconds=0)
    with pytest.raises(ValueError):
        GuardPolicy(min_fill_seconds=-1)


def test_honeypot():
    assert not honeypot_tripped(None)
    assert not honeypot_tripped("")
    assert not honeypot_tripped("  \n")
    assert honeypot_tripped("http://spam.example")


def test_fill_time():
    policy = GuardPolicy(min_fill_seconds=8, clock_skew_seconds=120)
    assert fill_time_reason(None, NOON, policy) is Reason.no_form_time
    assert fill_time_reason(NOON - timedelta(seconds=7.9), NOON, policy) is Reason.too_fast
    assert fill_time_reason(NOON - timedelta(seconds=8), NOON, policy) is None
    assert fill_time_reason(NOON - timedelta(hours=5), NOON, policy) is None
    # another replica's clock a little ahead: tolerated, but counts as too fast
    assert fill_time_reason(NOON + timedelta(seconds=60), NOON, policy) is Reason.too_fast
    assert fill_time_reason(NOON + timedelta(seconds=121), NOON, policy) is Reason.no_form_time


def test_reasons_in_stable_order():
    assert suspicion_reasons(
        honeypot=False, fill_time=None, repeat_device=False, throttle=ThrottleVerdict.ok
    ) == ()
    assert suspicion_reasons(
        honeypot=True, fill_time=Reason.too_fast, repeat_device=True,
        throttle=ThrottleVerdict.flag,
    ) == ("honeypot", "too_fast", "repeat_device", "ip_burst")


def _served(token, code="ABC123", secret=SECRET):
    read = survey_guard.read_form_token(secret, token, code)
    return None if read is None else read.served_at


def test_form_token_round_trip_and_forgery():
    token = survey_guard.form_token(SECRET, "ABC123")
    stamp = _served(token)
    assert stamp is not None and abs((datetime.now(UTC) - stamp).total_seconds()) < 5
    assert _served(token, "OTHER1") is None  # another campaign
    assert _served(token, secret="other-secret" * 4) is None
    assert _served(token[:-2] + "xx") is None
    assert _served(None) is None
    assert _served("x" * 1000) is None


def test_every_served_form_has_its_own_nonce():
    first = survey_guard.read_form_token(SECRET, survey_guard.form_token(SECRET, "ABC123"),
                                         "ABC123")
    second = survey_guard.read_form_token(SECRET, survey_guard.form_token(SECRET, "ABC123"),
                                          "ABC123")
    assert first.nonce != second.nonce and len(first.nonce) == 20
    # It starts with the time it was served (8 hex digits): new nonces sort last.
    assert abs(int(first.nonce[:8], 16) - first.served_at.timestamp()) <= 1


def test_a_token_of_the_version_before_single_use_forms_is_not_valid():
    # Signed by this app, but the campaign code alone: no nonce, so it could be used again
    # and again. Such an answer is kept as suspect (no_form_time).
    assert survey_guard.read_form_token(SECRET, legacy_token(SECRET, "ABC123", 30),
                                        "ABC123") is None


def test_device_cookie_remembers_answered_campaigns():
    fresh = survey_guard.read_device(SECRET, None)
    assert fresh.is_new and fresh.answered == ()
    cookie = survey_guard.device_cookie_value(SECRET, fresh.with_answer(7))
    again = survey_guard.read_device(SECRET, cookie)
    assert again.id == fresh.id and not again.is_new
    assert again.has_answered(7) and not again.has_answered(8)
    # tampered cookie -> a new device, not an error
    assert survey_guard.read_device(SECRET, cookie + "x").is_new
    assert survey_guard.read_device(SECRET, "garbage").is_new


def test_device_cookie_keeps_the_newest_campaigns_only():
    device = survey_guard.read_device(SECRET, None)
    for campaign in range(1, survey_guard.DEVICE_MAX_CAMPAIGNS + 6):
        device = device.with_answer(campaign)
    assert len(device.answered) == survey_guard.DEVICE_MAX_CAMPAIGNS
    assert device.answered[-1] == survey_guard.DEVICE_MAX_CAMPAIGNS + 5
    assert not device.has_answered(1)


def test_form_token_carries_the_time_it_was_served():
    # A form served 120 s ago (signed with itsdangerous's own timestamp signer) reads back as
    # served about 120 s ago, with the nonce it was given.
    token = old_token(SECRET, "ABC123", 120, nonce="n-120")
    read = survey_guard.read_form_token(SECRET, token, "ABC123")
    age = (datetime.now(UTC) - read.served_at).total_seconds()
    assert 119 <= age <= 125 and read.nonce == "n-120"


def test_signers_are_built_once_per_secret():
    assert survey_guard._form_signer(SECRET) is survey_guard._form_signer(SECRET)
    assert survey_guard._device_signer(SECRET) is survey_guard._device_signer(SECRET)
    assert survey_guard._device_signer(SECRET) is not survey_guard._device_signer("t" * 40)


def test_a_long_device_cookie_survives_the_round_trip():
    # Thirty campaign ids make a payload itsdangerous may compress (a leading "."): still read.
    device = survey_guard.read_device(SECRET, None)
    for campaign in range(1000, 1000 + survey_guard.DEVICE_MAX_CAMPAIGNS):
        device = device.with_answer(campaign)
    cookie = survey_guard.device_cookie_value(SECRET, device)
    again = survey_guard.read_device(SECRET, cookie)
    assert again.id == device.id and again.answered == tuple(range(1000, 1030))


def test_ip_hash_is_salted_and_stable():
    a = survey_guard.hash_ip(SECRET, "203.0.113.9")
    assert a == survey_guard.hash_ip(SECRET, "203.0.113.9")
    assert a != survey_guard.hash_ip("another-secret", "203.0.113.9")
    assert "203.0.113.9" not in a and len(a) == 64


def _count(db, key, policy, at):
    (verdict,) = survey_guard.count_arrivals(db, ip_hash=key, arrivals=1, policy=policy, now=at)
    return verdict


def test_throttle_counts_in_the_database_flags_then_refuses(db):
    from app.models.surveys.guard import SurveyThrottle

    policy = GuardPolicy(window_seconds=600, flag_after=3, refuse_after=5)
    key = survey_guard.hash_ip(SECRET, "198.51.100.7")
    at = NOON + timedelta(seconds=30)
    verdicts = [_count(db, key, policy, at) for _ in range(5)]
    db.commit()
    assert verdicts == ["ok", "ok", "ok", "flag", "flag"]
    assert _count(db, key, policy, at) == "refuse"
    assert survey_guard.refusal(at, policy).retry_after == 570
    db.commit()  # the refused submission left no count behind
    row = db.get(SurveyThrottle, (key, int(NOON.timestamp())))
    db.refresh(row)
    assert row.hits == 5
    # another address is counted on its own
    other = survey_guard.hash_ip(SECRET, "198.51.100.8")
    assert _count(db, other, policy, at) == "ok"
    # 480 s into the next window a fifth of the previous 5 still weighs:
    # 1 + 1 = 2 ok, 1 + 2 = 3 ok, 1 + 3 = 4 > 3 flag
    later = NOON + timedelta(seconds=1080)
    assert [_count(db, key, policy, later) for _ in range(3)] == ["ok", "ok", "flag"]
    db.commit()


def test_throttle_prunes_old_windows(db):
    from sqlmodel import select

    from app.models.surveys.guard import SurveyThrottle

    policy = GuardPolicy(window_seconds=60)
    _count(db, "a" * 64, policy, NOON)
    _count(db, "b" * 64, policy, NOON + timedelta(days=3))
    db.commit()
    assert [r.key[0] for r in db.exec(select(SurveyThrottle)).all()] == ["b"]
