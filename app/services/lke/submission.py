"""Submitting an LKE assessment into the review chain, and the reviewers' queue.

The rules (which status allows what, where a decision leads) are pure, in
app.domain.lke.review; this module loads, authorises, stores and audits.

Who acts:
- submit: ``indicators.submit`` at the unit (its coordinator, signed in). API tokens cannot
  submit: a submission is a named person's declaration that the self-assessment is complete.
- review: a signed-in person with a *reviewer* membership at a unit above the assessed unit:
  at a ``regional`` unit for the regional level, at an ``eselon1``/``ministry`` unit for the
  TPI level. Admins are not reviewers unless they hold that membership too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from app.domain.lke import review as rv
from app.models.accounts import Membership, Role
from app.models.lke.assessments import Assessment
from app.models.lke.review import LkeSubmission
from app.models.units import Unit
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Invalid, Locked
from app.services.lke import assessments, evidence_links
from app.services.lke import scores as lke_scores
from app.services.lke import summary as lke_summary
from app.services.season import notify as season_notify
from app.services.webhooks import events as webhook_events

MAX_NOTE = 5000
LEVEL_OF_UNIT = {"regional": rv.REGIONAL, "eselon1": rv.TPI, "ministry": rv.TPI}
LEVEL_NAMES = rv.LEVEL_NAMES
STATUS_NAMES = rv.STATUS_NAMES


def _now() -> datetime:
    return datetime.now(UTC)


def _raise(exc: rv.ChainError):
    if exc.kind == "invalid":
        raise Invalid(exc.message, problems=list(exc.problems)) from None
    raise Locked(exc.message, problems=list(exc.problems)) from None


def chain_levels(session: Session, *, unit: Unit) -> tuple[str, ...]:
    """The review levels of a unit, from the units above it."""
    return rv.review_levels(a.level for a in units.ancestors(session, unit=unit))


def reviewer_positions(
    session: Session, *, actor: Principal | None, unit: Unit
) -> dict[str, Unit]:
    """level -> the unit above ``unit`` where ``actor`` is a reviewer at that level."""
    if actor is None or actor.user_id is None:
        return {}
    reviewer_units = set(
        session.exec(
            select(Membership.unit_id).where(
                Membership.user_id == actor.user_id, Membership.role == Role.reviewer.value
            )
        ).all()
    )
    positions: dict[str, Unit] = {}
    for above in reversed(units.ancestors(session, unit=unit)):  # nearest first
        level = LEVEL_OF_UNIT.get(above.level)
        if above.id in reviewer_units and level and level not in positions:
            positions[level] = above
    return positions


def current_submission(session: Session, *, assessment_id: int) -> LkeSubmission | None:
    return session.exec(
        select(LkeSubmission)
        .where(LkeSubmission.assessment_id == assessment_id)
        .order_by(col(LkeSubmission.round).desc())
    ).first()


def submissions(
    session: Session, *, actor: Principal | None, assessment_id: int
) -> list[LkeSubmission]:
    """Every submission round of an assessment, oldest first (for those who may read it)."""
    assessments.get(session, actor=actor, assessment_id=assessment_id)
    return list(
        session.exec(
            select(LkeSubmission)
            .where(LkeSubmission.assessment_id == assessment_id)
            .order_by(col(LkeSubmission.round))
        ).all()
    )


# --- submit -----------------------------------------------------------------------------

@dataclass(frozen=True)
class MissingItem:
    """One thing that keeps an assessment from being submitted, at its question."""

    ref: str
    text: str  # the question as the worksheet shows it
    problem: str  # what is wrong there


@dataclass(frozen=True)
class Readiness:
    """Whether the assessment can be submitted, and what is missing."""

    ready: bool
    levels: tuple[str, ...]
    missing: tuple[str, ...]  # "REF: message"
    unanswered: tuple[str, ...]
    message: str | None
    items: tuple[MissingItem, ...] = ()  # the same, with each question's text
    uncovered: tuple[MissingItem, ...] = ()  # expects evidence, none of it covered
    evidence_covered: int = 0
    evidence_expected: int = 0
    evidence_required: bool = False  # ZONA_REQUIRE_EVIDENCE_ON_SUBMIT


def _uncovered(session: Session, assessment: Assessment) -> tuple[
        tuple[MissingItem, ...], int, int]:
    framework = assessments.framework_of(session, assessment)
    per_question = evidence_links.question_evidence(session, assessment=assessment,
                                                    framework=framework)
    cover = evidence_links.coverage_of(per_question)
    gaps = tuple(
        MissingItem(q.ref, q.text, f"0 dari {len(per_question[q.ref].expected)} eviden "
                                   "yang diharapkan")
        for q in framework.questions()
        if per_question[q.ref].expected and per_question[q.ref].covered == 0
    )
    return gaps, cover.covered, cover.expected


def _items(session: Session, assessment: Assessment, missing) -> tuple[MissingItem, ...]:
    framework = assessments.framework_of(session, assessment)
    out = []
    for line in missing:
        ref, _sep, problem = str(line).partition(": ")
        text = framework.question(ref).text if framework.has_question(ref) else ""
        out.append(MissingItem(ref if text else "", text, problem if text else str(line)))
    return tuple(out)


def readiness(session: Session, *, assessment: Assessment,
              require_evidence: bool = False) -> Readiness:
    """What a submission would say now (nothing is changed). ``require_evidence``
    (ZONA_REQUIRE_EVIDENCE_ON_SUBMIT, given by the face) makes uncovered questions block."""
    unit = units.get(session, unit_id=assessment.unit_id)
    levels = chain_levels(session, unit=unit)
    report = lke_scores.score_report(session, assessment=assessment)
    unanswered = report.unanswered_refs()
    gaps, covered, expected = _uncovered(session, assessment)
    required = require_evidence
    extra = {"uncovered": gaps, "evidence_covered": covered, "evidence_expected": expected,
             "evidence_required": required}
    try:
        rv.check_submit(
            assessment.status, unanswered=unanswered, invalid=report.invalid, levels=levels
        )
    except rv.ChainError as exc:
        return Readiness(False, levels, exc.problems, tuple(unanswered), exc.message,
                         items=_items(session, assessment, exc.problems), **extra)
    if required and gaps:
        return Readiness(False, levels, tuple(f"{g.ref}: {g.problem}" for g in gaps), (),
                         EVIDENCE_REFUSAL, items=gaps, **extra)
    return Readiness(True, levels, (), (), None, **extra)


EVIDENCE_REFUSAL = ("Setiap pertanyaan yang mengharapkan eviden harus punya setidaknya satu "
                    "eviden sebelum diajukan.")


def submit(
    session: Session, *, actor: Principal | None, assessment_id: int, note: str | None = None,
    require_evidence: bool = False,
) -> LkeSubmission:
    """Hand a complete self-assessment to the review chain (every question answered; with
    ``require_evidence``, every question that expects evidence has some)."""
    assessment = assessments.get(
        session, actor=actor, assessment_id=assessment_id, permission="indicators.submit"
    )
    if note is not None and len(note) > MAX_NOTE:
        raise Invalid(f"Catatan terlalu panjang (maksimal {MAX_NOTE} karakter).")
    unit = units.get(session, unit_id=assessment.unit_id)
    levels = chain_levels(session, unit=unit)
    report = lke_scores.score_report(session, assessment=assessment)
    try:
        rv.check_submit(
            assessment.status, unanswered=report.unanswered_refs(), invalid=report.invalid,
            levels=levels,
        )
    except rv.ChainError as exc:
        _raise(exc)
    if require_evidence:
        gaps, _covered, _expected = _uncovered(session, assessment)
        if gaps:
            raise Invalid(EVIDENCE_REFUSAL, problems=[f"{g.ref}: {g.problem}" for g in gaps])
    before = audit.snapshot(assessment)
    last = current_submission(session, assessment_id=assessment.id)
    submission = LkeSubmission(
        assessment_id=assessment.id,
        round=(last.round + 1) if last else 1,
        levels=" ".join(levels),
        submitted_by=actor.user_id if actor else None,
        submitted_by_token=actor.token_id if actor else None,
        submitted_by_label=actor.label if actor else "system",
        note=(note or "").strip() or None,
        self_snapshot=lke_scores.score_snapshot(session, assessment=assessment),
    )
    session.add(submission)
    assessment.status = rv.after_submit(levels)
    assessment.updated_at = _now()
    session.add(assessment)
    lke_summary.status_changed(session, assessment=assessment)
    audit.record(
        session, actor=actor, action="submit", entity="assessment", entity_id=assessment.id,
        unit_id=assessment.unit_id, before=before,
        after={**(audit.snapshot(assessment) or {}), "submission_id": submission.id,
               "round": submission.round, "total": submission.self_snapshot["score"]["total"]},
    )
    webhook_events.emit(
        session, event_type=webhook_events.ASSESSMENT_SUBMITTED, unit_id=assessment.unit_id,
        data={"assessment_id": assessment.id, "status": assessment.status,
              "submission_id": submission.id, "round": submission.round,
              "levels": list(levels), "total": submission.self_snapshot["score"]["total"]},
    )
    season_notify.assessment_submitted(
        session, assessment=assessment, level=levels[0], actor_label=submission.submitted_by_label,
        round_=submission.round, total=str(submission.self_snapshot["score"]["total"]),
    )
    session.commit()
    return submission


# --- queue ------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueEntry:
    assessment: Assessment
    unit: Unit
    level: str
    reviewer_unit: Unit
    submission: LkeSubmission | None


def queue(session: Session, *, actor: Principal | None) -> list[QueueEntry]:
    """Assessments waiting for the actor's review, at each level where it is a reviewer."""
    if actor is None or actor.user_id is None:
        return []
    reviewer_units = session.exec(
        select(Unit)
        .join(Membership, col(Membership.unit_id) == col(Unit.id))
        .where(
            Membership.user_id == actor.user_id,
            Membership.role == Role.reviewer.value,
            col(Unit.deleted_at).is_(None),
        )
    ).all()
    tree = units.children_map(session)
    entries: list[QueueEntry] = []
    seen: set[tuple[int, str]] = set()
    for reviewer_unit in reviewer_units:
        level = LEVEL_OF_UNIT.get(reviewer_unit.level)
        if level is None:
            continue
        below = units.descendants(tree, reviewer_unit.id)
        rows = session.exec(
            select(Assessment, Unit)
            .join(Unit, col(Unit.id) == col(Assessment.unit_id))
            .where(
                col(Assessment.unit_id).in_(below or {-1}),
                Assessment.status == rv.waiting_status(level),
                col(Assessment.deleted_at).is_(None),
            )
            .order_by(col(Assessment.updated_at))
        ).all()
        for assessment, unit in rows:
            if (assessment.id, level) in seen:
                continue
            # the nearest reviewer unit of that level is the one that acts
            if reviewer_positions(session, actor=actor, unit=unit).get(level) != reviewer_unit:
                continue
            seen.add((assessment.id, level))
            entries.append(
                QueueEntry(
                    assessment, unit, level, reviewer_unit,
                    current_submission(session, assessment_id=assessment.id),
                )
            )
    return entries


# --- the reviewer's working values ------------------------------------------------------


def counts_by_status(session: Session, *, unit_ids: set[int] | None) -> dict[str, int]:
    """How many live assessments are in each status (for dashboards)."""
    query = select(Assessment.status, func.count()).where(col(Assessment.deleted_at).is_(None))
    if unit_ids is not None:
        query = query.where(col(Assessment.unit_id).in_(unit_ids or {-1}))
    return dict(session.exec(query.group_by(Assessment.status)).all())
