"""LKE ZI assessments: one per unit and year, answers with revisions, score, verdict, gaps.

Public API used by the other indicator capabilities (evidence/review, XLSX):

- ``create``, ``get``, ``list_for_unit``, ``list_for_units``, ``delete``
- ``framework_of(session, assessment)`` -> the bound ``Framework``
- ``assert_editable(assessment)`` -> ``Locked`` unless the status is draft or returned
- ``answer``, ``answer_many`` (all or nothing), ``clear_answer``
- ``answers_of``, ``answer_inputs``, ``to_input``
- ``evaluate``/``score_report``/``verdict``/``gap_plan``/``what_if``
- ``score_snapshot`` (JSON-safe, for immutable review records), ``report_json``
- ``revisions``, ``progress`` (+ the ``evidence_coverage_provider`` hook), ``compare``,
  ``oversight``
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import get_row
from app.domain import lke
from app.domain.display import round_half_up
from app.domain.lke import AnswerInput, Framework, GapPlan, ScoreReport, Verdict
from app.models.lke.assessments import (
    EDITABLE_STATUSES,
    Assessment,
    AssessmentStatus,
    LkeAnswer,
    LkeAnswerRevision,
)
from app.models.units import Predicate, Unit
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Conflict, Forbidden, Invalid, Locked, NotFound
from app.services.lke import frameworks

MIN_YEAR, MAX_YEAR = 2010, 2100
TARGETS = (Predicate.WBK.value, Predicate.WBBM.value)

STATUS_LABELS = {
    AssessmentStatus.draft.value: "Draf",
    AssessmentStatus.submitted.value: "Diajukan",
    AssessmentStatus.in_review.value: "Dalam reviu",
    AssessmentStatus.returned.value: "Dikembalikan",
    AssessmentStatus.final.value: "Final",
}


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def _check(actor: Principal | None, permission: str, unit_id: int) -> None:
    if actor is not None and not actor.can(permission, unit_id):
        raise Forbidden("Anda tidak berwenang untuk tindakan ini.")


def get(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    permission: str = "unit.read",
) -> Assessment:
    """One live assessment; NotFound if absent, Forbidden without ``permission`` at its unit."""
    assessment = get_row(session, Assessment, assessment_id)
    if assessment is None or assessment.deleted_at is not None:
        raise NotFound(f"Penilaian LKE {assessment_id} tidak ditemukan.")
    _check(actor, permission, assessment.unit_id)
    return assessment


def list_for_unit(session: Session, *, actor: Principal | None, unit_id: int) -> list[Assessment]:
    """The unit's live assessments, newest year first."""
    units.get(session, unit_id=unit_id)
    _check(actor, "unit.read", unit_id)
    return list(
        session.exec(
            select(Assessment)
            .where(Assessment.unit_id == unit_id, col(Assessment.deleted_at).is_(None))
            .order_by(col(Assessment.year).desc())
        ).all()
    )


def list_for_units(
    session: Session, *, unit_ids: set[int] | None, year: int | None = None
) -> list[Assessment]:
    """Live assessments of the given units (None = every unit), by unit then newest year."""
    query = select(Assessment).where(col(Assessment.deleted_at).is_(None))
    if unit_ids is not None:
        query = query.where(col(Assessment.unit_id).in_(unit_ids or {-1}))
    if year is not None:
        query = query.where(Assessment.year == year)
    return list(
        session.exec(query.order_by(Assessment.unit_id, col(Assessment.year).desc())).all()
    )


def framework_of(session: Session, assessment: Assessment) -> Framework:
    """The framework version the assessment is bound to (never a newer one)."""
    return frameworks.load(session, framework_id=assessment.framework_id)


def is_editable(assessment: Assessment) -> bool:
    return assessment.status in EDITABLE_STATUSES


def assert_editable(assessment: Assessment) -> None:
    """Refuse writes to answers unless the assessment is a draft or was returned."""
    if assessment.deleted_at is not None:
        raise Locked("Penilaian LKE ini sudah dihapus.")
    if assessment.status == AssessmentStatus.final:
        raise Locked(
            "Penilaian LKE ini sudah final dan terkunci: jawaban tidak dapat diubah lagi."
        )
    if assessment.status in (AssessmentStatus.submitted, AssessmentStatus.in_review):
        raise Locked(
            "Penilaian LKE ini sedang direviu: jawaban tidak dapat diubah sampai "
            "dikembalikan oleh reviewer."
        )
    if not is_editable(assessment):
        raise Locked(f"Penilaian LKE berstatus '{assessment.status}' tidak dapat diubah.")


# --------------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------------


def create(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    year: int,
    target: str,
    framework_id: int | None = None,
) -> Assessment:
    """Start the unit's assessment for a year (one per unit and year) on a framework version."""
    unit = units.get(session, unit_id=unit_id)
    _check(actor, "indicators.write", unit.id)
    problems = []
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"Tahun penilaian harus antara {MIN_YEAR} dan {MAX_YEAR}.")
    if target not in TARGETS:
        problems.append("Target predikat harus WBK atau WBBM.")
    if problems:
        raise Invalid("Penilaian LKE tidak dapat dibuat.", problems=problems)
    row = (
        frameworks.get_row(session, framework_id=framework_id)
        if framework_id is not None
        else frameworks.ensure_loaded(session)
    )
    if _live(session, unit_id=unit.id, year=year) is not None:
        raise Conflict(f"Penilaian LKE {unit.name} tahun {year} sudah ada.")
    assessment = Assessment(
        unit_id=unit.id,
        year=year,
        framework_id=row.id,
        target=target,
        status=AssessmentStatus.draft.value,
        created_by=actor.user_id if actor else None,
    )
    session.add(assessment)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"Penilaian LKE {unit.name} tahun {year} sudah ada.") from None
    audit.record(
        session, actor=actor, action="create", entity="assessment", entity_id=assessment.id,
        unit_id=unit.id, after=audit.snapshot(assessment),
    )
    session.commit()
    return assessment


def _live(session: Session, *, unit_id: int, year: int) -> Assessment | None:
    return session.exec(
        select(Assessment).where(
            Assessment.unit_id == unit_id,
            Assessment.year == year,
            col(Assessment.deleted_at).is_(None),
        )
    ).first()


def find(session: Session, *, unit_id: int, year: int) -> Assessment | None:
    """The unit's live assessment for a year, or None (no access check)."""
    return _live(session, unit_id=unit_id, year=year)


def set_target(
    session: Session, *, actor: Principal | None, assessment_id: int, target: str
) -> Assessment:
    """Change the target predicate of an editable assessment."""
    assessment = get(session, actor=actor, assessment_id=assessment_id,
                     permission="indicators.write")
    assert_editable(assessment)
    if target not in TARGETS:
        raise Invalid("Target predikat harus WBK atau WBBM.")
    before = audit.snapshot(assessment)
    assessment.target = target
    assessment.updated_at = _now()
    session.add(assessment)
    audit.record(
        session, actor=actor, action="update", entity="assessment", entity_id=assessment.id,
        unit_id=assessment.unit_id, before=before, after=audit.snapshot(assessment),
    )
    session.commit()
    return assessment


def delete(session: Session, *, actor: Principal | None, assessment_id: int) -> None:
    """Soft-delete an assessment that is still a draft."""
    assessment = get(session, actor=actor, assessment_id=assessment_id, permission="unit.manage")
    if assessment.status != AssessmentStatus.draft:
        raise Locked("Hanya penilaian berstatus draf yang dapat dihapus.")
    before = audit.snapshot(assessment)
    assessment.deleted_at = _now()
    session.add(assessment)
    audit.record(
        session, actor=actor, action="delete", entity="assessment", entity_id=assessment.id,
        unit_id=assessment.unit_id, before=before, after=audit.snapshot(assessment),
    )
    session.commit()


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChange:
    """One answer to store: exactly the fields of the question's type, plus penjelasan.

    ``penjelasan=None`` keeps the stored text; ``""`` clears it. With no value at all only the
    penjelasan changes.
    """

    ref: str
    option: str | None = None
    inputs: Mapping[str, Any] | None = None
    index: Any = None
    penjelasan: str | None = None


def _number(raw: Any) -> Any:
    """JSON floats -> exact Decimal of their shortest text; everything else unchanged."""
    if isinstance(raw, float):
        try:
            return Decimal(repr(raw))
        except InvalidOperation:
            return raw
    return raw


def _decimal_text(raw: Any) -> str:
    value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _normalise(question: lke.Question, change: AnswerChange) -> AnswerInput:
    option = change.option.strip() if isinstance(change.option, str) else change.option
    if option and question.options and question.option(option) is None:
        for code in question.option_codes:  # "b" -> "B", "ya" -> "Ya"
            if code.lower() == option.lower():
                option = code
                break
    inputs = (
        {str(k): _number(v) for k, v in change.inputs.items()}
        if change.inputs is not None
        else None
    )
    index = _number(change.index)
    if isinstance(index, str):
        index = index.strip()
    if isinstance(index, str) or isinstance(index, int):
        try:
            index = Decimal(str(index).replace(",", "."))
        except InvalidOperation:
            pass  # validate_answer reports it
    return AnswerInput(option=option or None, inputs=inputs or None, index=index)


def _stored_value(answer: AnswerInput) -> dict[str, Any]:
    return {
        "option": answer.option,
        "inputs": {k: _decimal_text(v) for k, v in answer.inputs.items()}
        if answer.inputs
        else None,
        "index": _decimal_text(answer.index) if answer.index is not None else None,
    }


def _row_value(row: LkeAnswer | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "option": row.option,
        "inputs": dict(row.inputs) if row.inputs else None,
        "index": row.index_value,
        "source": row.source,
    }


@lru_cache(maxsize=64)
def _option_input(option: str) -> AnswerInput:
    """The (immutable) answer of an option-only row, shared: most rows are option answers."""
    return AnswerInput(option=option)


def _input_of(option: str | None, inputs: Mapping[str, Any] | None,
              index_value: str | None) -> AnswerInput:
    if option is not None and not inputs and index_value is None:
        return _option_input(option)
    return AnswerInput(
        option=option,
        inputs={k: Decimal(v) for k, v in inputs.items()} if inputs else None,
        index=Decimal(index_value) if index_value is not None else None,
    )


def to_input(row: LkeAnswer) -> AnswerInput:
    """The domain answer of a stored row."""
    return _input_of(row.option, row.inputs, row.index_value)


# Built once: constructing a SQLAlchemy statement costs about as much as running it.
_ANSWERS_OF = select(LkeAnswer).where(LkeAnswer.assessment_id == bindparam("assessment_id"))


def answers_of(session: Session, *, assessment_id: int) -> dict[str, LkeAnswer]:
    """Stored answer rows by question ref (including penjelasan-only rows)."""
    rows = session.exec(_ANSWERS_OF, params={"assessment_id": assessment_id}).all()
    return {r.question_ref: r for r in rows}


def answer_inputs(rows: Mapping[str, LkeAnswer] | Iterable[LkeAnswer]) -> dict[str, AnswerInput]:
    """Domain answers (refs with a value only) from stored rows."""
    values = rows.values() if isinstance(rows, Mapping) else rows
    out = {}
    for row in values:
        answer = to_input(row)
        if not answer.is_empty:
            out[row.question_ref] = answer
    return out


def _validate(framework: Framework, change: AnswerChange) -> tuple[AnswerInput | None, list[str]]:
    ref = change.ref
    if not framework.has_question(ref):
        return None, [f"{ref}: pertanyaan '{ref}' tidak ada dalam LKE {framework.code}"]
    question = framework.question(ref)
    problems = []
    if change.penjelasan is not None and len(change.penjelasan) > 20000:
        problems.append(f"{ref}: penjelasan terlalu panjang (maksimal 20.000 karakter)")
    has_value = (
        change.option not in (None, "") or bool(change.inputs) or change.index not in (None, "")
    )
    if not has_value:
        if change.penjelasan is None:
            problems.append(f"{ref}: tidak ada jawaban atau penjelasan yang dikirim")
        return None, problems
    answer = _normalise(question, change)
    problems.extend(f"{ref}: {m}" for m in lke.validate_answer(question, answer))
    return answer, problems


def _apply(
    session: Session,
    *,
    actor: Principal | None,
    assessment: Assessment,
    rows: dict[str, LkeAnswer],
    change: AnswerChange,
    answer: AnswerInput | None,
    source: str | None,
) -> LkeAnswer | None:
    """Write one validated change (no commit); None when nothing changed."""
    row = rows.get(change.ref)
    old_value = _row_value(row)
    old_text = row.penjelasan if row else None
    new_text = old_text if change.penjelasan is None else (change.penjelasan.strip() or None)
    if answer is not None:
        stored = _stored_value(answer)
        new_source = source or "manual"
    elif row is not None:
        stored = {"option": row.option, "inputs": row.inputs, "index": row.index_value}
        new_source = row.source
    else:
        stored = {"option": None, "inputs": None, "index": None}
        new_source = None
    new_value = {**stored, "source": new_source}
    if row is not None and new_value == old_value and new_text == old_text:
        return None
    if row is None:
        row = LkeAnswer(assessment_id=assessment.id, question_ref=change.ref, revision=0)
        rows[change.ref] = row
    before = audit.snapshot(row) if row.id else None
    row.option = stored["option"]
    row.inputs = stored["inputs"]
    row.index_value = stored["index"]
    row.source = new_source
    row.penjelasan = new_text
    row.revision = (row.revision or 0) + 1
    row.updated_by = actor.user_id if actor else None
    row.updated_by_label = actor.label if actor else "system"
    row.updated_at = _now()
    session.add(row)
    session.add(
        LkeAnswerRevision(
            assessment_id=assessment.id,
            question_ref=change.ref,
            revision=row.revision,
            at=row.updated_at,
            actor_user_id=actor.user_id if actor else None,
            actor_token_id=actor.token_id if actor else None,
            actor_label=actor.label if actor else "system",
            old_value=old_value,
            new_value=new_value,
            old_penjelasan=old_text,
            new_penjelasan=new_text,
        )
    )
    session.flush()
    audit.record(
        session, actor=actor, action="answer", entity="lke_answer",
        entity_id=f"{assessment.id}:{change.ref}", unit_id=assessment.unit_id,
        before=before, after=audit.snapshot(row),
    )
    return row


def _writable(session: Session, actor: Principal | None, assessment_id: int) -> Assessment:
    assessment = get(
        session, actor=actor, assessment_id=assessment_id, permission="indicators.write"
    )
    assert_editable(assessment)
    return assessment


def answer(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    ref: str,
    option: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    index: Any = None,
    penjelasan: str | None = None,
    source: str | None = None,
) -> LkeAnswer:
    """Store one answer (validated against the bound framework) with a revision and audit."""
    return answer_many(
        session, actor=actor, assessment_id=assessment_id,
        changes=[AnswerChange(ref=ref, option=option, inputs=inputs, index=index,
                              penjelasan=penjelasan)],
        source=source,
    )[0]


def answer_many(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    changes: list[AnswerChange],
    source: str | None = None,
    commit: bool = True,
) -> list[LkeAnswer]:
    """Store several answers, all or nothing; every bad item is reported (prefixed by ref).

    ``commit=False`` leaves the commit to a caller that writes more in the same transaction.
    """
    assessment = _writable(session, actor, assessment_id)
    framework = framework_of(session, assessment)
    problems: list[str] = []
    validated: list[tuple[AnswerChange, AnswerInput | None]] = []
    seen: set[str] = set()
    if not changes:
        raise Invalid("Tidak ada jawaban yang dikirim.")
    for change in changes:
        if change.ref in seen:
            problems.append(f"{change.ref}: dikirim lebih dari sekali")
            continue
        seen.add(change.ref)
        answer_input, errors = _validate(framework, change)
        problems.extend(errors)
        validated.append((change, answer_input))
    if problems:
        raise Invalid("Jawaban tidak disimpan: periksa isian berikut.", problems=problems)
    rows = answers_of(session, assessment_id=assessment.id)
    out = []
    for change, answer_input in validated:
        written = _apply(
            session, actor=actor, assessment=assessment, rows=rows, change=change,
            answer=answer_input, source=source,
        )
        out.append(written or rows[change.ref])
    assessment.updated_at = _now()
    session.add(assessment)
    if commit:
        session.commit()
    return out


def clear_answer(
    session: Session, *, actor: Principal | None, assessment_id: int, ref: str
) -> LkeAnswer | None:
    """Remove the value of one answer (penjelasan kept); the change is a revision too."""
    assessment = _writable(session, actor, assessment_id)
    framework = framework_of(session, assessment)
    if not framework.has_question(ref):
        raise Invalid(f"Pertanyaan '{ref}' tidak ada dalam LKE {framework.code}.")
    rows = answers_of(session, assessment_id=assessment.id)
    row = rows.get(ref)
    if row is None or (row.option is None and not row.inputs and row.index_value is None):
        return row
    before = audit.snapshot(row)
    old_value = _row_value(row)
    row.option, row.inputs, row.index_value, row.source = None, None, None, None
    row.revision += 1
    row.updated_by = actor.user_id if actor else None
    row.updated_by_label = actor.label if actor else "system"
    row.updated_at = _now()
    session.add(row)
    session.add(
        LkeAnswerRevision(
            assessment_id=assessment.id, question_ref=ref, revision=row.revision,
            at=row.updated_at, actor_user_id=actor.user_id if actor else None,
            actor_token_id=actor.token_id if actor else None,
            actor_label=actor.label if actor else "system", old_value=old_value,
            new_value=_row_value(row), old_penjelasan=row.penjelasan,
            new_penjelasan=row.penjelasan,
        )
    )
    audit.record(
        session, actor=actor, action="clear_answer", entity="lke_answer",
        entity_id=f"{assessment.id}:{ref}", unit_id=assessment.unit_id,
        before=before, after=audit.snapshot(row),
    )
    assessment.updated_at = _now()
    session.add(assessment)
    session.commit()
    return row


def revisions(
    session: Session, *, assessment_id: int, ref: str | None = None
) -> list[LkeAnswerRevision]:
    """Answer history, newest first (of one question when ``ref`` is given)."""
    query = select(LkeAnswerRevision).where(LkeAnswerRevision.assessment_id == assessment_id)
    if ref is not None:
        query = query.where(LkeAnswerRevision.question_ref == ref)
    return list(session.exec(query.order_by(col(LkeAnswerRevision.id).desc())).all())


# --------------------------------------------------------------------------------------------
# Score, verdict, gaps
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Everything computed for one assessment at one moment."""

    assessment: Assessment
    framework: Framework
    rows: Mapping[str, LkeAnswer]
    answers: Mapping[str, AnswerInput]
    report: ScoreReport
    verdict: Verdict
    holds_wbk: bool

    @property
    def total(self) -> Fraction:
        return self.report.total.score


_HOLDS_WBK = units.holds_predicate_clause(bindparam("unit_id"), Predicate.WBK.value)


def holds_wbk(session: Session, *, unit_id: int) -> bool:
    return units.holds_predicate(session, unit_id=unit_id, predicate=Predicate.WBK.value)


_ANSWER_VALUES = sa_select(
    LkeAnswer.question_ref, LkeAnswer.option, LkeAnswer.inputs, LkeAnswer.index_value
).where(LkeAnswer.assessment_id == bindparam("assessment_id"))
_ANSWERS_OF_REFS = select(LkeAnswer).where(
    LkeAnswer.assessment_id == bindparam("assessment_id"),
    col(LkeAnswer.question_ref).in_(bindparam("refs", expanding=True)),
)


def _answer_values(session: Session, *, assessment_id: int) -> dict[str, AnswerInput]:
    """The domain answers of an assessment from its value columns only (no ORM rows)."""
    out = {}
    for ref, option, inputs, index_value in session.exec(
        _ANSWER_VALUES, params={"assessment_id": assessment_id}
    ):
        answer = _input_of(option, inputs, index_value)
        if not answer.is_empty:
            out[ref] = answer
    return out


def no_rows(framework: Framework) -> tuple[str, ...]:
    """``rows_for`` of a caller that needs scores only (no answer rows)."""
    return ()


def evaluate(
    session: Session,
    *,
    assessment: Assessment,
    target: str | None = None,
    rows_for: Callable[[Framework], Iterable[str]] | None = None,
) -> Evaluation:
    """Score and verdict of the stored answers (verdict for ``target``, default the goal).

    ``rows`` holds every stored answer row, or with ``rows_for`` only the rows of the
    question refs it gives for the framework (a page showing some questions: the others are
    read as values only)."""
    framework, held = frameworks.load_with(
        session, framework_id=assessment.framework_id, also=_HOLDS_WBK,
        params={"unit_id": assessment.unit_id},
    )
    held = bool(held)
    if rows_for is None:
        rows = answers_of(session, assessment_id=assessment.id)
        answers = answer_inputs(rows)
    else:
        answers = _answer_values(session, assessment_id=assessment.id)
        refs = list(rows_for(framework))
        rows = {
            r.question_ref: r for r in session.exec(
                _ANSWERS_OF_REFS, params={"assessment_id": assessment.id, "refs": refs}
            ).all()
        } if refs else {}
    report = lke.score(framework, answers)
    verdict = lke.evaluate(framework, report, _target(target, assessment), holds_wbk=held)
    return Evaluation(assessment, framework, rows, answers, report, verdict, held)


def _target(target: str | None, assessment: Assessment) -> str:
    target = target or assessment.target
    if target not in TARGETS:
        raise Invalid("Target predikat harus WBK atau WBBM.")
    return target


def score_report(session: Session, *, assessment: Assessment) -> ScoreReport:
    """The exact score of every node for the stored answers."""
    framework = framework_of(session, assessment)
    return lke.score(framework, answer_inputs(answers_of(session, assessment_id=assessment.id)))


def verdict(session: Session, *, assessment: Assessment, target: str | None = None) -> Verdict:
    """The predicate verdict (default: the assessment's target)."""
    return evaluate(session, assessment=assessment, target=target).verdict


def gap_plan(session: Session, *, assessment: Assessment, target: str | None = None) -> GapPlan:
    """What closes the gap to the target at the least effort, blockers first."""
    framework = framework_of(session, assessment)
    answers = answer_inputs(answers_of(session, assessment_id=assessment.id))
    return lke.plan_gaps(
        framework, answers, _target(target, assessment),
        holds_wbk=holds_wbk(session, unit_id=assessment.unit_id),
    )


def what_if(
    session: Session,
    *,
    assessment: Assessment,
    changes: list[AnswerChange],
    target: str | None = None,
) -> tuple[ScoreReport, Verdict]:
    """Score and verdict with hypothetical answers applied; nothing is stored.

    A change with no value (no option, inputs or index) removes that answer hypothetically.
    """
    framework = framework_of(session, assessment)
    answers = answer_inputs(answers_of(session, assessment_id=assessment.id))
    overrides: dict[str, AnswerInput | None] = {}
    problems: list[str] = []
    for change in changes:
        if not framework.has_question(change.ref):
            problems.append(f"{change.ref}: pertanyaan '{change.ref}' tidak ada dalam LKE")
            continue
        if change.option in (None, "") and not change.inputs and change.index in (None, ""):
            overrides[change.ref] = None
            continue
        answer_input, errors = _validate(framework, change)
        problems.extend(errors)
        overrides[change.ref] = answer_input
    if problems:
        raise Invalid("Simulasi tidak dapat dihitung: periksa isian berikut.", problems=problems)
    return lke.what_if(
        framework, answers, overrides, _target(target, assessment),
        holds_wbk=holds_wbk(session, unit_id=assessment.unit_id),
    )


def dec2(value: Fraction | Decimal | int | None) -> str | None:
    """'33.33': half-up rounded to 2 places, as a JSON string."""
    if value is None:
        return None
    return str(round_half_up(value, 2))


def frac(value: Fraction | Decimal | int | None) -> str | None:
    """The exact value as 'n/d'."""
    if value is None:
        return None
    f = Fraction(value)
    return f"{f.numerator}/{f.denominator}"


def node_json(node: lke.NodeScore) -> dict[str, Any]:
    out = {
        "ref": node.ref,
        "level": node.level,
        "name": node.name,
        "parent_ref": node.parent_ref,
        "weight": dec2(node.weight),
        "weight_exact": frac(node.weight),
        "score": dec2(node.score),
        "score_exact": frac(node.score),
        "percentage": dec2(node.percentage),
        "percentage_exact": frac(node.percentage),
        "questions": node.questions,
        "answered": node.answered,
    }
    if node.level == "question":
        out["value"] = dec2(node.value)
        out["value_exact"] = frac(node.value)
    return out


_LEVEL_KEYS = {
    "component": "components",
    "part": "parts",
    "area": "areas",
    "sub_indicator": "sub_indicators",
    "question": "questions",
}


def report_json(report: ScoreReport, *, questions: bool = True) -> dict[str, Any]:
    """A score report as JSON: total and every node keyed by ref, grouped by level."""
    out: dict[str, Any] = {"total": node_json(report.total)}
    for key in _LEVEL_KEYS.values():
        if key != "questions" or questions:
            out[key] = {}
    for node in report.nodes.values():
        key = _LEVEL_KEYS.get(node.level)
        if key in out:
            out[key][node.ref] = node_json(node)
    return out


def check_json(check: lke.CheckResult) -> dict[str, Any]:
    return {
        "code": check.code,
        "kind": check.kind,
        "label": check.label,
        "ref": check.ref,
        "value": dec2(check.value),
        "value_exact": frac(check.value),
        "threshold": dec2(check.threshold),
        "threshold_exact": frac(check.threshold),
        "missing": dec2(check.missing),
        "passed": check.passed,
    }


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "target": v.target,
        "passed": v.passed,
        "checks": [check_json(c) for c in v.checks],
        "reasons": list(v.reasons),
    }


def score_snapshot(session: Session, *, assessment: Assessment) -> dict[str, Any]:
    """JSON-safe score + verdict of the stored answers, for immutable records (reviews)."""
    ev = evaluate(session, assessment=assessment, rows_for=no_rows)
    return {
        "framework_id": assessment.framework_id,
        "score": report_json(ev.report, questions=True),
        "verdict": verdict_json(ev.verdict),
        "answered": ev.report.total.answered,
        "questions": ev.report.total.questions,
    }


# --------------------------------------------------------------------------------------------
# Progress, comparison, oversight
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceCoverage:
    """Expected-evidence items covered by at least one evidence, over all questions."""

    covered: int
    expected: int


#: Set by the evidence capability: (session, assessment) -> EvidenceCoverage. Until then
#: ``progress`` reports no evidence figures ("belum ada eviden"), never a made-up number.
evidence_coverage_provider: Callable[[Session, Assessment], EvidenceCoverage] | None = None


def evidence_coverage(session: Session, *, assessment: Assessment) -> EvidenceCoverage | None:
    """Evidence coverage from the evidence capability, or None when it is not installed."""
    if evidence_coverage_provider is None:
        return None
    return evidence_coverage_provider(session, assessment)


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
        evidence=evidence or evidence_coverage(session, assessment=assessment),
    )


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
    verdict: Verdict | None
    progress: Progress | None


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
    out = []
    for unit in work_units:
        a = latest.get(unit.id)
        if a is None:
            out.append(OversightRow(unit, None, None, None, None))
            continue
        ev = evaluate(session, assessment=a, rows_for=no_rows)
        out.append(OversightRow(
            unit, a, ev.total, ev.verdict, progress(session, assessment=a, report=ev.report)
        ))
    return out
