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
- **one response per device** (soft): a cookie remembers the campaigns this browser has
  answered; a second response from it is kept but suspect ("repeat_device"). Clearing the
  cookie defeats it, which is accepted: the other rules still apply.
- **per-IP throttle**: submissions per hashed IP address are counted in fixed windows kept
  in the database (so every replica sees the same counts). The estimate over the last
  window length uses the sliding-window approximation
  ``previous x (1 - elapsed / window) + current``. Above ``flag_after`` -> suspect
  ("ip_burst"); above ``refuse_after`` -> refused with a Retry-After. Many honest people
  share one address (an office's Wi-Fi, a mobile carrier's NAT), so the flag threshold
  is generous and the refusal one more so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "REASON_LABELS",
    "GuardPolicy",
    "Reason",
    "ThrottleVerdict",
    "fill_time_reason",
    "honeypot_tripped",
    "retry_after_seconds",
    "sliding_count",
    "suspicion_reasons",
    "throttle_verdict",
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


#: Indonesian wording for the coordinator's review (translated by the page catalog).
REASON_LABELS: dict[str, str] = {
    Reason.honeypot: "Kolom jebakan robot terisi",
    Reason.too_fast: "Diisi lebih cepat dari waktu minimum",
    Reason.no_form_time: "Tanda waktu formulir tidak ada atau tidak sah",
    Reason.repeat_device: "Perangkat yang sama sudah pernah mengisi",
    Reason.ip_burst: "Banyak isian dari alamat IP yang sama dalam waktu singkat",
}


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
    refuse_after: int = 120

    def __post_init__(self) -> None:
        if self.window_seconds < 1:
            raise ValueError("window_seconds must be at least 1")
        if self.min_fill_seconds < 0 or self.clock_skew_seconds < 0:
            raise ValueError("min_fill_seconds and clock_skew_seconds must not be negative")
        if not 0 < self.flag_after <= self.refuse_after:
            raise ValueError("need 0 < flag_after <= refuse_after")


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
) -> tuple[str, ...]:
    """Every reason to keep a response aside, in a stable order (empty = accepted)."""
    reasons: list[str] = []
    if honeypot:
        reasons.append(Reason.honeypot.value)
    if fill_time is not None:
        reasons.append(fill_time.value)
    if repeat_device:
        reasons.append(Reason.repeat_device.value)
    if throttle is ThrottleVerdict.flag:
        reasons.append(Reason.ip_burst.value)
    return tuple(reasons)
