"""The evaluation calendar of one year and the date rules around it.

A calendar names the due date of each step of the season (self-assessment, regional review,
TPI review, proposal to the national team) and the survey periods. It is set for the whole
tree (by an administrator) or by a regional office for the units below it; for a unit the
nearest scope wins: its own regional office's calendar over the one for the whole tree.

Counting is in whole days of the unit's calendar: ``days_left = due - today``. The due day
itself is not late (0 days left, "hari ini"); the day after is 1 day late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

SELF_ASSESSMENT = "self_assessment"
REGIONAL_REVIEW = "regional_review"
TPI_REVIEW = "tpi_review"
NATIONAL_PROPOSAL = "national_proposal"
STEPS = (SELF_ASSESSMENT, REGIONAL_REVIEW, TPI_REVIEW, NATIONAL_PROPOSAL)
STEP_NAMES = {
    SELF_ASSESSMENT: ("Penilaian mandiri (LKE) diajukan", "Self-assessment (LKE) submitted"),
    REGIONAL_REVIEW: ("Reviu Kantor Wilayah selesai", "Regional office review done"),
    TPI_REVIEW: ("Reviu TPI selesai", "TPI review done"),
    NATIONAL_PROPOSAL: ("Usulan ke Tim Penilai Nasional", "Proposal to the national team"),
}

# LKE statuses (app.domain.lke.review) -> the step the unit is on.
_STEP_OF_STATUS = {
    "draft": SELF_ASSESSMENT,
    "returned": SELF_ASSESSMENT,
    "submitted": REGIONAL_REVIEW,
    "in_review": TPI_REVIEW,
    "final": NATIONAL_PROPOSAL,
}

# Reminder stages: 7 days ahead (from 7 down to 2 days left), 1 day ahead (1 or 0 days
# left: the due day itself), passed (1 or more days late). Each is sent once per step.
DUE_7 = "due_7"
DUE_1 = "due_1"
PASSED = "passed"


@dataclass(frozen=True)
class SurveyPeriod:
    label: str
    opens_on: date
    closes_on: date


@dataclass(frozen=True)
class CalendarDates:
    """One year's calendar for one scope (``scope_unit_id`` None: the whole tree)."""

    year: int
    scope_unit_id: int | None
    dues: Mapping[str, date | None]
    survey_periods: Sequence[SurveyPeriod] = field(default_factory=tuple)

    def due(self, step: str) -> date | None:
        return self.dues.get(step)


def calendar_problems(dues: Mapping[str, date | None], year: int,
                      periods: Sequence[SurveyPeriod] = ()) -> list[str]:
    """What is wrong with a calendar (Indonesian): dates out of order or far from the year."""
    problems: list[str] = []
    if not 2000 <= year <= 2100:
        problems.append("Tahun kalender harus antara 2000 dan 2100.")
        return problems
    previous: tuple[str, date] | None = None
    for step in STEPS:
        day = dues.get(step)
        if day is None:
            continue
        if not year - 1 <= day.year <= year + 1:
            problems.append(f"Tanggal '{STEP_NAMES[step][0]}' harus di sekitar tahun {year}.")
        if previous is not None and day < previous[1]:
            problems.append(
                f"Tanggal '{STEP_NAMES[step][0]}' tidak boleh sebelum "
                f"'{STEP_NAMES[previous[0]][0]}'."
            )
        previous = (step, day)
    for period in periods:
        if not period.label.strip():
            problems.append("Setiap periode survei perlu nama.")
        if period.closes_on < period.opens_on:
            problems.append(f"Periode survei '{period.label}' berakhir sebelum dimulai.")
    return problems


def nearest_scope(chain: Sequence[int], scopes: Iterable[int | None]) -> int | None | bool:
    """Which scope's calendar applies to the unit whose chain (itself, then each unit above,
    nearest first) is ``chain``: the first unit of the chain that has a calendar, else the
    whole tree's (None) if there is one; False when there is none at all."""
    present = set(scopes)
    for unit_id in chain:
        if unit_id in present:
            return unit_id
    return None if None in present else False


def step_of_status(status: str | None) -> str:
    """The step a unit is on from its assessment's status (no assessment: self-assessment)."""
    return _STEP_OF_STATUS.get(status or "draft", SELF_ASSESSMENT)


def _done(step: str, status: str | None) -> bool:
    """A step is done once the assessment is past it. The national proposal has no record of
    its own in Zona: it is done when the assessment is final (the TPI accepted it), which is
    when the TPI proposes the unit to the national team."""
    if status == "final":
        return True
    return STEPS.index(step) < STEPS.index(step_of_status(status))


@dataclass(frozen=True)
class StepState:
    step: str
    due: date | None
    days_left: int | None  # due - today; negative: late by that many days
    done: bool
    current: bool

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left is not None and self.days_left < 0

    @property
    def days_late(self) -> int:
        return -self.days_left if self.overdue and self.days_left is not None else 0


def step_states(calendar: CalendarDates | None, status: str | None, today: date,
                levels: Sequence[str] = ("regional", "tpi")) -> list[StepState]:
    """Every step of the season for a unit whose assessment has ``status`` (None: none yet),
    with its due date and countdown. A review level the unit does not have (no regional
    office above it) counts as done."""
    out = []
    current = step_of_status(status)
    for step in STEPS:
        due = calendar.due(step) if calendar else None
        done = _done(step, status)
        if step == REGIONAL_REVIEW and "regional" not in levels:
            done = True
        out.append(StepState(step, due, (due - today).days if due else None, done,
                             step == current and not done))
    return out


def next_due(states: Sequence[StepState]) -> StepState | None:
    """The step to show first: the current one (late or not), else the next not done."""
    for state in states:
        if state.current and state.due is not None:
            return state
    for state in states:
        if not state.done and state.due is not None:
            return state
    return None


def reminder_stage(due: date, today: date) -> str | None:
    """Which reminder is due on ``today`` for a step due on ``due`` (not yet done):
    DUE_7 with 2-7 days left, DUE_1 with 0-1 days left, PASSED once late, None before."""
    days_left = (due - today).days
    if days_left < 0:
        return PASSED
    if days_left <= 1:
        return DUE_1
    if days_left <= 7:
        return DUE_7
    return None


def digest_period(today: date) -> str:
    """The run period of the daily digest and checks: the day, ISO (one run per day)."""
    return today.isoformat()
