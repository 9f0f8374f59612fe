"""Roll-ups for the offices above the units: the pure arithmetic of the counts an eselon I
office, a regional office or the ministry reads over all its units.

The service hands over what SQL counted (GROUP BY over maintained summaries); here those
counts become the season steps, score bands and exact averages shown. No rounding happens
here: averages are ``Fraction`` and the pages round them for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.domain.season import calendar as cal

#: A unit of the roll-up with no assessment for the year.
NOT_STARTED = "not_started"
#: Steps in the order a season goes through them, "not started" first.
STEP_ORDER = (NOT_STARTED, *cal.STEPS)
STEP_NAMES = {
    NOT_STARTED: ("Belum mulai (tanpa penilaian)", "Not started (no assessment)"),
    **cal.STEP_NAMES,
}

#: Lower edges of the score bands of the distribution (LKE total, 0-100). 75 and 85 are
#: the total thresholds of WBK and WBBM (reference/lke-zi-2021.json, checks ``total``);
#: the bands only group the scores for reading, the verdicts come from the summaries.
SCORE_BAND_EDGES: tuple[int, ...] = (0, 50, 60, 75, 85)


def band_label(lower: int) -> str:
    """'60-<75' for an edge, '>=85' for the last."""
    i = SCORE_BAND_EDGES.index(lower)
    if i == len(SCORE_BAND_EDGES) - 1:
        return f">={lower}"
    return f"{lower}-<{SCORE_BAND_EDGES[i + 1]}"


@dataclass(frozen=True)
class StepCount:
    step: str
    units: int


def season_steps(status_counts: Mapping[str | None, int]) -> list[StepCount]:
    """How many units stand at each step of the season, from the number of units per
    assessment status of the year (None: no assessment). A returned assessment is back at
    the self-assessment; the proposal to the national team is reached when final."""
    per_step = dict.fromkeys(STEP_ORDER, 0)
    for status, units in status_counts.items():
        step = NOT_STARTED if status is None else cal.step_of_status(status)
        per_step[step] += units
    return [StepCount(step, per_step[step]) for step in STEP_ORDER]


def exact_mean(total: Fraction | Decimal | int | None, count: int) -> Fraction | None:
    """The exact mean of ``count`` values summing to ``total`` (None without values).

    SQL sums of exact decimals arrive as Decimal (PostgreSQL) or as a string kept exact by
    the caller; floats are refused so a rounding error cannot slip into a shown average."""
    if not count or total is None:
        return None
    if isinstance(total, float):
        raise TypeError("exact_mean needs an exact total (Fraction, Decimal or int)")
    return Fraction(total) / count


#: The verdict check of the total score (reference/lke-zi-2021.json: WBK >= 75, WBBM >= 85).
TOTAL_CHECK = "total"


@dataclass(frozen=True)
class Gap:
    """How far a unit is from its target: the points its total lacks to the target's total
    threshold, and every requirement it fails (an area, a Hasil node, WBK held first)."""

    missing: Fraction
    failed: tuple[str, ...]

    @property
    def on_target(self) -> bool:
        return not self.failed


def gap(failed_checks: Mapping[str, Fraction | Decimal | int | None]) -> Gap:
    """From the failed checks (code -> points missing, None for a check without points):
    the points missing to the total threshold (0 when only other checks fail). The checks'
    own shortfalls overlap (the total contains every area), so they are not added up."""
    total = failed_checks.get(TOTAL_CHECK)
    return Gap(Fraction(total) if total is not None else Fraction(0), tuple(failed_checks))


# --- scores and verdicts per year ---------------------------------------------------------


@dataclass(frozen=True)
class TotalsGroup:
    """What one GROUP BY row of the summaries says: how many assessments of a year with a
    target and a verdict scored exactly ``total``."""

    year: int
    target: str
    passed: bool
    total: Fraction
    assessments: int


@dataclass(frozen=True)
class TargetVerdicts:
    target: str
    passed: int
    failed: int


@dataclass(frozen=True)
class YearScores:
    year: int
    assessments: int
    mean: Fraction | None
    #: (lower edge, assessments) for every band of SCORE_BAND_EDGES, lowest first.
    bands: tuple[tuple[int, int], ...]
    targets: tuple[TargetVerdicts, ...]

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.targets)


def band_of(total: Fraction) -> int:
    """The lower edge of the band a total falls in (exact comparison)."""
    found = SCORE_BAND_EDGES[0]
    for edge in SCORE_BAND_EDGES:
        if total >= edge:
            found = edge
    return found


def year_scores(groups: list[TotalsGroup]) -> list[YearScores]:
    """Per year, newest first: assessments, exact mean total, band counts, verdicts per
    target (WBK first)."""
    out = []
    for year in sorted({g.year for g in groups}, reverse=True):
        mine = [g for g in groups if g.year == year]
        count = sum(g.assessments for g in mine)
        total = sum((g.total * g.assessments for g in mine), Fraction(0))
        bands = dict.fromkeys(SCORE_BAND_EDGES, 0)
        for g in mine:
            bands[band_of(g.total)] += g.assessments
        targets = []
        for target in sorted({g.target for g in mine}, key=lambda t: (t != "WBK", t)):
            passed = sum(g.assessments for g in mine if g.target == target and g.passed)
            failed = sum(g.assessments for g in mine if g.target == target and not g.passed)
            targets.append(TargetVerdicts(target, passed, failed))
        out.append(YearScores(year, count, exact_mean(total, count), tuple(bands.items()),
                              tuple(targets)))
    return out
