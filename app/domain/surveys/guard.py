"""Abuse guard for the public survey form: pure rules, no I/O, no clock of its own.

The public form is anonymous, so nothing here can prove a response is genuine; the rules
sort responses into *accepted*, *kept but suspect* (stored with reasons, left out of the
indices, reviewed by the coordinator) and *refused* (nothing stored, a polite message):

- **honeypot**: a field hidden from people (CSS, ``aria-hidden``, ``tabindex=-1``) that
  form-filling robots fill in -> suspect.
- **minimum fill time**: the form carries a signed timestamp of when it was served; a
  submission sooner than ``min_fill_seconds`` after that -> suspect ("too_fast"). A missing
  or forged timestamp -> suspect ("no_form_time"); the clock of another replica a little
  ahead is tolerated (``clock_skew_seconds``).
- **single-use form**: the token also carries a random nonce; the first answer sent with it
  counts, any other answer sent with the same token is kept but suspect ("form_reused"). An
  identical resend (the same nonce and the same content: a double tap, a network retry) is
  the same answer: it gets the first one back and stores nothing.
- **one response per device** (soft): a cookie remembers the campaigns this browser has
  answered; a second response from it is kept but suspect ("repeat_device"). Clearing the
  cookie defeats it, which is accepted: the other rules still apply.
- **per-IP throttle**: submissions per hashed IP address are counted in fixed windows kept
  in the database (so every replica sees the same counts). The estimate over the last
  window length uses the sliding-window approximation
  ``previous x (1 - elapsed / window) + current``. Above ``flag_after`` -> suspect
  ("ip_burst"); above ``refuse_after`` -> refused with a Retry-After. Many honest people
  share one address (an office's Wi-Fi, a mobile carrier's NAT), and each of them answers
  through a form served to them alone: so an answer with a fresh single-use token is
  never flagged for its address's volume; ``ip_burst`` marks only answers without one
  (reused, missing or forged tokens). The refusal applies to every answer: it is the hard
  stop for a flood, far above what a room full of people sends.
- **kiosks** (a tablet at one counter, many honest respondents, answers sent later in
  batches): none of the address, device or single-use-form rules apply; a kiosk's answers
  are judged by :func:`kiosk_verdicts` instead: minimum fill time measured on the device,
  the answers per minute one counter can really serve (``kiosk_rate``), a key sent twice in
  one batch refused; and by :func:`kiosk_late_reason`: given while the campaign was open,
  and received within the grace period after it closed.
- **per-campaign velocity**: a campaign's clean answers (no other reason) are counted per
  minute; an answer arriving when the campaign got far more answers in the last minute than
  it usually does is held for review ("velocity"). See :func:`velocity_limit` for the rule
  and its numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from app.domain.display import round_half_up

__all__ = [
    "MINUTE",
    "REASON_LABELS",
    "GuardPolicy",
    "KIOSK_REFUSAL_LABELS",
    "KioskItem",
    "KioskPolicy",
    "KioskRefusal",
    "KioskVerdict",
    "Reason",
    "ThrottleVerdict",
    "describe_reason",
    "fill_time_reason",
    "honeypot_tripped",
    "kiosk_late_reason",
    "kiosk_verdicts",
    "retry_after_seconds",
    "sliding_count",
    "suspicion_reasons",
    "throttle_verdict",
    "usual_rate",
    "velocity_held",
    "velocity_limit",
    "velocity_reason",
    "verdicts_in_order",
    "window_start",
]


class Reason(StrEnum):
    """Why a response is kept aside (stored on the response, shown to the coordinator)."""

    honeypot = "honeypot"
    too_fast = "too_fast"
    no_form_time = "no_form_time"
    repeat_device = "repeat_device"
    ip_burst = "ip_burst"
    form_reused = "form_reused"
    #: Stored as ``velocity:<answers in the last minute>:<usual per minute>`` (velocity_reason).
    velocity = "velocity"
    #: A kiosk sent more answers within one minute than one counter can serve.
    kiosk_rate = "kiosk_rate"


#: Indonesian wording for the coordinator's review (translated by the page catalog).
REASON_LABELS: dict[str, str] = {
    Reason.honeypot: "Kolom jebakan robot terisi",
    Reason.too_fast: "Diisi lebih cepat dari waktu minimum",
    Reason.no_form_time: "Tanda waktu formulir tidak ada atau tidak sah",
    Reason.repeat_device: "Perangkat yang sama sudah pernah mengisi",
    Reason.ip_burst: "Banyak isian dari alamat IP yang sama dalam waktu singkat",
    Reason.form_reused: "Formulir yang sama dikirim lebih dari sekali",
    Reason.velocity: "Lonjakan jawaban: {n} jawaban per menit, biasanya {usual}",
    Reason.kiosk_rate: "Kiosk mengirim lebih banyak jawaban per menit daripada yang dapat "
    "dilayani satu loket",
}
#: A velocity reason whose numbers cannot be read (never written so; shown as it is).
VELOCITY_LABEL_PLAIN = "Lonjakan jawaban per menit"


class ThrottleVerdict(StrEnum):
    ok = "ok"
    flag = "flag"
    refuse = "refuse"


@dataclass(frozen=True)
class GuardPolicy:
    """Thresholds (from settings; the defaults suit a busy service counter)."""

    min_fill_seconds: int = 8
    clock_skew_seconds: int = 120
    window_seconds: int = 600
    flag_after: int = 30
    refuse_after: int = 300
    #: Per campaign and minute (see velocity_limit).
    velocity_floor: int = 20
    velocity_factor: int = 10
    velocity_history_days: int = 14

    def __post_init__(self) -> None:
        if self.window_seconds < 1:
            raise ValueError("window_seconds must be at least 1")
        if self.min_fill_seconds < 0 or self.clock_skew_seconds < 0:
            raise ValueError("min_fill_seconds and clock_skew_seconds must not be negative")
        if not 0 < self.flag_after <= self.refuse_after:
            raise ValueError("need 0 < flag_after <= refuse_after")
        if self.velocity_floor < 1 or self.velocity_factor < 1 or self.velocity_history_days < 1:
            raise ValueError("velocity_floor, velocity_factor and velocity_history_days "
                             "must be at least 1")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window holding ``now`` (windows align on the Unix epoch, UTC)."""
    elapsed = int((_aware(now) - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % window_seconds)


def sliding_count(previous: int, current: int, now: datetime, window_seconds: int) -> Fraction:
    """Estimated submissions in the last ``window_seconds``: the previous window's count
    weighted by the part of it still inside the sliding window, plus the current count."""
    start = window_start(now, window_seconds)
    elapsed = Fraction(int((_aware(now) - start).total_seconds()), window_seconds)
    return previous * (1 - elapsed) + current


def throttle_verdict(estimate: Fraction | int, policy: GuardPolicy) -> ThrottleVerdict:
    """``estimate`` includes the submission being judged."""
    if estimate > policy.refuse_after:
        return ThrottleVerdict.refuse
    if estimate > policy.flag_after:
        return ThrottleVerdict.flag
    return ThrottleVerdict.ok


def verdicts_in_order(
    previous: int, counted: int, arrivals: int, now: datetime, policy: GuardPolicy
) -> list[ThrottleVerdict]:
    """Verdicts for ``arrivals`` submissions from one address, judged one after another.

    ``counted`` submissions are already in the current window and ``previous`` in the one
    before. A refused submission is not counted, so it never pushes the ones after it;
    once one is refused, the rest of the same burst is refused too.
    """
    # The k-th arrival is judged on sliding_count(previous, counted + k): the previous
    # window's weight is the same for all of them, so the last ok and the last flagged
    # arrival follow from the thresholds directly.
    weight = sliding_count(previous, 0, now, policy.window_seconds)
    last_ok = math.floor(policy.flag_after - weight) - counted
    last_flag = math.floor(policy.refuse_after - weight) - counted
    return [
        ThrottleVerdict.ok if k <= last_ok
        else ThrottleVerdict.flag if k <= last_flag
        else ThrottleVerdict.refuse
        for k in range(1, arrivals + 1)
    ]


def retry_after_seconds(now: datetime, window_seconds: int) -> int:
    """Seconds until the current window ends (at least 1), for a Retry-After header."""
    end = window_start(now, window_seconds) + timedelta(seconds=window_seconds)
    return max(1, int((end - _aware(now)).total_seconds()))


def honeypot_tripped(value: str | None) -> bool:
    """True when the hidden field carries anything but whitespace."""
    return bool(value and value.strip())


def fill_time_reason(
    served_at: datetime | None, now: datetime, policy: GuardPolicy
) -> Reason | None:
    """Judge the time between serving the form and receiving it."""
    if served_at is None:
        return Reason.no_form_time
    seconds = (_aware(now) - _aware(served_at)).total_seconds()
    if seconds < -policy.clock_skew_seconds:
        return Reason.no_form_time  # served "in the future": not our clock
    if seconds < policy.min_fill_seconds:
        return Reason.too_fast
    return None


def suspicion_reasons(
    *,
    honeypot: bool,
    fill_time: Reason | None,
    repeat_device: bool,
    throttle: ThrottleVerdict,
    form_reused: bool = False,
    fresh_form: bool = False,
) -> tuple[str, ...]:
    """Every reason to keep a response aside, in a stable order (empty = accepted).

    ``fresh_form``: the answer came with a valid token used for the first time; its
    address's volume alone (a throttle ``flag``) does not make it suspect then.
    """
    reasons: list[str] = []
    if honeypot:
        reasons.append(Reason.honeypot.value)
    if fill_time is not None:
        reasons.append(fill_time.value)
    if form_reused:
        reasons.append(Reason.form_reused.value)
    if repeat_device:
        reasons.append(Reason.repeat_device.value)
    if throttle is ThrottleVerdict.flag and not fresh_form:
        reasons.append(Reason.ip_burst.value)
    return tuple(reasons)


# --- per-campaign velocity ----------------------------------------------------------------

#: Velocity is counted per campaign in windows of one minute (aligned on the epoch, UTC).
MINUTE = 60


def usual_rate(answers: int, active_minutes: int) -> Fraction:
    """A campaign's usual answers per minute: its counted answers of the recent history
    (``velocity_history_days``, the current minute left out) divided by the minutes of that
    history in which it got at least one. 0 without history.

    Minutes without any answer are left out on purpose: a counter is closed at night and a
    campaign is quiet most of the day, so the mean over every minute would make any morning
    look like a burst. Answers held for velocity are not counted in it, so a burst does not
    raise the bar for the next one.
    """
    if active_minutes <= 0 or answers <= 0:
        return Fraction(0)
    return Fraction(answers, active_minutes)


def velocity_limit(usual: Fraction | int, policy: GuardPolicy) -> int:
    """How many answers a campaign may get within one minute before the next is held:

        limit = max(velocity_floor, ceil(velocity_factor x usual))

    With the defaults (floor 20, factor 10): a fresh campaign, or one that usually gets one
    or two answers a minute, takes up to 20 a minute, about a full service counter's queue
    answering at once; a campaign that usually gets 8 a minute takes up to 80.
    """
    return max(policy.velocity_floor, math.ceil(policy.velocity_factor * Fraction(usual)))


def velocity_estimates(previous: int, counted: int, arrivals: int, now: datetime) -> list[Fraction]:
    """The answers within the last minute as each of ``arrivals`` clean answers arrives (it
    included), estimated like the throttle (``sliding_count`` over one minute): ``counted``
    already arrived this minute, ``previous`` in the minute before."""
    weight = sliding_count(previous, 0, now, MINUTE)
    return [weight + counted + k for k in range(1, arrivals + 1)]


def velocity_held(
    previous: int, counted: int, arrivals: int, now: datetime, limit: int
) -> list[int | None]:
    """For each arrival in order: None when it is counted, else the answers per minute it
    was held at (the estimate, rounded up). Held answers still count in the estimate, so a
    burst that goes on is held as long as it lasts."""
    return [
        None if estimate <= limit else math.ceil(estimate)
        for estimate in velocity_estimates(previous, counted, arrivals, now)
    ]


def velocity_reason(per_minute: int, usual: Fraction | int) -> str:
    """The stored reason: ``velocity:<answers per minute>:<usual, one decimal>``."""
    return f"{Reason.velocity.value}:{int(per_minute)}:{round_half_up(Fraction(usual), 1)}"


def describe_reason(code: str) -> tuple[str, dict[str, int | Decimal]]:
    """A stored reason as its Indonesian label and the values to format into it (the usual
    rate as a Decimal with one place). An unknown code is its own label."""
    name, _, rest = code.partition(":")
    if name == Reason.velocity.value:
        per_minute, _, usual = rest.partition(":")
        try:
            return REASON_LABELS[Reason.velocity], {
                "n": int(per_minute), "usual": Decimal(usual)}
        except (ValueError, InvalidOperation):
            return VELOCITY_LABEL_PLAIN, {}
    return REASON_LABELS.get(code, code), {}


# --- kiosks -------------------------------------------------------------------------------


class KioskRefusal(StrEnum):
    """Why a kiosk's answer is refused (nothing stored; the coordinator sees the reason)."""

    before_open = "before_open"  # given before the campaign opened
    after_close = "after_close"  # given after the campaign closed or ended
    grace_over = "grace_over"  # received after the grace period that followed the close
    future = "future"  # given "later than now": not our clock
    duplicate_key = "duplicate_key"  # the same key twice in one batch
    invalid = "invalid"  # answers the campaign's instruments do not accept


#: Indonesian wording of each refusal (shown on the coordinator's kiosk list).
KIOSK_REFUSAL_LABELS: dict[str, str] = {
    KioskRefusal.before_open: "Diberikan sebelum survei dibuka",
    KioskRefusal.after_close: "Diberikan setelah survei ditutup",
    KioskRefusal.grace_over: "Diterima setelah masa tenggang setelah survei ditutup",
    KioskRefusal.future: "Waktu pengisian di masa depan (jam perangkat salah)",
    KioskRefusal.duplicate_key: "Kunci jawaban yang sama dua kali dalam satu kiriman",
    KioskRefusal.invalid: "Jawaban tidak sah untuk survei ini",
}


@dataclass(frozen=True)
class KioskPolicy:
    """A kiosk's rules (from settings)."""

    min_fill_seconds: int = 8
    #: Answers one counter can really serve within any 60 seconds.
    max_per_minute: int = 6
    grace: timedelta = timedelta(hours=72)
    clock_skew_seconds: int = 120

    def __post_init__(self) -> None:
        if self.min_fill_seconds < 0 or self.clock_skew_seconds < 0:
            raise ValueError("min_fill_seconds and clock_skew_seconds must not be negative")
        if self.max_per_minute < 1:
            raise ValueError("max_per_minute must be at least 1")
        if self.grace < timedelta(0):
            raise ValueError("grace must not be negative")


def kiosk_late_reason(
    given_at: datetime, *, open_from: datetime, open_until: datetime | None,
    now: datetime, policy: KioskPolicy,
) -> KioskRefusal | None:
    """Whether an answer given at ``given_at`` may still be counted ``now``.

    ``open_from``/``open_until``: the moments the campaign started and stopped taking
    answers (``open_until`` None: it still does). An answer given while it was open is taken
    until ``open_until + grace``; one given outside that span never.
    """
    given, current = _aware(given_at), _aware(now)
    if given > current + timedelta(seconds=policy.clock_skew_seconds):
        return KioskRefusal.future
    if given < _aware(open_from):
        return KioskRefusal.before_open
    if open_until is not None:
        until = _aware(open_until)
        if given > until:
            return KioskRefusal.after_close
        if current > until + policy.grace:
            return KioskRefusal.grace_over
    return None


@dataclass(frozen=True)
class KioskItem:
    """One answer of a kiosk batch as the rules see it."""

    key: str
    given_at: datetime
    fill_seconds: int | None


@dataclass(frozen=True)
class KioskVerdict:
    refused: KioskRefusal | None = None
    reasons: tuple[str, ...] = ()


def kiosk_verdicts(
    items: list[KioskItem], *, stored: list[datetime], policy: KioskPolicy,
) -> list[KioskVerdict]:
    """Each item's verdict, in the order given.

    - a key already seen earlier in the batch -> refused ``duplicate_key``;
    - no fill time -> suspect ``no_form_time``; fewer than ``min_fill_seconds`` ->
      ``too_fast``;
    - more than ``max_per_minute`` answers of this kiosk given within the 60 seconds ending
      at this one (``stored``: the times of its answers already stored, plus the batch's
      earlier items, this one included) -> suspect ``kiosk_rate``.
    """
    times = sorted(_aware(t) for t in stored)
    seen: set[str] = set()
    verdicts: list[KioskVerdict | None] = [None] * len(items)
    kept: list[int] = []
    for n, item in enumerate(items):
        if item.key in seen:
            verdicts[n] = KioskVerdict(refused=KioskRefusal.duplicate_key)
            continue
        seen.add(item.key)
        kept.append(n)
    batch_times = sorted(_aware(items[n].given_at) for n in kept)
    every = sorted(times + batch_times)
    minute = timedelta(seconds=MINUTE)
    for n in kept:
        item = items[n]
        reasons: list[str] = []
        if item.fill_seconds is None:
            reasons.append(Reason.no_form_time.value)
        elif item.fill_seconds < policy.min_fill_seconds:
            reasons.append(Reason.too_fast.value)
        at = _aware(item.given_at)
        within = sum(1 for t in every if at - minute < t <= at)
        if within > policy.max_per_minute:
            reasons.append(Reason.kiosk_rate.value)
        verdicts[n] = KioskVerdict(reasons=tuple(reasons))
    return [v for v in verdicts if v is not None]
