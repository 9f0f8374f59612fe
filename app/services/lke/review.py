"""The review chain of an LKE assessment: submit, reviewers' queue and working values,
decisions (immutable records with score snapshots), and self/regional/TPI side by side.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session, col, func, select

from app.domain import lke
from app.domain.lke import AnswerInput, Framework, ScoreReport, Verdict, report_json
from app.domain.lke import review as rv
from app.i18n import format_date
from app.models.accounts import Membership, Role
from app.models.lke.assessments import Assessment, LkeAnswer
from app.models.lke.review import LkeReview, LkeReviewDraft, LkeReviewItem, LkeSubmission
from app.models.units import Unit
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Forbidden, Invalid, Locked, NotFound
from app.services.lke import answers as lke_answers
from app.services.lke import assessments
from app.services.lke import scores as lke_scores

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


def submissions(session: Session, *, assessment_id: int) -> list[LkeSubmission]:
    return list(
        session.exec(
            select(LkeSubmission)
            .where(LkeSubmission.assessment_id == assessment_id)
            .order_by(col(LkeSubmission.round))
        ).all()
    )


# --- submit -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Readiness:
    """Whether the assessment can be submitted, and what is missing."""

    ready: bool
    levels: tuple[str, ...]
    missing: tuple[str, ...]  # "REF: message"
    unanswered: tuple[str, ...]
    message: str | None


def readiness(session: Session, *, assessment: Assessment) -> Readiness:
    """What a submission would say now (nothing is changed)."""
    unit = units.get(session, unit_id=assessment.unit_id)
    levels = chain_levels(session, unit=unit)
    report = lke_scores.score_report(session, assessment=assessment)
    unanswered = report.unanswered_refs()
    try:
        rv.check_submit(
            assessment.status, unanswered=unanswered, invalid=report.invalid, levels=levels
        )
    except rv.ChainError as exc:
        return Readiness(False, levels, exc.problems, tuple(unanswered), exc.message)
    return Readiness(True, levels, (), (), None)


def submit(
    session: Session, *, actor: Principal | None, assessment_id: int, note: str | None = None
) -> LkeSubmission:
    """Hand a complete self-assessment to the review chain (every question answered)."""
    assessment = assessments.get(
        session, actor=actor, assessment_id=assessment_id, permission="indicators.submit"
    )
    if actor is not None and actor.kind != "user":
        raise Forbidden(
            "Pengajuan penilaian harus dilakukan oleh koordinator yang masuk (bukan token API)."
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
    before = audit.snapshot(assessment)
    last = current_submission(session, assessment_id=assessment.id)
    submission = LkeSubmission(
        assessment_id=assessment.id,
        round=(last.round + 1) if last else 1,
        levels=" ".join(levels),
        submitted_by=actor.user_id if actor else None,
        submitted_by_label=actor.label if actor else "system",
        note=(note or "").strip() or None,
        self_snapshot=lke_scores.score_snapshot(session, assessment=assessment),
    )
    session.add(submission)
    assessment.status = rv.after_submit(levels)
    assessment.updated_at = _now()
    session.add(assessment)
    session.flush()
    audit.record(
        session, actor=actor, action="submit", entity="assessment", entity_id=assessment.id,
        unit_id=assessment.unit_id, before=before,
        after={**(audit.snapshot(assessment) or {}), "submission_id": submission.id,
               "round": submission.round, "total": submission.self_snapshot["score"]["total"]},
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

@dataclass(frozen=True)
class DraftChange:
    """A reviewer's value for one question. No option/inputs/index: agrees with the unit.
    ``note``/``flagged`` None keep what is stored."""

    ref: str
    option: str | None = None
    inputs: Mapping[str, Any] | None = None
    index: Any = None
    note: str | None = None
    flagged: bool | None = None


def _acting(
    session: Session, actor: Principal | None, assessment_id: int
) -> tuple[Assessment, str, Unit]:
    """The assessment, the level it waits for, and the actor's reviewer unit at that level;
    Locked when nothing waits, Forbidden when the actor is not a reviewer there."""
    assessment = assessments.get(
        session, actor=actor, assessment_id=assessment_id, permission="review.write"
    )
    if actor is not None and actor.kind != "user":
        raise Forbidden("Reviu hanya dapat dilakukan oleh reviewer yang masuk.")
    level = rv.waiting_level(assessment.status)
    if level is None:
        message = rv.edit_refusal(assessment.status) or (
            "Penilaian ini tidak sedang menunggu reviu "
            f"(status: {STATUS_NAMES.get(assessment.status, assessment.status)})."
        )
        raise Locked(message)
    unit = units.get(session, unit_id=assessment.unit_id)
    position = reviewer_positions(session, actor=actor, unit=unit).get(level)
    if position is None:
        raise Forbidden(
            f"Penilaian ini menunggu reviu {LEVEL_NAMES[level]}; Anda bukan reviewer "
            f"{LEVEL_NAMES[level]} untuk unit ini."
        )
    return assessment, level, position


def _stored_answer(answer: AnswerInput) -> dict[str, Any]:
    return lke_answers.stored_value(answer)  # the same JSON shape as the unit's answers


def _answer_of_json(data: Mapping[str, Any] | None) -> AnswerInput | None:
    """A stored answer JSON ({"option", "inputs", "index"}, decimals as text) -> domain."""
    if not data:
        return None
    answer = AnswerInput(
        option=data.get("option"),
        inputs={k: Decimal(str(v)) for k, v in data["inputs"].items()}
        if data.get("inputs") else None,
        index=Decimal(str(data["index"])) if data.get("index") is not None else None,
    )
    return None if answer.is_empty else answer


def _drafts(session: Session, assessment_id: int, level: str) -> dict[str, LkeReviewDraft]:
    rows = session.exec(
        select(LkeReviewDraft).where(
            LkeReviewDraft.assessment_id == assessment_id, LkeReviewDraft.level == level
        )
    ).all()
    return {r.question_ref: r for r in rows}


def _apply_drafts(
    session: Session,
    *,
    actor: Principal | None,
    assessment: Assessment,
    level: str,
    framework: Framework,
    changes: Sequence[DraftChange],
) -> dict[str, LkeReviewDraft]:
    """Validate every change (all or nothing) and write them to the working copy (no
    commit). Returns the drafts of the level by ref."""
    problems: list[str] = []
    validated: list[tuple[DraftChange, dict[str, Any] | None]] = []
    seen: set[str] = set()
    for change in changes:
        ref = change.ref
        if ref in seen:
            problems.append(f"{ref}: dikirim lebih dari sekali")
            continue
        seen.add(ref)
        if not framework.has_question(ref):
            problems.append(f"{ref}: pertanyaan '{ref}' tidak ada dalam LKE {framework.code}")
            continue
        if change.note is not None and len(change.note) > MAX_NOTE:
            problems.append(f"{ref}: catatan terlalu panjang (maksimal {MAX_NOTE} karakter)")
        has_value = (
            change.option not in (None, "") or bool(change.inputs)
            or change.index not in (None, "")
        )
        stored = None
        if has_value:
            answer, errors = lke_answers.validate_change(
                framework,
                lke_answers.AnswerChange(
                    ref=ref, option=change.option, inputs=change.inputs, index=change.index
                ),
            )
            problems.extend(errors)
            if answer is not None and not errors:
                stored = _stored_answer(answer)
        validated.append((change, stored))
    if problems:
        raise Invalid("Nilai reviu tidak disimpan: periksa isian berikut.", problems=problems)
    drafts = _drafts(session, assessment.id, level)
    for change, stored in validated:
        row = drafts.get(change.ref)
        before = audit.snapshot(row) if row else None
        if row is None:
            row = LkeReviewDraft(assessment_id=assessment.id, level=level,
                                 question_ref=change.ref)
            drafts[change.ref] = row
        row.answer = stored
        if change.note is not None:
            row.note = change.note.strip() or None
        if change.flagged is not None:
            row.flagged = bool(change.flagged)
        row.updated_by = actor.user_id if actor else None
        row.updated_by_label = actor.label if actor else "system"
        row.updated_at = _now()
        session.add(row)
        session.flush()
        audit.record(
            session, actor=actor, action="review_value", entity="lke_review_draft",
            entity_id=f"{assessment.id}:{level}:{change.ref}", unit_id=assessment.unit_id,
            before=before, after=audit.snapshot(row),
        )
    return drafts


def save_values(
    session: Session, *, actor: Principal | None, assessment_id: int,
    changes: Sequence[DraftChange],
) -> dict[str, LkeReviewDraft]:
    """Save the reviewer's own values / notes / flags (working copy, until the decision)."""
    assessment, level, _position = _acting(session, actor, assessment_id)
    if not changes:
        raise Invalid("Tidak ada nilai reviu yang dikirim.")
    framework = assessments.framework_of(session, assessment)
    drafts = _apply_drafts(
        session, actor=actor, assessment=assessment, level=level, framework=framework,
        changes=changes,
    )
    session.commit()
    return drafts


# --- scoring a reviewer's values -------------------------------------------------------

@dataclass(frozen=True)
class ReviewScoring:
    framework: Framework
    self_answers: Mapping[str, AnswerInput]
    review_answers: Mapping[str, AnswerInput]
    self_report: ScoreReport
    review_report: ScoreReport
    review_verdict: Verdict


def _score_with(
    session: Session, *, assessment: Assessment, overrides: Mapping[str, AnswerInput | None]
) -> ReviewScoring:
    ev = lke_scores.evaluate(session, assessment=assessment)
    answers = dict(ev.answers)
    for ref, answer in overrides.items():
        if answer is not None:
            answers[ref] = answer
    report = lke.score(ev.framework, answers)
    verdict = lke.evaluate(ev.framework, report, assessment.target, holds_wbk=ev.holds_wbk)
    return ReviewScoring(ev.framework, ev.answers, answers, ev.report, report, verdict)


def working_scoring(
    session: Session, *, assessment: Assessment, level: str
) -> tuple[ReviewScoring, dict[str, LkeReviewDraft]]:
    """The unit's answers with the level's working values applied, scored."""
    drafts = _drafts(session, assessment.id, level)
    overrides = {ref: _answer_of_json(d.answer) for ref, d in drafts.items()}
    return _score_with(session, assessment=assessment, overrides=overrides), drafts


# --- decisions --------------------------------------------------------------------------

def decide(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    decision: str,
    note: str | None = None,
    changes: Sequence[DraftChange] = (),
) -> LkeReview:
    """Accept or return at the level the assessment waits for; records every question's
    value (the reviewer's own, or the unit's when the reviewer left it) and both scores."""
    assessment, level, position = _acting(session, actor, assessment_id)
    if note is not None and len(note) > MAX_NOTE:
        raise Invalid(f"Catatan terlalu panjang (maksimal {MAX_NOTE} karakter).")
    framework = assessments.framework_of(session, assessment)
    if changes:
        _apply_drafts(
            session, actor=actor, assessment=assessment, level=level, framework=framework,
            changes=changes,
        )
    submission = current_submission(session, assessment_id=assessment.id)
    if submission is None:  # pragma: no cover - a waiting status always has a submission
        raise Locked("Penilaian ini belum pernah diajukan.")
    levels = tuple(submission.levels.split())
    scoring, drafts = working_scoring(session, assessment=assessment, level=level)
    order = [q.ref for q in framework.questions()]
    flagged = [ref for ref in order if drafts.get(ref) is not None and drafts[ref].flagged]
    try:
        rv.check_decision(
            assessment.status, level=level, decision=decision, flagged=flagged, levels=levels
        )
    except rv.ChainError as exc:
        session.rollback()
        _raise(exc)
    without_note = [ref for ref in flagged if not (drafts[ref].note or "").strip()]
    if decision == rv.RETURN and without_note:
        session.rollback()
        raise Invalid(
            "Beri catatan pada setiap pertanyaan yang ditandai agar unit tahu apa yang "
            "harus diperbaiki.", problems=[f"{ref}: catatan belum diisi" for ref in without_note],
        )
    before = audit.snapshot(assessment)
    status_after = rv.after_decision(level=level, decision=decision, levels=levels)
    self_snapshot = {
        "score": report_json.report_json(scoring.self_report, questions=False),
        "verdict": report_json.verdict_json(
            lke.evaluate(framework, scoring.self_report, assessment.target,
                         holds_wbk=lke_scores.holds_wbk(session, unit_id=assessment.unit_id))
        ),
    }
    review_snapshot = {
        "score": report_json.report_json(scoring.review_report, questions=False),
        "verdict": report_json.verdict_json(scoring.review_verdict),
    }
    review = LkeReview(
        assessment_id=assessment.id, submission_id=submission.id, level=level,
        decision=decision, note=(note or "").strip() or None,
        reviewer_user_id=actor.user_id, reviewer_label=actor.label,
        reviewer_unit_id=position.id, status_before=assessment.status,
        status_after=status_after,
        self_total=rv.exact_text(scoring.self_report.total.score),
        review_total=rv.exact_text(scoring.review_report.total.score),
        self_snapshot=self_snapshot, review_snapshot=review_snapshot,
    )
    session.add(review)
    session.flush()
    for ref in order:
        draft = drafts.get(ref)
        self_answer = scoring.self_answers.get(ref)
        review_answer = scoring.review_answers.get(ref)
        self_node = scoring.self_report.nodes[ref]
        review_node = scoring.review_report.nodes[ref]
        self_json = _stored_answer(self_answer) if self_answer else None
        review_json = _stored_answer(review_answer) if review_answer else None
        session.add(
            LkeReviewItem(
                review_id=review.id, question_ref=ref,
                self_answer=self_json,
                self_value=rv.exact_text(self_node.value) if self_node.value is not None
                else None,
                answer=review_json,
                value=rv.exact_text(review_node.value) if review_node.value is not None
                else None,
                changed=review_json != self_json,
                flagged=bool(draft and draft.flagged),
                note=draft.note if draft else None,
            )
        )
    assessment.status = status_after
    assessment.updated_at = _now()
    session.add(assessment)
    audit.record(
        session, actor=actor, action=f"review_{decision}", entity="assessment",
        entity_id=assessment.id, unit_id=assessment.unit_id, before=before,
        after={**(audit.snapshot(assessment) or {}), "review_id": review.id, "level": level,
               "self_total": review.self_total, "review_total": review.review_total,
               "flagged": flagged},
    )
    session.commit()
    return review


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
    session: Session, *, actor: Principal | None, assessment_id: int
) -> SideBySide:
    """Self-assessment (current answers), regional and TPI (their latest decisions) scored
    per question, sub-indicator, area, part and total."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    unit = units.get(session, unit_id=assessment.unit_id)
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
            i.question_ref: a for i in items if (a := _answer_of_json(i.answer)) is not None
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


def counts_by_status(session: Session, *, unit_ids: set[int] | None) -> dict[str, int]:
    """How many live assessments are in each status (for dashboards)."""
    query = select(Assessment.status, func.count()).where(col(Assessment.deleted_at).is_(None))
    if unit_ids is not None:
        query = query.where(col(Assessment.unit_id).in_(unit_ids or {-1}))
    return dict(session.exec(query.group_by(Assessment.status)).all())


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
