"""The roll-up's reading of the LKE score summaries (``assessment_summary``, kept current by
app.services.lke.summary in the transaction that changes an assessment): totals, verdicts
and the failed requirements, never the answers.

Exact values travel as the summary's exact texts ("87.5", "263/3") and become Fractions
here; ``self_score`` (a float) is used only to sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from sqlalchemy import BigInteger, Select, String, Table, case, cast, func, literal, select
from sqlmodel import Session

from app.domain import rollup as domain
from app.models.lke.assessments import LkeFramework
from app.models.lke.summary import AssessmentSummary
from app.models.units import UnitLevel
from app.services.lke import frameworks
from app.services.rollup.tree import TREE

_SUMMARY = AssessmentSummary.__table__
_S = _SUMMARY.c


def _by_year(position) -> Select:
    """Per year, target, verdict, denominator and score band: how many assessments and the
    sum of their numerators. The exact text of each total ("263/3", "87.5", "80") is split
    into integers in SQL (``position``: the dialect's instr/strpos) and the band found by
    integer comparison (numerator >= edge * denominator), so the rows returned do not grow
    with the number of units and nothing is rounded."""
    text = _S.self_total
    slash, dot = position(text, "/"), position(text, ".")
    numerator = case(
        (slash > 0, cast(func.substr(text, 1, slash - 1), BigInteger)),
        else_=cast(func.replace(text, ".", ""), BigInteger),
    )
    denominator = case(
        (slash > 0, cast(func.substr(text, slash + 1), BigInteger)),
        (dot > 0, cast(literal("1", String) + func.substr(literal("0" * 18, String), 1,
                                                        func.length(text) - dot),
                       BigInteger)),
        else_=literal(1, BigInteger),
    )
    parsed = (
        select(_S.year.label("year"), _S.target.label("target"),
               _S.verdict_passed.label("passed"), numerator.label("num"),
               denominator.label("den"))
        .join(TREE, TREE.c.id == _S.unit_id)
        .where(TREE.c.level == UnitLevel.unit.value)
        .cte("rollup_parsed").prefix_with("MATERIALIZED")
    )
    p = parsed.c
    band = case(
        *[(p.num >= p.den * edge, index)
          for index, edge in reversed(list(enumerate(domain.SCORE_BAND_EDGES))) if index],
        else_=0,
    ).label("band")
    inner = select(p.year, p.target, p.passed, p.den, band, p.num).subquery("banded")
    b = inner.c
    return (select(b.year, b.target, b.passed, b.den, b.band, func.sum(b.num), func.count())
            .group_by(b.year, b.target, b.passed, b.den, b.band))


_BY_YEAR = {"sqlite": _by_year(func.instr), "postgresql": _by_year(func.strpos)}
_FRAMEWORKS = select(LkeFramework.id, LkeFramework.sha256)


@dataclass(frozen=True)
class Blocker:
    """One failed requirement of a unit's target and the points it lacks (None: a check
    without points, such as holding WBK before WBBM).

    Built from the summary's exact texts; the Fractions are made when first read (a page
    of the ministry's table holds about a thousand blockers and shows four per unit)."""

    code: str
    value_text: str | None
    threshold_text: str | None

    @cached_property
    def value(self) -> Fraction | None:
        return None if self.value_text is None else Fraction(self.value_text)

    @cached_property
    def threshold(self) -> Fraction | None:
        return None if self.threshold_text is None else Fraction(self.threshold_text)

    @cached_property
    def missing(self) -> Fraction | None:
        if self.value is None or self.threshold is None:
            return None
        return max(Fraction(0), self.threshold - self.value)

    @property
    def label(self) -> str:
        if self.code == "total":
            return "Nilai total"
        if self.code.startswith("area:"):
            return "Area " + self.code.split(":", 1)[1]
        if self.code == "wbk_held":
            return "Belum berpredikat WBK"
        return self.code.replace("_", " ").capitalize()


def table() -> Table:
    return _SUMMARY


def joins(summary: Table, assessment_columns):
    return summary.c.assessment_id == assessment_columns.id


def columns(summary: Table):
    s = summary.c
    return (s.self_total.label("self_total"), s.verdict_passed.label("verdict_passed"),
            s.verdict_failed.label("verdict_failed"))


def total_column(summary: Table):
    return summary.c.self_score


def missing_column(summary: Table, thresholds: dict[tuple[int, str], Fraction] | None = None):
    """Points short of the target's total threshold (0 when reached; NULL without a
    summary), as a float: a sort key only, the page shows the exact blockers."""
    s = summary.c
    whens = [
        ((s.framework_id == fw) & (s.target == target), literal(float(minimum)))
        for (fw, target), minimum in (thresholds or {}).items()
    ]
    if not whens:
        return case((s.assessment_id.is_(None), None), else_=literal(0.0))
    threshold = case(*whens, else_=s.self_score)
    short = threshold - s.self_score
    return case((s.assessment_id.is_(None), None), (short > 0, short), else_=literal(0.0))


#: (framework id, sha256) -> {predicate: minimum total}; frameworks are immutable.
_THRESHOLDS: dict[tuple[int, str], dict[str, Fraction]] = {}


def total_thresholds(session: Session) -> dict[tuple[int, str], Fraction]:
    """(framework id, predicate) -> its minimum total, for every stored framework version
    (one small query; a version's content is read and parsed once per process)."""
    out: dict[tuple[int, str], Fraction] = {}
    for framework_id, sha in session.execute(_FRAMEWORKS):
        minima = _THRESHOLDS.get((framework_id, sha))
        if minima is None:
            framework = frameworks.load(session, framework_id=framework_id)
            minima = {
                predicate.code: Fraction(check.minimum)
                for predicate in framework.predicates for check in predicate.checks
                if check.kind == "total_min" and check.minimum is not None
            }
            _THRESHOLDS[(framework_id, sha)] = minima
        out.update({(framework_id, code): minimum for code, minimum in minima.items()})
    return out


def verdict_is(summary: Table, verdict: str):
    s = summary.c
    if verdict == "none":
        return s.assessment_id.is_(None)
    return s.verdict_passed.is_(verdict == "passed") & s.assessment_id.is_not(None)


def read(row) -> tuple[Fraction | None, bool | None, Fraction | None, tuple[Blocker, ...]]:
    """(total, passed, missing points in all, blockers) of a table row."""
    if row.self_total is None:
        return None, None, None, ()
    blockers = tuple(Blocker(code, value, threshold)
                     for code, value, threshold in (row.verdict_failed or []))
    # The gap reads only the total's shortfall (domain.gap): the other blockers stay texts.
    gap = domain.gap({b.code: b.missing for b in blockers if b.code == domain.TOTAL_CHECK})
    return Fraction(row.self_total), bool(row.verdict_passed), gap.missing, blockers


def by_year(session: Session, *, root_id: int) -> list[domain.YearScores]:
    """Score and verdict distribution of every year (one GROUP BY over the summaries: one row
    per year, target, verdict, denominator and band)."""
    statement = _BY_YEAR[session.get_bind().dialect.name]
    rows = session.execute(statement, {"root_id": root_id}).all()
    return domain.year_scores([
        domain.BandTotals(year, target, bool(passed), int(den), int(band), int(num_sum), n)
        for year, target, passed, den, band, num_sum, n in rows
    ])
