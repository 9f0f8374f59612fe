"""The LKE self-assessment report of one assessment, as a PDF.

Every number comes from the services the pages call (``scores.evaluate`` and its verdicts,
``review_records.side_by_side``, ``scores.gap_plan``, ``evidence_links.question_evidence``,
``overview.progress``): :func:`build` gathers them once into :class:`LkeReport`, the
template ``reports/lke.html`` lays them out with the pages' macros, and
``app.services.documents.pdf`` prints it. Nothing here computes a score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from sqlmodel import Session

from app.domain.lke import Framework, GapItem, GapPlan, ScoreReport, Verdict
from app.domain.lke import review as rv
from app.domain.lke.review import ComparisonRow
from app.i18n import LANGUAGES, format_number, gettext
from app.models.lke.assessments import Assessment
from app.models.lke.review import LkeReview
from app.models.units import Unit
from app.security.principal import Principal
from app.services import charts, units
from app.services.documents.pdf import PDF_MEDIA_TYPE, render_pdf
from app.services.documents.templating import STATIC_DIR, render_document
from app.services.lke import assessments, evidence_links, overview, review_records, scores
from app.services.lke.overview import Progress
from app.services.lke.review_records import SideBySide
from app.services.programme import team

TEMPLATE = "reports/lke.html"
#: The parties side by side: the unit's own answers, then each review level.
PARTIES = ("self", rv.REGIONAL, rv.TPI)
#: The score tree down to sub-indicators (questions are in the worksheet and its XLSX).
TREE_LEVELS = ("total", "component", "part", "area", "sub_indicator")
#: Questions listed in the gap plan summary (the gaps page lists them all).
GAP_ITEMS_SHOWN = 15


@dataclass(frozen=True)
class AreaEvidence:
    """Expected evidence of one area covered by linked evidence, and its questions with at
    least one evidence."""

    ref: str
    name: str
    part_name: str
    covered: int
    expected: int
    questions_with_evidence: int
    questions: int

    @property
    def percentage(self) -> Fraction | None:
        return Fraction(self.covered * 100, self.expected) if self.expected else None


@dataclass(frozen=True)
class DecisionNote:
    ref: str
    note: str


@dataclass(frozen=True)
class Decision:
    """One recorded review decision with the reviewer's notes per question."""

    review: LkeReview
    notes: tuple[DecisionNote, ...]
    self_total: Fraction
    review_total: Fraction


@dataclass(frozen=True)
class Signatory:
    role: str  # Indonesian, translated in the template
    name: str
    position: str


@dataclass(frozen=True)
class GapSummary:
    plan: GapPlan
    shown: tuple[GapItem, ...]
    questions: int  # below their maximum
    blockers: int
    gain: Fraction  # points every one of them at its maximum would add


@dataclass(frozen=True)
class LkeReport:
    assessment: Assessment
    unit: Unit
    parents: tuple[Unit, ...]  # top of the tree first
    framework: Framework
    evaluation: scores.Evaluation
    progress: Progress
    verdicts: dict[str, Verdict]  # "WBK", "WBBM"
    side_by_side: SideBySide
    tree: tuple[ComparisonRow, ...]
    parties: tuple[str, ...]  # of PARTIES, those with a review level for this unit
    gaps: GapSummary
    decisions: tuple[Decision, ...]
    evidence: tuple[AreaEvidence, ...]
    signatories: tuple[Signatory, ...]
    generated_at: datetime

    @property
    def filename(self) -> str:
        code = re.sub(r"[^A-Za-z0-9_-]+", "-", self.unit.code).strip("-") or "unit"
        return f"Laporan-LKE-{code}-{self.assessment.year}.pdf"


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    filename: str
    media_type: str = PDF_MEDIA_TYPE


def build(session: Session, *, actor: Principal | None, assessment_id: int) -> LkeReport:
    """Everything the report shows, from the services the pages use (read-only)."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    unit = units.get(session, unit_id=assessment.unit_id)
    ev = scores.evaluate(session, assessment=assessment)
    per_question = evidence_links.question_evidence(
        session, assessment=assessment, framework=ev.framework)
    sbs = review_records.side_by_side(
        session, actor=actor, assessment_id=assessment.id, evaluation=ev)
    return LkeReport(
        assessment=assessment,
        unit=unit,
        parents=tuple(units.ancestors(session, unit=unit)),
        framework=ev.framework,
        evaluation=ev,
        progress=overview.progress(session, assessment=assessment, report=ev.report,
                                   evidence=evidence_links.coverage_of(per_question)),
        verdicts=scores.verdicts(ev),
        side_by_side=sbs,
        tree=tuple(r for r in sbs.comparison.rows if r.level in TREE_LEVELS),
        parties=("self", *(p for p in PARTIES[1:] if p in sbs.levels)),
        gaps=_gap_summary(scores.gap_plan(session, assessment=assessment)),
        decisions=_decisions(session, actor, assessment),
        evidence=_area_evidence(ev.framework, per_question),
        signatories=_signatories(session, unit),
        generated_at=datetime.now(UTC),
    )


def _gap_summary(plan: GapPlan) -> GapSummary:
    """The counts of the whole plan and its first questions in the gaps page's order
    (blockers first, then the largest gains): a summary, the full list stays on the page."""
    return GapSummary(plan, plan.items[:GAP_ITEMS_SHOWN], len(plan.items),
                      sum(1 for i in plan.items if i.blocker),
                      sum((i.gain_max for i in plan.items), Fraction(0)))


def _decisions(session: Session, actor: Principal | None,
               assessment: Assessment) -> tuple[Decision, ...]:
    out = []
    for review in review_records.reviews(session, actor=actor, assessment_id=assessment.id):
        notes = tuple(
            DecisionNote(item.question_ref, item.note.strip())
            for item in review_records.items_of(session, review_id=review.id)
            if item.note and item.note.strip()
        )
        out.append(Decision(review, notes, Fraction(review.self_total),
                            Fraction(review.review_total)))
    return tuple(out)


def _area_evidence(framework: Framework, per_question) -> tuple[AreaEvidence, ...]:
    out = []
    for part in framework.parts():
        for area in part.areas:
            qs = [per_question[q.ref] for q in area.questions]
            out.append(AreaEvidence(
                area.ref, area.name, part.name,
                covered=sum(q.covered for q in qs),
                expected=sum(len(q.expected) for q in qs),
                questions_with_evidence=sum(1 for q in qs if q.links),
                questions=len(qs),
            ))
    return tuple(out)


def _signatories(session: Session, unit: Unit) -> tuple[Signatory, ...]:
    """The head of the unit (the team's penanggung jawab) and the team coordinator, from
    the ZI team; a blank line to sign on when the team does not name them."""
    members = team.all_members(session, unit_id=unit.id, active_only=True)

    def holder(role: str) -> tuple[str, str]:
        found = next((m for m in members if role in (m.roles or ())), None)
        return (found.name, found.position) if found else ("", "")

    head, coordinator = holder("penanggung_jawab"), holder("koordinator")
    return (
        Signatory("Kepala unit kerja", *head),
        Signatory("Koordinator tim ZI", *coordinator),
    )


def area_chart(framework: Framework, score: ScoreReport, *, lang: str) -> str:
    """Each area's score as a share of its weight (0-100 %): in the report and on the
    gaps page (the same SVG)."""
    nodes = score.nodes
    bars = [
        charts.Bar(f"{a.ref} {a.name}", nodes[a.ref].percentage,
                   f"{format_number(nodes[a.ref].percentage, lang=lang)}%")
        for a in framework.areas()
    ]
    title = gettext("Capaian per area (% dari bobot)", lang)
    return charts.bar_chart(bars, scale_max=100, tick=25, title=title, chart_id="lke-areas",
                            row=22, label_width=300, value_width=72)


def render_html(report: LkeReport, *, lang: str) -> str:
    """The report's HTML in ``lang`` (what the PDF prints)."""
    return render_document(TEMPLATE, {
        "r": report,
        "chart": area_chart(report.framework, report.evaluation.report, lang=lang),
        "tz": report.unit.timezone,
    }, lang=lang)


def render(session: Session, *, actor: Principal | None, assessment_id: int,
           lang: str = "id") -> ReportFile:
    """The report of an assessment as a PDF file, in Indonesian or English."""
    lang = lang if lang in LANGUAGES else "id"
    report = build(session, actor=actor, assessment_id=assessment_id)
    pdf = render_pdf(render_html(report, lang=lang), base_url=STATIC_DIR)
    return ReportFile(pdf, report.filename)
