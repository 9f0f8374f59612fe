"""Read-only joins between capabilities, registered at import:

- ``timeline.SURVEY_SOURCES``: IKM, IPKP and IPAK of every closed (or ended) campaign, dated
  at its close (the day it was closed, or its last day if that came first), never outside the
  campaign's year. IKM on its own 25-100 scale, IPKP/IPAK on the LKE's 1-4 scale, rounded
  half-up to two decimals.
- ``timeline.LKE_SOURCES``: per assessment year the self-assessment total (with the verdict
  against its target when it passes), and the latest regional-office and TPI decision totals
  from the review records. Dated at the last submission / decision, kept inside the assessment
  year (31 December of that year when it came later), so each score sits on its year's card.
- ``lke_xlsx.evidence_lines_provider``: one line per evidence linked to a question,
  "Judul (alamat tautan)" or "Judul (berkas nama.pdf)".
- ``lke_xlsx.reviewer_notes_provider``: one line per reviewer note of every recorded decision,
  "Kantor Wilayah - Nama (tanggal): catatan", oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.domain.display import round_half_up
from app.domain.programme import LkeScore, SurveyPoint
from app.i18n import format_date
from app.models.lke.assessments import Assessment
from app.models.lke.review import LkeReview, LkeReviewItem, LkeSubmission
from app.models.units import Unit
from app.services.integration import timeline
from app.services.lke import assessments, evidence
from app.services.lke import xlsx as lke_xlsx
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results

REVIEW_ASSESSORS = {"regional": "kanwil", "tpi": "tpi"}
REVIEW_LEVEL_NAMES = {"regional": "Kantor Wilayah", "tpi": "TPI"}
TIMELINE_CODES = {"ikm": "ikm", "spkp": "ipkp", "spak": "ipak"}


@dataclass(frozen=True)
class LabelledSurveyPoint(SurveyPoint):
    label: str = ""


@dataclass(frozen=True)
class VerdictScore(LkeScore):
    verdict: str = ""


def _local(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def _within(on: date, year: int) -> date:
    return on if on.year <= year else date(year, 12, 31)


def survey_points(session: Session, unit: Unit) -> list[SurveyPoint]:
    """Each closed campaign's IKM / IPKP / IPAK for the timeline."""
    out: list[SurveyPoint] = []
    for campaign in survey_campaigns.list_campaigns(session, unit_id=unit.id):
        if survey_campaigns.campaign_state(campaign) not in ("closed", "ended"):
            continue
        on = campaign.closes_on
        if campaign.closed_at is not None:
            on = min(on, _local(campaign.closed_at, campaign.timezone))
        on = _within(on, campaign.year)
        results = survey_results.campaign_results(
            session, campaign=campaign, with_services=False, with_profile=False
        )
        for result in results.instruments:
            if not result.has_data:
                continue
            value = result.value if result.kind == "ikm" else result.value_1_4
            out.append(LabelledSurveyPoint(
                on=on, instrument=TIMELINE_CODES[result.kind],
                value=round_half_up(value, 2),
                label=f"{campaign.title} ({campaign.period_label})",
            ))
    return out


def lke_scores(session: Session, unit: Unit) -> list[LkeScore]:
    """Self-assessment, regional and TPI totals per assessment year for the timeline."""
    out: list[LkeScore] = []
    for a in assessments.list_for_unit(session, actor=None, unit_id=unit.id):
        ev = assessments.evaluate(session, assessment=a)
        if ev.report.total.answered == 0:
            continue
        submitted = session.exec(
            select(LkeSubmission.submitted_at).where(LkeSubmission.assessment_id == a.id)
            .order_by(col(LkeSubmission.id).desc())
        ).first()
        on = _within(_local(submitted or a.updated_at, unit.timezone), a.year)
        out.append(VerdictScore(
            on=on, total=round_half_up(ev.total, 2), assessor="mandiri",
            verdict=a.target if ev.verdict.passed else "",
        ))
        for level, assessor in REVIEW_ASSESSORS.items():
            decision = session.exec(
                select(LkeReview).where(LkeReview.assessment_id == a.id,
                                        LkeReview.level == level)
                .order_by(col(LkeReview.id).desc())
            ).first()
            if decision is None:
                continue
            out.append(LkeScore(
                on=_within(_local(decision.decided_at, unit.timezone), a.year),
                total=round_half_up(Fraction(decision.review_total), 2), assessor=assessor,
            ))
    return out


def evidence_lines(session: Session, assessment: Assessment) -> Mapping[str, tuple[str, ...]]:
    """Question ref -> one line per linked evidence, for the XLSX Eviden column."""
    out: dict[str, list[str]] = {}
    for ref, qe in evidence.question_evidence(session, assessment=assessment).items():
        seen: set[int] = set()
        for linked in qe.links:
            row = linked.evidence
            if row.id in seen:
                continue
            seen.add(row.id)
            where = row.url if row.kind == "link" else f"berkas {row.original_name or '-'}"
            out.setdefault(ref, []).append(f"{row.title} ({where})")
    return {ref: tuple(lines) for ref, lines in out.items()}


def reviewer_notes(session: Session, assessment: Assessment) -> Mapping[str, tuple[str, ...]]:
    """Question ref -> one line per reviewer note of the recorded decisions, oldest first."""
    unit = session.get(Unit, assessment.unit_id)
    tz = unit.timezone if unit else "Asia/Jakarta"
    rows = session.exec(
        select(LkeReview, LkeReviewItem)
        .join(LkeReviewItem, col(LkeReviewItem.review_id) == col(LkeReview.id))
        .where(LkeReview.assessment_id == assessment.id, col(LkeReviewItem.note).is_not(None))
        .order_by(col(LkeReview.id), col(LkeReviewItem.question_ref))
    ).all()
    out: dict[str, list[str]] = {}
    for review, item in rows:
        note = (item.note or "").strip()
        if not note:
            continue
        level = REVIEW_LEVEL_NAMES.get(review.level, review.level)
        when = format_date(review.decided_at, tz).split(" ")[0]
        out.setdefault(item.question_ref, []).append(
            f"{level} - {review.reviewer_label} ({when}): {note}"
        )
    return {ref: tuple(lines) for ref, lines in out.items()}


def _register() -> None:
    if survey_points not in timeline.SURVEY_SOURCES:
        timeline.SURVEY_SOURCES.append(survey_points)
    if lke_scores not in timeline.LKE_SOURCES:
        timeline.LKE_SOURCES.append(lke_scores)
    lke_xlsx.evidence_lines_provider = evidence_lines
    lke_xlsx.reviewer_notes_provider = reviewer_notes


_register()

