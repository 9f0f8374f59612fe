"""Before/after impact measures of an innovation and their exact improvement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from app.domain.programme._numbers import ExactNumber, check_exact_number, is_whole
from app.domain.programme.messages import Problem, ProgrammeError, Text


class MetricKind(StrEnum):
    SERVICE_TIME_MINUTES = "service_time_minutes"
    STEPS = "steps"
    COST_RUPIAH = "cost_rupiah"
    SATISFACTION_INDEX = "satisfaction_index"
    CUSTOM = "custom"

    @property
    def label(self) -> Text:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    MetricKind.SERVICE_TIME_MINUTES: Text("waktu layanan (menit)", "service time (minutes)"),
    MetricKind.STEPS: Text("jumlah langkah/prosedur", "number of steps"),
    MetricKind.COST_RUPIAH: Text("biaya (rupiah)", "cost (rupiah)"),
    MetricKind.SATISFACTION_INDEX: Text("indeks kepuasan", "satisfaction index"),
    MetricKind.CUSTOM: Text("ukuran lain", "custom measure"),
}


class Direction(StrEnum):
    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"

    @property
    def label(self) -> Text:
        if self is Direction.LOWER_IS_BETTER:
            return Text("makin kecil makin baik", "lower is better")
        return Text("makin besar makin baik", "higher is better")


# Allowed units per kind (canonical first). Units are compared case-insensitively.
# Satisfaction: "ikm" is the 25-100 IKM scale, "nrr" the 1-4 element/index scale
# (IKM = mean NRR x 25, PermenPANRB 14/2017), "persen" a 0-100 share.
UNITS: dict[MetricKind, tuple[str, ...]] = {
    MetricKind.SERVICE_TIME_MINUTES: ("menit", "minutes", "min"),
    MetricKind.STEPS: ("langkah", "steps", "tahap"),
    MetricKind.COST_RUPIAH: ("rupiah", "rp", "idr"),
    MetricKind.SATISFACTION_INDEX: ("ikm", "nrr", "persen"),
}

_SATISFACTION_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "ikm": (Decimal(25), Decimal(100)),
    "nrr": (Decimal(1), Decimal(4)),
    "persen": (Decimal(0), Decimal(100)),
}

EXPECTED_DIRECTION: dict[MetricKind, Direction] = {
    MetricKind.SERVICE_TIME_MINUTES: Direction.LOWER_IS_BETTER,
    MetricKind.STEPS: Direction.LOWER_IS_BETTER,
    MetricKind.COST_RUPIAH: Direction.LOWER_IS_BETTER,
    MetricKind.SATISFACTION_INDEX: Direction.HIGHER_IS_BETTER,
}

_WHOLE_KINDS = (MetricKind.STEPS, MetricKind.COST_RUPIAH)


@dataclass(frozen=True)
class Impact:
    """One before/after measurement of what an innovation changed for citizens."""

    kind: MetricKind
    unit: str
    before_value: ExactNumber
    before_on: date
    after_value: ExactNumber
    after_on: date
    direction: Direction
    label: str = ""  # what was measured; required for custom measures


@dataclass(frozen=True)
class Improvement:
    """Exact result of a before/after comparison.

    ``change`` is after - before (signed); ``relative_change`` is change / before (None when
    before is 0); ``gain`` is the change in the good direction (positive = better), and
    ``relative_gain`` likewise; ``improved`` is True only for a strict gain.
    """

    change: Decimal
    relative_change: Fraction | None
    gain: Decimal
    relative_gain: Fraction | None
    improved: bool


def validate_impact(measure: Impact, prefix: str = "") -> list[Problem]:
    """Everything wrong with an impact measure (empty list when it is usable)."""

    def f(name: str) -> str:
        return f"{prefix}{name}"

    problems: list[Problem] = []
    unit = measure.unit.strip().lower()
    if not unit:
        problems.append(Problem("required", field=f("unit")))
    elif measure.kind in UNITS and unit not in UNITS[measure.kind]:
        problems.append(
            Problem(
                "impact.wrong_unit",
                {"unit": measure.unit, "kind": measure.kind.label,
                 "allowed": ", ".join(UNITS[measure.kind])},
                field=f("unit"),
            )
        )
    if measure.kind is MetricKind.CUSTOM and not measure.label.strip():
        problems.append(Problem("required", field=f("label")))
    expected = EXPECTED_DIRECTION.get(measure.kind)
    if expected is not None and measure.direction is not expected:
        problems.append(
            Problem(
                "impact.wrong_direction",
                {"kind": measure.kind.label, "expected": expected.label},
                field=f("direction"),
            )
        )
    if measure.after_on < measure.before_on:
        problems.append(
            Problem(
                "impact.after_before_before",
                {"after_on": measure.after_on.isoformat(),
                 "before_on": measure.before_on.isoformat()},
                field=f("after_on"),
            )
        )
    for name in ("before_value", "after_value"):
        value = getattr(measure, name)
        type_problems = check_exact_number(value, f(name))
        if type_problems:
            problems.extend(type_problems)
            continue
        problems.extend(_value_problems(measure.kind, unit, value, f(name)))
    return problems


def _value_problems(kind: MetricKind, unit: str, value: ExactNumber, field: str) -> list[Problem]:
    if kind is MetricKind.CUSTOM:
        return []
    if kind in _WHOLE_KINDS and not is_whole(value):
        return [Problem("impact.not_whole", {"kind": kind.label, "value": value}, field=field)]
    if kind is MetricKind.SATISFACTION_INDEX and unit in _SATISFACTION_RANGES:
        low, high = _SATISFACTION_RANGES[unit]
        if not low <= value <= high:
            return [
                Problem(
                    "impact.out_of_range",
                    {"value": value, "low": low, "high": high, "unit": unit},
                    field=field,
                )
            ]
        return []
    if value < 0:
        return [Problem("impact.negative", {"value": value}, field=field)]
    return []


def improvement(measure: Impact) -> Improvement:
    """Exact before/after comparison; raises ProgrammeError for an invalid measure."""
    problems = validate_impact(measure)
    if problems:
        raise ProgrammeError(problems)
    before = Decimal(measure.before_value)
    after = Decimal(measure.after_value)
    change = after - before
    sign = -1 if measure.direction is Direction.LOWER_IS_BETTER else 1
    relative = None if before == 0 else Fraction(change) / Fraction(before)
    return Improvement(
        change=change,
        relative_change=relative,
        gain=sign * change,
        relative_gain=None if relative is None else sign * relative,
        improved=sign * change > 0,
    )
