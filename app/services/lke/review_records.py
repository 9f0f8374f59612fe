"""Reading the review records of an LKE assessment: decisions and their items, open flags,
self/regional/TPI side by side, and the reviewer notes for the XLSX export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from sqlmodel import Session, col, select

from app.domain import lke
from app.domain.lke import Framework, ScoreReport
from app.domain.lke import review as rv
from app.i18n import format_date
from app.models.lke.assessments import Assessment, LkeAnswer
from app.models.lke.review import LkeReview, LkeReviewItem
from app.models.units import Unit
from app.security.principal import Principal
from app.services import units
from app.services.errors import NotFound
from app.services.lke import assessments
from app.services.lke import scores as lke_scores
from app.services.lke.review import answer_of_json
from app.services.lke.submission import LEVEL_NAMES, chain_levels


def reviews(session: Session, *, actor: Principal | None, assessment_id: int) -> list[LkeReview]:
    """Every decision on an assessment, oldest first (readable by the unit and reviewers)."""
    assessments.get(session, actor=actor, assessment_id=assessment_id)
    return list(
        session.exec(
            select(LkeReview)
            .where(LkeReview.assessment_id == assessment_id)
            .order_by(col(LkeReview.id))
        ).all()
    )


def items_of(session: Session, *, review_id: int) -> list[LkeReviewItem]:
    return list(
        session.exec(
            select(LkeReviewItem)
            .where(LkeReviewItem.review_id == review_id)
            .order_by(col(LkeReviewItem.id))
        ).all()
    )


def get_review(session: Session, *, actor: Principal | None, review_id: int) -> LkeReview:
    row = session.get(LkeReview, review_id)
    if row is None:
        raise NotFound(f"Keputusan reviu {review_id} tidak ditemukan.")
    assessments.get(session, actor=actor, assessment_id=row.assessment_id)
    return row


@dataclass(frozen=True)
class Flag:
    ref: str
    note: str | None
    level: str
    reviewer: str


def open_flags(session: Session, *, assessment: Assessment) -> dict[str, Flag]:
    """While returned: the questions the returning reviewer flagged, with their notes."""
    if assessment.status != rv.RETURNED:
        return {}
    last = session.exec(
        select(LkeReview)
        .where(LkeReview.assessment_id == assessment.id)
        .order_by(col(LkeReview.id).desc())
    ).first()
    if last is None or last.decision != rv.RETURN:
        return {}
    return {
        item.question_ref: Flag(item.question_ref, item.note, last.level, last.reviewer_label)
        for item in items_of(session, review_id=last.id)
        if item.flagged
    }


def latest_return(session: Session, *, assessment: Assessment) -> LkeReview | None:
    if assessment.status != rv.RETURNED:
        return None
    last = session.exec(
        select(LkeReview)
        .where(LkeReview.assessment_id == assessment.id)
        .order_by(col(LkeReview.id).desc())
    ).first()
    return last if last is not None and last.decision == rv.RETURN else None


# --- side by side -----------------------------------------------------------------------

@dataclass(frozen=True)
class SideBySide:
    assessment: Assessment
    framework: Framework
    comparison: rv.Comparison
    decisions: Mapping[str, LkeReview | None]  # level -> latest decision
    notes: Mapping[str, Mapping[str, str]]  # level -> ref -> note
    levels: tuple[str, ...]
    answers: Mapping[str, Mapping[str, dict | None]] = field(default_factory=dict)

    def percent(self, party: str, ref: str) -> Fraction | None:
        row = self.comparison.row(ref)
        value = row.scores.get(party)
        return value / row.weight * 100 if value is not None and row.weight else None


def side_by_side(
    session: Session, *, actor: Principal | None, assessment_id: int,
    evaluation: lke_scores.Evaluation | None = None,
) -> SideBySide:
    """Self-assessment (current answers), regional and TPI (their latest decisions) scored
    per question, sub-indicator, area, part and total. ``evaluation``: the caller's
    ``scores.evaluate`` of the same assessment with every answer row, when it has one."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    unit = units.get(session, unit_id=assessment.unit_id)
    ev = evaluation
    if ev is None or ev.assessment.id != assessment.id:
        ev = lke_scores.evaluate(session, assessment=assessment)
    levels = chain_levels(session, unit=unit)
    reports: dict[str, ScoreReport | None] = {"self": ev.report}
    decisions: dict[str, LkeReview | None] = {}
    notes: dict[str, dict[str, str]] = {}
    answers: dict[str, dict[str, dict | None]] = {
        "self": {ref: _value_json(row) for ref, row in ev.rows.items()}
    }
    for level in rv.LEVELS:
        latest = session.exec(
            select(LkeReview)
            .where(LkeReview.assessment_id == assessment.id, LkeReview.level == level)
            .order_by(col(LkeReview.id).desc())
        ).first()
        decisions[level] = latest
        if latest is None:
            reports[level] = None
            continue
        items = items_of(session, review_id=latest.id)
        level_answers = {
            i.question_ref: a for i in items if (a := answer_of_json(i.answer)) is not None
        }
        reports[level] = lke.score(ev.framework, level_answers)
        notes[level] = {i.question_ref: i.note for i in items if i.note}
        answers[level] = {i.question_ref: i.answer for i in items}
    comparison = rv.compare(reports)
    return SideBySide(assessment, ev.framework, comparison, decisions, notes,
                      levels, answers)


def _value_json(row: LkeAnswer) -> dict | None:
    if row.option is None and not row.inputs and row.index_value is None:
        return None
    return {"option": row.option, "inputs": row.inputs, "index": row.index_value}


def reviewer_notes(session: Session, *, assessment: Assessment) -> dict[str, tuple[str, ...]]:
    """Question ref -> one line per reviewer note of the recorded decisions, oldest first:
    "Kantor Wilayah - Nama (tanggal): catatan", for the XLSX Catatan Reviewer column."""
    unit = session.get(Unit, assessment.unit_id)
    tz = unit.timezone if unit else "Asia/Jakarta"
    rows = session.exec(
        select(LkeReview, LkeReviewItem)
        .join(LkeReviewItem, col(LkeReviewItem.review_id) == col(LkeReview.id))
        .where(LkeReview.assessment_id == assessment.id, col(LkeReviewItem.note).is_not(None))
        .order_by(col(LkeReview.id), col(LkeReviewItem.question_ref))
    ).all()
    out: dict[str, list[str]] = {}
    for row, item in rows:
        note = (item.note or "").strip()
        if not note:
            continue
        level = LEVEL_NAMES.get(row.level, row.level)
        when = format_date(row.decided_at, tz).split(" ")[0]
        out.setdefault(item.question_ref, []).append(
            f"{level} - {row.reviewer_label} ({when}): {note}"
        )
    return {ref: tuple(lines) for ref, lines in out.items()}
