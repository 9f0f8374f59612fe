"""The survey indices and LKE scores the unit's timeline shows (read-only).

- :func:`survey_points`: IKM, IPKP and IPAK of every closed (or ended) campaign, dated at its
  close (the day it was closed, or its last day if that came first), never outside the
  campaign's year. IKM on its own 25-100 scale, IPKP/IPAK on the LKE's 1-4 scale, rounded
  half-up to two decimals.
- :func:`lke_scores`: per assessment year the self-assessment total (with the verdict against
  its target when it passes), and the latest regional-office and TPI decision totals from the
  review records. Dated at the last submission / decision, kept inside the assessment year
  (31 December of that year when it came later), so each score sits on its year's card.

``app.services.integration.timeline.unit_timeline`` calls both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.domain.display import round_half_up
from app.domain.programme import LkeScore, SurveyPoint
from app.models.lke.review import LkeReview, LkeSubmission
from app.models.units import Unit
from app.services.lke import assessments, scores
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results

REVIEW_ASSESSORS = {"regional": "kanwil", "tpi": "tpi"}
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
        ev = scores.evaluate(session, assessment=a)
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
