"""Progress (answers and expected evidence), comparison of two years, and the reviewer's
oversight of the units it reviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from sqlmodel import Session

from app.domain.lke import ScoreReport
from app.models.lke.assessments import Assessment
from app.models.lke.summary import AssessmentSummary
from app.models.units import Unit
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid
from app.services.lke import summary as lke_summary
from app.services.lke.assessments import get, list_for_units
from app.services.lke.evidence_links import EvidenceCoverage
from app.services.lke.evidence_links import coverage as evidence_coverage
from app.services.lke.scores import Evaluation, evaluate, no_rows, score_report
from app.services.season.calendar import UnitSeason, seasons_of


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    evidence: EvidenceCoverage | None = None

    @property
    def share(self) -> Fraction:
        return Fraction(self.answered, self.total) if self.total else Fraction(0)

    @property
    def percentage(self) -> Fraction:
        return self.share * 100

    @property
    def evidence_label(self) -> str:
        if self.evidence is None:
            return "belum ada eviden"
        return f"{self.evidence.covered} dari {self.evidence.expected} eviden"


def progress(
    session: Session,
    *,
    assessment: Assessment,
    report: ScoreReport | None = None,
    evidence: EvidenceCoverage | None = None,
) -> Progress:
    """Questions answered of all questions, and expected evidence covered (when known;
    pass ``evidence`` when the caller has just computed it)."""
    report = report or score_report(session, assessment=assessment)
    return Progress(
        answered=report.total.answered,
        total=report.total.questions,
        evidence=evidence or evidence_coverage(session, assessment),
    )


def progress_of(row: AssessmentSummary) -> Progress:
    """Progress as the assessment's summary holds it (no scoring, no query)."""
    return Progress(answered=row.answered, total=row.questions,
                    evidence=EvidenceCoverage(row.evidence_covered, row.evidence_expected))


@dataclass(frozen=True)
class Listed:
    """One assessment in a list, from its summary: total, verdict, progress."""

    assessment: Assessment
    summary: AssessmentSummary
    total: Fraction
    verdict: lke_summary.VerdictSummary
    progress: Progress


def listed(session: Session, assessments: list[Assessment]) -> list[Listed]:
    """Total, verdict and progress of each assessment from the summaries (one query)."""
    rows = lke_summary.for_assessments(session, assessments)
    out = []
    for a in assessments:
        row = rows[a.id]
        out.append(Listed(a, row, lke_summary.total_of(row) or Fraction(0),
                          lke_summary.verdict_of(row), progress_of(row)))
    return out


@dataclass(frozen=True)
class AreaComparison:
    ref: str
    name: str
    part_ref: str
    part_name: str
    weight: Fraction
    base: Fraction | None
    other: Fraction | None

    @property
    def delta(self) -> Fraction | None:
        if self.base is None or self.other is None:
            return None
        return self.other - self.base


@dataclass(frozen=True)
class Comparison:
    base: Evaluation
    other: Evaluation
    areas: list[AreaComparison] = field(default_factory=list)
    parts: list[AreaComparison] = field(default_factory=list)

    @property
    def total_delta(self) -> Fraction:
        return self.other.total - self.base.total


def compare(
    session: Session, *, actor: Principal | None, base_id: int, other_id: int
) -> Comparison:
    """Per-part and per-area scores of two assessments of the same unit (base -> other)."""
    base_a = get(session, actor=actor, assessment_id=base_id)
    other_a = get(session, actor=actor, assessment_id=other_id)
    if base_a.unit_id != other_a.unit_id:
        raise Invalid("Perbandingan hanya antar penilaian dari unit yang sama.")
    base = evaluate(session, assessment=base_a, rows_for=no_rows)
    other = evaluate(session, assessment=other_a, rows_for=no_rows)
    areas: list[AreaComparison] = []
    parts: list[AreaComparison] = []
    seen: set[str] = set()
    for fw in (other.framework, base.framework):
        for part in fw.parts():
            if part.ref not in seen:
                seen.add(part.ref)
                parts.append(AreaComparison(
                    part.ref, part.name, part.ref, part.name, Fraction(part.weight),
                    _score_or_none(base.report, part.ref), _score_or_none(other.report, part.ref),
                ))
            for area in part.areas:
                if area.ref in seen:
                    continue
                seen.add(area.ref)
                areas.append(AreaComparison(
                    area.ref, area.name, part.ref, part.name, Fraction(area.weight),
                    _score_or_none(base.report, area.ref), _score_or_none(other.report, area.ref),
                ))
    return Comparison(base=base, other=other, areas=areas, parts=parts)


def _score_or_none(report: ScoreReport, ref: str) -> Fraction | None:
    node = report.nodes.get(ref)
    return node.score if node is not None else None


@dataclass(frozen=True)
class OversightRow:
    unit: Unit
    assessment: Assessment | None
    total: Fraction | None
    verdict: lke_summary.VerdictSummary | None
    progress: Progress | None
    #: The unit's evaluation calendar step and lateness (app.services.season.calendar).
    season: UnitSeason | None = None


def oversight(
    session: Session, *, actor: Principal | None, year: int | None = None
) -> list[OversightRow]:
    """For a reviewer: each work unit it reviews with its latest (or that year's) assessment."""
    if actor is None:
        visible = None
    else:
        visible = actor.unit_ids("review.write")
        if visible is not None and not visible:
            visible = actor.unit_ids("unit.read")
    work_units = [
        u for u in units.list_units(session, unit_ids=visible) if u.level == "unit"
    ]
    latest: dict[int, Assessment] = {}
    for a in list_for_units(session, unit_ids={u.id for u in work_units}, year=year):
        latest.setdefault(a.unit_id, a)  # newest year first per unit
    listed_by_id = {x.assessment.id: x for x in listed(session, list(latest.values()))}
    seasons = seasons_of(session, unit_ids=[u.id for u in work_units], year=year)
    out = []
    for unit in work_units:
        a = latest.get(unit.id)
        season = seasons.get(unit.id)
        if a is None:
            out.append(OversightRow(unit, None, None, None, None, season))
            continue
        x = listed_by_id[a.id]
        out.append(OversightRow(unit, a, x.total, x.verdict, x.progress, season))
    return out
