"""The kiosk guard's pure rules, with numbers worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.surveys.guard import (
    KioskItem,
    KioskPolicy,
    KioskRefusal,
    kiosk_late_reason,
    kiosk_verdicts,
)

T0 = datetime(2026, 6, 30, 10, 0, 0, tzinfo=UTC)
OPEN = datetime(2026, 1, 1, tzinfo=UTC)
CLOSE = datetime(2026, 7, 1, tzinfo=UTC)
POLICY = KioskPolicy(min_fill_seconds=8, max_per_minute=3, grace=timedelta(hours=72))


def late(given, now, until=CLOSE):
    return kiosk_late_reason(given, open_from=OPEN, open_until=until, now=now, policy=POLICY)


def test_given_while_open_is_taken_until_the_grace_period_ends():
    # closed 1 July 00:00; grace 72 h -> taken until 4 July 00:00 exactly
    assert late(T0, now=CLOSE + timedelta(hours=72)) is None
    assert late(T0, now=CLOSE + timedelta(hours=72, seconds=1)) is KioskRefusal.grace_over
    # given one second after the close: refused, whenever it arrives
    assert late(CLOSE + timedelta(seconds=1), now=CLOSE + timedelta(hours=1)) is \
        KioskRefusal.after_close
    assert late(OPEN - timedelta(seconds=1), now=T0) is KioskRefusal.before_open
    # still open (no end yet): anything since the opening is taken
    assert late(T0, now=T0, until=None) is None


def test_a_given_time_in_the_future_is_refused_beyond_the_clock_skew():
    assert late(T0 + timedelta(seconds=120), now=T0, until=None) is None
    assert late(T0 + timedelta(seconds=121), now=T0, until=None) is KioskRefusal.future


def test_fill_time_rate_and_repeated_keys():
    items = [
        KioskItem("a", T0, 30),
        KioskItem("b", T0 + timedelta(seconds=20), 7),  # 7 s < 8 s: too fast
        KioskItem("c", T0 + timedelta(seconds=40), None),  # no fill time
        KioskItem("a", T0 + timedelta(seconds=45), 30),  # key again: refused
        KioskItem("d", T0 + timedelta(seconds=50), 30),  # a, b, c, d within 60 s: 4 > 3
        KioskItem("e", T0 + timedelta(seconds=61), 30),  # (1, 61] holds b, c, d, e: 4 > 3
        KioskItem("f", T0 + timedelta(seconds=150), 30),  # (90, 150] holds only f
    ]
    verdicts = kiosk_verdicts(items, stored=[], policy=POLICY)
    assert [(v.refused, v.reasons) for v in verdicts] == [
        (None, ()),
        (None, ("too_fast",)),
        (None, ("no_form_time",)),
        (KioskRefusal.duplicate_key, ()),
        (None, ("kiosk_rate",)),
        (None, ("kiosk_rate",)),
        (None, ()),
    ]


def test_answers_already_stored_count_in_the_minute():
    stored = [T0 - timedelta(seconds=50), T0 - timedelta(seconds=10)]
    # (T0-60, T0] holds both stored and the new one: 3, not above 3
    assert kiosk_verdicts([KioskItem("x", T0, 20)], stored=stored, policy=POLICY)[0].reasons == ()
    stored.append(T0 - timedelta(seconds=59))
    assert kiosk_verdicts([KioskItem("x", T0, 20)], stored=stored, policy=POLICY)[0].reasons \
        == ("kiosk_rate",)
    # one exactly 60 s before is outside the window
    assert kiosk_verdicts([KioskItem("x", T0, 20)], stored=[T0 - timedelta(seconds=60)] * 5,
                          policy=POLICY)[0].reasons == ()


def test_policy_refuses_nonsense():
    with pytest.raises(ValueError):
        KioskPolicy(max_per_minute=0)
    with pytest.raises(ValueError):
        KioskPolicy(grace=timedelta(hours=-1))
