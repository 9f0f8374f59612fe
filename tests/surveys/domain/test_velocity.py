"""The single-use form and velocity rules of the public form's guard, worked by hand (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from app.domain.surveys.guard import (
    REASON_LABELS,
    GuardPolicy,
    Reason,
    ThrottleVerdict,
    describe_reason,
    suspicion_reasons,
    usual_rate,
    velocity_held,
    velocity_limit,
    velocity_reason,
)

NOON = datetime(2026, 3, 2, 5, 0, 0, tzinfo=UTC)  # a minute boundary
POLICY = GuardPolicy()  # floor 20 a minute, factor 10


def test_usual_rate_is_the_mean_over_the_minutes_with_answers():
    assert usual_rate(0, 0) == 0  # a fresh campaign
    # 200 minutes with one answer and 50 with two: 300 answers in 250 active minutes.
    assert usual_rate(300, 250) == Fraction(6, 5)
    assert usual_rate(7, 3) == Fraction(7, 3)


def test_limit_is_the_floor_or_ten_times_the_usual_rate():
    assert velocity_limit(0, POLICY) == 20  # fresh campaign: the floor
    assert velocity_limit(Fraction(6, 5), POLICY) == 20  # 10 x 1.2 = 12 < 20
    assert velocity_limit(2, POLICY) == 20  # exactly the floor
    assert velocity_limit(Fraction(7, 3), POLICY) == 24  # 70/3 = 23.33.. rounded up
    assert velocity_limit(8, POLICY) == 80
    small = GuardPolicy(velocity_floor=5, velocity_factor=3)
    assert velocity_limit(Fraction(5, 2), small) == 8  # 7.5 rounded up
    assert velocity_limit(1, small) == 5


def test_a_burst_is_held_from_the_first_answer_above_the_limit():
    at = NOON + timedelta(seconds=10)  # 10 s in: 50/60 of the previous minute still weighs
    # Nothing the minute before, 18 already this minute: the 19th and 20th count (<= 20),
    # the 21st and 22nd are held at 21 and 22 a minute.
    assert velocity_held(0, 18, 4, at, 20) == [None, None, 21, 22]
    # 50 answers the minute before weigh 50 x 50/60 = 41.67: held at once, at 43 a minute.
    assert velocity_held(50, 0, 2, at, 20) == [43, 44]
    # 45 s in, the previous 30 weigh 30 x 15/60 = 7.5: 7.5 + 12 + 1 = 20.5 > 20 -> held at 21.
    assert velocity_held(30, 12, 2, NOON + timedelta(seconds=45), 20) == [21, 22]
    # The same answers for a campaign that usually gets 8 a minute (limit 80): all counted.
    assert velocity_held(50, 0, 2, at, 80) == [None, None]
    assert velocity_held(0, 5, 0, at, 20) == []


def test_a_busy_counter_at_twelve_a_minute_is_never_held():
    # 12 answers a minute arriving 4 at a time at :05, :25 and :45: the estimate is
    # 12 x 55/60 + 4 = 15, 12 x 35/60 + 8 = 15, 12 x 15/60 + 12 = 15, always <= 20.
    for second, counted in ((5, 0), (25, 4), (45, 8)):
        at = NOON + timedelta(seconds=second)
        assert velocity_held(12, counted, 4, at, velocity_limit(0, POLICY)) == [None] * 4


def test_velocity_reason_carries_its_numbers():
    assert velocity_reason(21, Fraction(4, 3)) == "velocity:21:1.3"
    assert velocity_reason(43, Fraction(420, 301)) == "velocity:43:1.4"  # 1.395.. half up
    assert velocity_reason(30, 0) == "velocity:30:0.0"
    label, values = describe_reason("velocity:21:1.3")
    assert label == "Lonjakan jawaban: {n} jawaban per menit, biasanya {usual}"
    assert values == {"n": 21, "usual": Decimal("1.3")}
    assert describe_reason("form_reused") == ("Formulir yang sama dikirim lebih dari sekali", {})
    assert describe_reason("too_fast") == (REASON_LABELS[Reason.too_fast], {})
    assert describe_reason("velocity:oops") == ("Lonjakan jawaban per menit", {})
    assert describe_reason("terlalu_cepat") == ("terlalu_cepat", {})  # unknown: as stored


def test_a_fresh_form_is_not_suspect_for_its_address_volume_alone():
    def reasons(**kwargs):
        base = {"honeypot": False, "fill_time": None, "repeat_device": False,
                "throttle": ThrottleVerdict.flag}
        return suspicion_reasons(**{**base, **kwargs})

    assert reasons(fresh_form=True) == ()
    assert reasons(fresh_form=False) == ("ip_burst",)
    assert reasons(form_reused=True) == ("form_reused", "ip_burst")
    assert reasons(fresh_form=True, fill_time=Reason.too_fast, repeat_device=True) == (
        "too_fast", "repeat_device")
