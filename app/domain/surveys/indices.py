"""Exact survey indices: NRR, IKM and its grade, SPKP/SPAK perception indices, sample size.

Pure functions, no I/O. Every function works on per-element aggregates
(:class:`ElementTally`: the sum of the answer values and the number of answers), never on
individual responses, so a database can do the heavy part with one ``GROUP BY``::

    SELECT element_code, SUM(value), COUNT(value) FROM answers WHERE ... GROUP BY element_code

Arithmetic is exact (:class:`fractions.Fraction`); rounding happens only in the display
helpers (:func:`round_half_up`, :func:`format_id`). Floats are refused on purpose: a float
average from SQLite would silently break exactness, so pass integer sums and counts.

Sources: PermenPANRB 14/2017 (IKM, grades, Krejcie-Morgan sample table) and the LKE ZI of
PermenPANRB 90/2021 (survey index on a 1-4 scale, score = index / 4 x 17.5).

Kept as one module past 500 lines on purpose: every function here is one step of the same
regulation's arithmetic (NRR -> IKM -> grade -> LKE scale -> trend), read and checked
against the regulation top to bottom.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from app.domain import display

__all__ = [
    "IKM_2017_BANDS",
    "IKM_FACTOR",
    "LKE_SURVEY_WEIGHT",
    "ElementNrr",
    "ElementTally",
    "GradeBand",
    "GroupShare",
    "IkmResult",
    "PerceptionResult",
    "SurveyDataError",
    "TrendPoint",
    "TrendStep",
    "band_problems",
    "format_id",
    "grade_ikm",
    "grade_nrr_mean",
    "ikm",
    "lke_score",
    "nrr",
    "perception_index",
    "profile_breakdown",
    "round_half_up",
    "sample_size",
    "sample_size_exact",
    "to_fraction",
    "to_lke_scale",
    "trend",
]

Number = int | Fraction | Decimal | str

#: IKM = mean NRR x 25 (turns the 1-4 answer scale into 25-100).
IKM_FACTOR = 25
#: IKM answers are always on a 1-4 scale (PermenPANRB 14/2017).
IKM_SCALE_MIN = 1
IKM_SCALE_MAX = 4
#: LKE ZI 90/2021: IPKP and IPAK each weigh 17.5 in the Hasil component.
LKE_SURVEY_WEIGHT = Fraction(35, 2)
#: LKE ZI survey indices are on a 1-4 scale.
LKE_SCALE_MIN = 1
LKE_SCALE_MAX = 4


class SurveyDataError(ValueError):
    """Aggregates that cannot produce an index; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[str] | str):
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("; ".join(self.problems))


def to_fraction(value: Number) -> Fraction:
    """Convert an exact number (int, Fraction, Decimal or a decimal string) to a Fraction.

    Floats and bools are refused: they would hide a loss of exactness.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"exact number expected (int, Fraction, Decimal, str), got {value!r}")
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"finite number expected, got {value!r}")
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(value.strip())
    raise TypeError(f"exact number expected (int, Fraction, Decimal, str), got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class ElementTally:
    """Aggregate of one element (IKM ``U1``) or item (SPKP ``P1``) over the responses in scope.

    ``total`` is the sum of the answer values, ``count`` the number of answers.
    """

    code: str
    total: int
    count: int

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise TypeError(f"element code must be a non-empty string, got {self.code!r}")
        if not _is_int(self.total) or not _is_int(self.count):
            raise TypeError(
                f"{self.code}: total and count must be integers, "
                f"got total={self.total!r}, count={self.count!r}"
            )
        if self.count < 0 or self.total < 0:
            raise ValueError(f"{self.code}: total and count cannot be negative")


@dataclass(frozen=True)
class ElementNrr:
    """NRR (*nilai rata-rata*) of one element: ``total / count``."""

    code: str
    nrr: Fraction
    count: int


def nrr(tally: ElementTally) -> Fraction:
    """NRR of one element = sum of values / number of answers; error when nobody answered."""
    if tally.count == 0:
        raise SurveyDataError(f"{tally.code}: no answers, NRR is undefined")
    return Fraction(tally.total, tally.count)


def _validated(
    tallies: Iterable[ElementTally],
    scale_min: int,
    scale_max: int,
    expected: Sequence[str] | None,
) -> tuple[ElementTally, ...]:
    """Validate the tallies (all problems at once) and return them in a stable order."""
    tallies = tuple(tallies)
    problems: list[str] = []
    if not tallies:
        problems.append("no elements given")
    seen: dict[str, ElementTally] = {}
    for t in tallies:
        if not isinstance(t, ElementTally):
            problems.append(f"not an ElementTally: {t!r}")
            continue
        if t.code in seen:
            problems.append(f"{t.code}: given more than once")
            continue
        seen[t.code] = t
        if t.count == 0:
            problems.append(f"{t.code}: no answers, NRR is undefined")
        elif not scale_min * t.count <= t.total <= scale_max * t.count:
            problems.append(
                f"{t.code}: total {t.total} is impossible for {t.count} answers "
                f"on a {scale_min}-{scale_max} scale"
            )
    if expected is not None:
        expected = tuple(expected)
        if len(set(expected)) != len(expected):
            problems.append("expected element codes are not unique")
        missing = [c for c in expected if c not in seen]
        extra = [c for c in seen if c not in expected]
        if missing:
            problems.append("missing elements: " + ", ".join(missing))
        if extra:
            problems.append("unexpected elements: " + ", ".join(extra))
    if problems:
        raise SurveyDataError(problems)
    if expected is None:
        return tuple(seen.values())
    return tuple(seen[c] for c in expected)


def _mean_of_nrrs(ordered: Sequence[ElementTally]) -> tuple[int, int, tuple[str, ...]]:
    """The plain mean of the NRRs as (numerator, denominator), not reduced, and the codes
    sharing the lowest NRR, in order: exact integer arithmetic over a common denominator.

    With ``L`` the least common multiple of the answer counts, every NRR is
    ``total x (L / count) / L``: the NRRs compare as those integer numerators, and their mean
    is ``sum of numerators / (n x L)``, one reduction instead of one per element (the same
    Fraction as adding the NRRs one by one).
    """
    common = math.lcm(*(t.count for t in ordered))
    scaled = [t.total * (common // t.count) for t in ordered]
    lowest = min(scaled)
    weakest = tuple(t.code for t, s in zip(ordered, scaled, strict=True) if s == lowest)
    return sum(scaled), common * len(ordered), weakest


# --------------------------------------------------------------------------- display


def round_half_up(value: Number, places: int = 2) -> Decimal:
    """Exact half-up rounding for display (shared with the LKE: app.domain.display)."""
    return display.round_half_up(to_fraction(value), places)


def format_id(value: Number, places: int = 2) -> str:
    """Indonesian display ``87,56`` (shared with the LKE: app.domain.display)."""
    return display.format_id(to_fraction(value), places)


# --------------------------------------------------------------------------- IKM grades


@dataclass(frozen=True)
class GradeBand:
    """One grade of the IKM (*mutu pelayanan*), bounds inclusive on the IKM shown (2 decimals)."""

    letter: str
    lower: Decimal
    upper: Decimal
    label_id: str
    label_en: str

    def contains(self, shown: Decimal) -> bool:
        return self.lower <= shown <= self.upper

    @property
    def nrr_lower(self) -> Fraction:
        """Lower bound expressed as an NRR mean (IKM / 25), e.g. 76.61 -> 3.0644."""
        return Fraction(self.lower) / IKM_FACTOR

    @property
    def nrr_upper(self) -> Fraction:
        return Fraction(self.upper) / IKM_FACTOR


#: PermenPANRB 14/2017: IKM 25.00-64.99 D, 65.00-76.60 C, 76.61-88.30 B, 88.31-100.00 A.
IKM_2017_BANDS: tuple[GradeBand, ...] = (
    GradeBand("D", Decimal("25.00"), Decimal("64.99"), "Tidak Baik", "Poor"),
    GradeBand("C", Decimal("65.00"), Decimal("76.60"), "Kurang Baik", "Fair"),
    GradeBand("B", Decimal("76.61"), Decimal("88.30"), "Baik", "Good"),
    GradeBand("A", Decimal("88.31"), Decimal("100.00"), "Sangat Baik", "Very good"),
)

_CENT = Decimal("0.01")


def band_problems(bands: Sequence[GradeBand]) -> list[str]:
    """Every reason why ``bands`` do not tile 25.00-100.00 in steps of 0.01 (empty when fine)."""
    problems: list[str] = []
    if not bands:
        return ["no grade bands"]
    letters = [b.letter for b in bands]
    if len(set(letters)) != len(letters):
        problems.append("grade letters are not unique")
    for b in bands:
        for name in ("lower", "upper"):
            v = getattr(b, name)
            if not isinstance(v, Decimal) or not v.is_finite() or v != v.quantize(_CENT):
                problems.append(f"grade {b.letter}: {name} {v!r} is not a 2-decimal number")
        if isinstance(b.lower, Decimal) and isinstance(b.upper, Decimal) and b.lower > b.upper:
            problems.append(f"grade {b.letter}: lower {b.lower} is above upper {b.upper}")
    if problems:
        return problems
    ordered = sorted(bands, key=lambda b: b.lower)
    if ordered[0].lower != Decimal("25.00"):
        problems.append(f"lowest grade starts at {ordered[0].lower}, not 25.00")
    if ordered[-1].upper != Decimal("100.00"):
        problems.append(f"highest grade ends at {ordered[-1].upper}, not 100.00")
    for below, above in zip(ordered, ordered[1:], strict=False):
        if above.lower != below.upper + _CENT:
            problems.append(
                f"grades {below.letter} and {above.letter} leave a gap or overlap: "
                f"{below.upper} then {above.lower}"
            )
    return problems


def grade_ikm(value: Number, bands: Sequence[GradeBand] = IKM_2017_BANDS) -> GradeBand:
    """Grade an exact IKM.

    Decision: the grade is that of the IKM **rounded half-up to 2 decimals**, the number a
    report prints. The printed bounds leave gaps (64.99 | 65.00); an exact 64.995 is shown as
    65,00 and so graded C, and the shown value and its grade never disagree.
    """
    shown = round_half_up(value, 2)
    for band in bands:
        if band.contains(shown):
            return band
    raise SurveyDataError(f"IKM {shown} is outside every grade (25.00-100.00)")


def grade_nrr_mean(value: Number, bands: Sequence[GradeBand] = IKM_2017_BANDS) -> GradeBand:
    """Grade a mean NRR (1-4) consistently with :func:`grade_ikm`: grade of ``value x 25``.

    The regulation's NRR table (2.5996 | 2.60, 3.064 | 3.0644, 3.532 | 3.5324) is the IKM
    table divided by 25; grading through the IKM closes its gaps the same way.
    """
    return grade_ikm(to_fraction(value) * IKM_FACTOR, bands)


@dataclass(frozen=True)
class IkmResult:
    """Result of :func:`ikm`. ``ikm`` and ``nrr_mean`` are exact; ``ikm_shown`` is for display."""

    elements: tuple[ElementNrr, ...]
    nrr_mean: Fraction
    ikm: Fraction
    grade: GradeBand
    #: Improvement priority: the element with the lowest NRR (first one in order on a tie).
    priority: str
    #: Every element sharing the lowest NRR, in element order.
    weakest: tuple[str, ...]

    @property
    def ikm_shown(self) -> Decimal:
        return round_half_up(self.ikm, 2)

    def element(self, code: str) -> ElementNrr:
        for e in self.elements:
            if e.code == code:
                return e
        raise KeyError(code)


def ikm(
    tallies: Iterable[ElementTally],
    *,
    elements: Sequence[str] | None = None,
    bands: Sequence[GradeBand] = IKM_2017_BANDS,
) -> IkmResult:
    """IKM (PermenPANRB 14/2017) from one tally per element.

    NRR per element = total / count; mean NRR = plain mean over the elements (each weighs
    exactly 1/n, i.e. 1/9 for the nine elements; the printed weight 0.111 is not used);
    IKM = mean NRR x 25. Pass ``elements`` (the instrument's codes, in order) to require
    exactly those elements; then results follow that order.
    """
    ordered = _validated(tallies, IKM_SCALE_MIN, IKM_SCALE_MAX, elements)
    numerator, denominator, weakest = _mean_of_nrrs(ordered)
    mean = Fraction(numerator, denominator)
    value = Fraction(numerator * IKM_FACTOR, denominator)
    return IkmResult(
        elements=tuple(ElementNrr(t.code, Fraction(t.total, t.count), t.count)
                       for t in ordered),
        nrr_mean=mean,
        ikm=value,
        grade=grade_ikm(value, bands),
        priority=weakest[0],
        weakest=weakest,
    )


# --------------------------------------------------------------------------- SPKP / SPAK


def to_lke_scale(value: Number, scale_min: int, scale_max: int) -> Fraction:
    """Map a value linearly from ``scale_min..scale_max`` to the LKE's 1-4 scale.

    ``x -> 1 + 3 (x - min) / (max - min)``: min -> 1, max -> 4, midpoint -> 2.5. The
    regulation publishes no conversion; this linear map keeps order and distances and is the
    identity on a 1-4 scale. (1-6 scale: 6 -> 4, 1 -> 1, 3.5 -> 2.5.)
    """
    if not (_is_int(scale_min) and _is_int(scale_max)) or scale_min >= scale_max:
        raise ValueError(f"bad scale {scale_min!r}-{scale_max!r}: need integers with min < max")
    x = to_fraction(value)
    if not scale_min <= x <= scale_max:
        raise SurveyDataError(f"value {x} is outside the scale {scale_min}-{scale_max}")
    span = LKE_SCALE_MAX - LKE_SCALE_MIN
    return LKE_SCALE_MIN + span * (x - scale_min) / (scale_max - scale_min)


@dataclass(frozen=True)
class PerceptionResult:
    """Result of :func:`perception_index` (IPKP from SPKP, IPAK from SPAK)."""

    items: tuple[ElementNrr, ...]
    scale_min: int
    scale_max: int
    #: Mean of the item NRRs, on the instrument's own scale.
    index: Fraction
    #: ``index`` mapped linearly to 1-4, the value the LKE takes.
    index_1_4: Fraction
    priority: str
    weakest: tuple[str, ...]


def perception_index(
    tallies: Iterable[ElementTally],
    scale_min: int,
    scale_max: int,
    *,
    items: Sequence[str] | None = None,
) -> PerceptionResult:
    """SPKP/SPAK index: plain mean of the item NRRs, on its scale and converted to 1-4.

    Mean of the item means, exactly as the IKM does it (each item weighs the same, whatever
    its number of answers). ``items`` works like ``elements`` in :func:`ikm`.
    """
    if not (_is_int(scale_min) and _is_int(scale_max)) or scale_min >= scale_max:
        raise ValueError(f"bad scale {scale_min!r}-{scale_max!r}: need integers with min < max")
    ordered = _validated(tallies, scale_min, scale_max, items)
    numerator, denominator, weakest = _mean_of_nrrs(ordered)
    index = Fraction(numerator, denominator)
    return PerceptionResult(
        items=tuple(ElementNrr(t.code, Fraction(t.total, t.count), t.count) for t in ordered),
        scale_min=scale_min,
        scale_max=scale_max,
        index=index,
        index_1_4=to_lke_scale(index, scale_min, scale_max),
        priority=weakest[0],
        weakest=weakest,
    )


def lke_score(index_1_4: Number, weight: Number = LKE_SURVEY_WEIGHT) -> Fraction:
    """LKE ZI Hasil score of a survey index: ``index / 4 x weight`` (default weight 17.5).

    Continuous form (an index of 3.20 scores 14.0, 3.60 scores 15.75), not the 4/3/2/1
    bucketing one application uses.
    """
    x = to_fraction(index_1_4)
    w = to_fraction(weight)
    if not LKE_SCALE_MIN <= x <= LKE_SCALE_MAX:
        raise SurveyDataError(f"index {x} is outside the LKE scale 1-4")
    if w < 0:
        raise ValueError("weight cannot be negative")
    return x / LKE_SCALE_MAX * w


# --------------------------------------------------------------------------- sample size

#: Krejcie and Morgan (1970): chi-square for 1 degree of freedom at 95% (3.841),
#: margin of error 0.05 (d^2 = 0.0025), P = Q = 0.5.
KM_CHI_SQUARE = Fraction(3841, 1000)
KM_MARGIN_SQUARED = Fraction(1, 400)
KM_P = Fraction(1, 2)


def sample_size_exact(population: int) -> Fraction:
    """Krejcie-Morgan ``S = X2 N P Q / (d2 (N - 1) + X2 P Q)``, exact, before rounding."""
    if not _is_int(population) or population < 1:
        raise ValueError(f"population must be a positive integer, got {population!r}")
    pq = KM_P * (1 - KM_P)
    return (KM_CHI_SQUARE * population * pq) / (
        KM_MARGIN_SQUARED * (population - 1) + KM_CHI_SQUARE * pq
    )


def sample_size(population: int, *, rounding: Literal["table", "up"] = "table") -> int:
    """Minimum number of respondents for a population of ``population`` service users.

    Decision: by default the exact value is rounded to the **nearest** integer (half-up),
    which reproduces the published Krejcie-Morgan table that PermenPANRB 14/2017 uses
    (100 -> 80, 500 -> 217, 1000 -> 278, 10000 -> 370, 1000000 -> 384). Strict rounding up
    disagrees with that table, e.g. 500 gives 217.47 -> 218 and 50 gives 44.34 -> 45 where
    the table says 44. ``rounding="up"`` gives that stricter, never-smaller figure.
    """
    exact = sample_size_exact(population)
    if rounding == "table":
        return math.floor(exact + Fraction(1, 2))
    if rounding == "up":
        return math.ceil(exact)
    raise ValueError(f"rounding must be 'table' or 'up', got {rounding!r}")


# --------------------------------------------------------------------------- profile, trend


@dataclass(frozen=True)
class GroupShare:
    """One group of a respondent-profile breakdown (e.g. gender ``P``): count and share 0-1."""

    code: str
    count: int
    share: Fraction

    @property
    def percent(self) -> Fraction:
        return self.share * 100


def profile_breakdown(
    counts: Mapping[str, int] | Iterable[tuple[str, int]],
) -> tuple[GroupShare, ...]:
    """Share of each group in the given order (``SELECT gender, COUNT(*) ... GROUP BY``).

    Shares are exact and add up to 1; with no respondents at all every share is 0.
    """
    pairs = tuple(counts.items() if isinstance(counts, Mapping) else counts)
    problems: list[str] = []
    seen: set[str] = set()
    for code, count in pairs:
        if code in seen:
            problems.append(f"{code}: given more than once")
        seen.add(code)
        if not _is_int(count) or count < 0:
            problems.append(f"{code}: count must be a non-negative integer, got {count!r}")
    if problems:
        raise SurveyDataError(problems)
    total = sum(count for _, count in pairs)
    return tuple(
        GroupShare(code, count, Fraction(count, total) if total else Fraction(0))
        for code, count in pairs
    )


@dataclass(frozen=True)
class TrendPoint:
    """An index value for one period (``"2025-S1"``, ``"2026-Q3"``...)."""

    period: str
    value: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", to_fraction(self.value))


@dataclass(frozen=True)
class TrendStep:
    """A period with its change from the previous period (``None`` for the first)."""

    period: str
    value: Fraction
    previous: Fraction | None
    change: Fraction | None

    @property
    def direction(self) -> Literal["up", "down", "flat"] | None:
        if self.change is None:
            return None
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"


def trend(points: Iterable[TrendPoint]) -> tuple[TrendStep, ...]:
    """Change between consecutive periods, in the order given (the caller sorts periods)."""
    points = tuple(points)
    periods = [p.period for p in points]
    if len(set(periods)) != len(periods):
        raise SurveyDataError("a period appears more than once")
    steps: list[TrendStep] = []
    previous: Fraction | None = None
    for p in points:
        change = None if previous is None else p.value - previous
        steps.append(TrendStep(p.period, p.value, previous, change))
        previous = p.value
    return tuple(steps)
