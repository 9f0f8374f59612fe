"""Reviewing a submitted LKE assessment: the reviewer's working values and the decision (an
immutable record with score snapshots). Who may review: see ``submission``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from app.domain import lke
from app.domain.lke import AnswerInput, Framework, ScoreReport, Verdict, report_json
from app.domain.lke import review as rv
from app.domain.text import clean_text
from app.models.lke.assessments import Assessment
from app.models.lke.review import LkeReview, LkeReviewDraft, LkeReviewItem
from app.models.units import Unit
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Forbidden, Invalid, Locked
from app.services.lke import answers as lke_answers
from app.services.lke import assessments
from app.services.lke import scores as lke_scores
from app.services.lke import summary as lke_summary
from app.services.lke.submission import (
    LEVEL_NAMES,
    MAX_NOTE,
    STATUS_NAMES,
    current_submission,
    reviewer_positions,
)
from app.services.season import notify as season_notify
from app.services.webhooks import events as webhook_events


def _now() -> datetime:
    return datetime.now(UTC)


def _raise(exc: rv.ChainError):
    if exc.kind == "invalid":
        raise Invalid(exc.message, problems=list(exc.problems)) from None
    raise Locked(exc.message, problems=list(exc.problems)) from None


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
        raise Forbidden("Reviu hanya dapat dilakukan oleh reviewer yang masuk.",
                        permission="review.write")
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
            f"{LEVEL_NAMES[level]} untuk unit ini.", permission="review.write",
        )
    return assessment, level, position


def _stored_answer(answer: AnswerInput) -> dict[str, Any]:
    return lke_answers.stored_value(answer)  # the same JSON shape as the unit's answers


def answer_of_json(data: Mapping[str, Any] | None) -> AnswerInput | None:
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
            row.note = clean_text(change.note).strip() or None
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
    overrides = {ref: answer_of_json(d.answer) for ref, d in drafts.items()}
    return _score_with(session, assessment=assessment, overrides=overrides), drafts


@dataclass(frozen=True)
class DecidedValue:
    """One question's value as a decision recorded it (read like a working draft)."""

    answer: dict[str, Any] | None
    flagged: bool
    note: str | None
    updated_at: datetime


def decided_scoring(
    session: Session, *, assessment: Assessment, decision: LkeReview
) -> tuple[ReviewScoring, dict[str, DecidedValue]]:
    """The values a decision recorded, scored (never the level's working values: during a
    re-review they are unfinished). Questions the reviewer left carry the unit's answer."""
    items = session.exec(
        select(LkeReviewItem).where(LkeReviewItem.review_id == decision.id)
    ).all()
    values = {i.question_ref: DecidedValue(i.answer if i.changed else None, i.flagged, i.note,
                                           decision.decided_at) for i in items}
    overrides = {i.question_ref: answer_of_json(i.answer) for i in items}
    return _score_with(session, assessment=assessment, overrides=overrides), values


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
        decision=decision, note=clean_text(note or "").strip() or None,
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
    lke_summary.status_changed(session, assessment=assessment)
    audit.record(
        session, actor=actor, action=f"review_{decision}", entity="assessment",
        entity_id=assessment.id, unit_id=assessment.unit_id, before=before,
        after={**(audit.snapshot(assessment) or {}), "review_id": review.id, "level": level,
               "self_total": review.self_total, "review_total": review.review_total,
               "flagged": flagged},
    )
    data = {"assessment_id": assessment.id, "review_id": review.id, "level": level,
            "decision": decision, "status": status_after, "self_total": review.self_total,
            "review_total": review.review_total, "flagged": flagged}
    kind = (webhook_events.ASSESSMENT_RETURNED if decision == rv.RETURN
            else webhook_events.ASSESSMENT_ACCEPTED)
    webhook_events.emit(session, event_type=kind, unit_id=assessment.unit_id, data=data)
    if status_after == rv.FINAL:
        webhook_events.emit(session, event_type=webhook_events.ASSESSMENT_FINAL,
                            unit_id=assessment.unit_id, data=data)
    season_notify.assessment_decided(
        session, assessment=assessment, level=level, decision=decision,
        actor_label=actor.label if actor else "system", total=review.review_total,
        note=review.note, flagged=flagged, round_=submission.round,
        next_level=rv.waiting_level(status_after) if decision == rv.ACCEPT else None,
    )
    session.commit()
    return review
