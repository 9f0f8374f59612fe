"""Roll-ups for the offices above the units: the pure arithmetic of the counts an eselon I
office, a regional office or the ministry reads over all its units.

The service hands over what SQL counted (GROUP BY over maintained summaries); here those
counts become the season steps, score bands and exact averages shown. No rounding happens
here: averages are ``Fraction`` and the pages round them for display.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from app.domain.season import calendar as cal

#: A unit of the roll-up with no assessment for the year.
NOT_STARTED = "not_started"
#: Steps in the order a season goes through them, "not started" first.
STEP_ORDER = (NOT_STARTED, *cal.STEPS)
#: Where a unit stands (not the calendar's names, which say when a step is done).
STEP_NAMES = {
    NOT_STARTED: ("Belum mulai (tanpa penilaian)", "Not started (no assessment)"),
    cal.SELF_ASSESSMENT: ("Mengisi penilaian mandiri (LKE)", "Filling in the self-assessment"),
    cal.REGIONAL_REVIEW: ("Menunggu reviu Kantor Wilayah", "Awaiting the regional review"),
    cal.TPI_REVIEW: ("Menunggu reviu TPI", "Awaiting the TPI review"),
    cal.NATIONAL_PROPOSAL: ("Final: diusulkan ke Tim Penilai Nasional",
                            "Final: proposed to the national team"),
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


def exact_parts(text: str) -> tuple[int, int]:
    """(numerator, denominator) of an exact text as the summaries keep it ("87.5", "263/3",
    "-2"), without building a Fraction: the roll-up reads thousands of them per page."""
    if "/" in text:
        numerator, denominator = text.split("/", 1)
        return int(numerator), int(denominator)
    whole, _, decimals = text.partition(".")
    if not decimals:
        return int(whole), 1
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 10 ** len(decimals) + int(decimals)), \
        10 ** len(decimals)


@dataclass(frozen=True)
class TotalsGroup:
    """What one GROUP BY row of the summaries says: how many assessments of a year with a
    target and a verdict scored exactly ``numerator / denominator``."""

    year: int
    target: str
    passed: bool
    numerator: int
    denominator: int
    assessments: int

    @classmethod
    def of(cls, year: int, target: str, passed: bool, total: Fraction | str,
           assessments: int) -> TotalsGroup:
        n, d = exact_parts(total) if isinstance(total, str) else (total.numerator,
                                                                  total.denominator)
        return cls(year, target, passed, n, d, assessments)


class BandTotals(NamedTuple):
    """Assessments of a year, target and verdict whose totals share a denominator and a
    score band, with the sum of their numerators: what the database's GROUP BY returns (at
    most a few hundred rows per year, whatever the number of units; a tuple, as the page
    builds a thousand of them)."""

    year: int
    target: str
    passed: bool
    denominator: int
    band_index: int
    numerator_sum: int
    assessments: int

    @classmethod
    def of_group(cls, g: TotalsGroup) -> BandTotals:
        return cls(g.year, g.target, g.passed, g.denominator,
                   _band_index(g.numerator, g.denominator), g.numerator * g.assessments,
                   g.assessments)


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
    """The lower edge of the band a total falls in (exact: compared as integers)."""
    return SCORE_BAND_EDGES[_band_index(total.numerator, total.denominator)]


def _band_index(numerator: int, denominator: int) -> int:
    found = 0
    for i, edge in enumerate(SCORE_BAND_EDGES):
        if numerator >= edge * denominator:
            found = i
    return found


def exact_sum(numerators: Mapping[int, int]) -> Fraction:
    """The exact sum of the fractions ``numerator / denominator`` given as denominator ->
    sum of numerators: every part brought to the least common multiple of the denominators
    with integers, and one Fraction (one gcd) at the end, instead of a Fraction addition (a
    gcd of growing numbers) per distinct denominator."""
    if not numerators:
        return Fraction(0)
    common = math.lcm(*numerators)
    return Fraction(sum(n * (common // d) for d, n in numerators.items()), common)


def year_scores(groups: Iterable[TotalsGroup | BandTotals]) -> list[YearScores]:
    """Per year, newest first: assessments, exact mean total, band counts, verdicts per
    target (WBK first).

    The sum is added per denominator first: LKE totals have many different denominators
    (thirds, sevenths, nineteenths of a weight), and adding a thousand Fractions one by one
    grows every intermediate denominator to their least common multiple; integer sums per
    denominator and one exact sum (``exact_sum``) do not."""
    per_year: dict[int, list[BandTotals]] = {}
    for g in groups:
        banded = BandTotals.of_group(g) if isinstance(g, TotalsGroup) else g
        per_year.setdefault(banded.year, []).append(banded)
    out = []
    for year in sorted(per_year, reverse=True):
        mine = per_year[year]
        count = 0
        numerators: dict[int, int] = {}
        bands = [0] * len(SCORE_BAND_EDGES)
        verdicts: dict[str, list[int]] = {}
        for g in mine:
            count += g.assessments
            numerators[g.denominator] = numerators.get(g.denominator, 0) + g.numerator_sum
            bands[g.band_index] += g.assessments
            verdicts.setdefault(g.target, [0, 0])[0 if g.passed else 1] += g.assessments
        total = exact_sum(numerators)
        targets = tuple(TargetVerdicts(t, *verdicts[t])
                        for t in sorted(verdicts, key=lambda t: (t != "WBK", t)))
        out.append(YearScores(year, count, exact_mean(total, count),
                              tuple(zip(SCORE_BAND_EDGES, bands, strict=True)), targets))
    return out
