"""Answers of an LKE assessment: validated against the bound framework, stored with a
revision and an audit record for every change (nothing entered is lost)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.domain import lke
from app.domain.lke import AnswerInput, Framework
from app.domain.numbers import NumberError, parse_number
from app.domain.text import clean_text
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.security.principal import Principal
from app.services import audit
from app.services.errors import FieldProblem, Invalid
from app.services.lke.assessments import assert_editable, framework_of, get
from app.services.webhooks import events as webhook_events


def _now() -> datetime:
    return datetime.now(UTC)


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


def _typed(raw: Any, *, small: bool = False) -> Any:
    """A number typed as Indonesians write it ('1.200', '3,62': ``app.domain.numbers``) as a
    Decimal; anything else unchanged (validate_answer reports it)."""
    if isinstance(raw, str) and raw.strip():
        try:
            return parse_number(raw, small=small)
        except NumberError:
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
        {str(k): _typed(_number(v)) for k, v in change.inputs.items()}
        if change.inputs is not None
        else None
    )
    index = _number(change.index)
    if isinstance(index, str):
        index = index.strip()
    if isinstance(index, str):
        index = _typed(index, small=True)
    elif isinstance(index, int) and not isinstance(index, bool):
        index = Decimal(index)
    return AnswerInput(option=option or None, inputs=inputs or None, index=index)


def stored_value(answer: AnswerInput) -> dict[str, Any]:
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


def input_of(option: str | None, inputs: Mapping[str, Any] | None,
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
    return input_of(row.option, row.inputs, row.index_value)


@dataclass(frozen=True)
class Saved:
    """What a save leaves for the page that shows it: ``scored`` (``summary.Scored``: the
    new scores of every summarised node and of the changed areas' nodes, the verdict, the
    summary row) and ``rows``, the answer rows of the changed areas by ref (as stored)."""

    scored: Any
    rows: Mapping[str, LkeAnswer]


# Built once: constructing a SQLAlchemy statement costs about as much as running it.
_ANSWERS_OF = select(LkeAnswer).where(LkeAnswer.assessment_id == bindparam("assessment_id"))


_ANSWERS_OF_REFS = _ANSWERS_OF.where(
    col(LkeAnswer.question_ref).in_(bindparam("refs", expanding=True)))


def answers_of(session: Session, *, assessment_id: int,
               refs: Iterable[str] | None = None) -> dict[str, LkeAnswer]:
    """Stored answer rows by question ref (including penjelasan-only rows); only those of
    ``refs`` when given."""
    if refs is None:
        rows = session.exec(_ANSWERS_OF, params={"assessment_id": assessment_id}).all()
    else:
        wanted = list(refs)
        rows = session.exec(_ANSWERS_OF_REFS, params={
            "assessment_id": assessment_id, "refs": wanted}).all() if wanted else []
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


def change_problems(
    framework: Framework, change: AnswerChange, path: str = ""
) -> tuple[AnswerInput | None, list[FieldProblem]]:
    """The normalised answer of one change and every problem with it, named: ``path`` is
    where the change sits in the request's body (``answers.3``; "" for the whole body)."""
    ref = change.ref

    def at(name: str) -> str:
        return f"{path}.{name}" if path else name

    if not framework.has_question(ref):
        return None, [FieldProblem(at("ref"), "unknown_question",
                                   f"{ref}: pertanyaan '{ref}' tidak ada dalam LKE "
                                   f"{framework.code}")]
    question = framework.question(ref)
    problems: list[FieldProblem] = []
    if change.penjelasan is not None and len(change.penjelasan) > 20000:
        problems.append(FieldProblem(at("penjelasan"), "too_long",
                                     f"{ref}: penjelasan terlalu panjang "
                                     "(maksimal 20.000 karakter)"))
    has_value = (
        change.option not in (None, "") or bool(change.inputs) or change.index not in (None, "")
    )
    if not has_value:
        if change.penjelasan is None:
            problems.append(FieldProblem(path, "missing",
                                         f"{ref}: tidak ada jawaban atau penjelasan yang "
                                         "dikirim"))
        return None, problems
    answer = _normalise(question, change)
    problems.extend(FieldProblem(path, "invalid_answer", f"{ref}: {m}")
                    for m in lke.validate_answer(question, answer))
    return answer, problems


def validate_change(
    framework: Framework, change: AnswerChange
) -> tuple[AnswerInput | None, list[str]]:
    """The normalised answer of one change and every problem with it (prefixed by ref)."""
    answer, problems = change_problems(framework, change)
    return answer, [p.message for p in problems]


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
    new_text = old_text if change.penjelasan is None else (
        clean_text(change.penjelasan).strip() or None)
    if answer is not None:
        stored = stored_value(answer)
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
    if row.id is None:
        session.flush()  # the new row's id, for its audit record
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
    paths: list[str] | None = None,
) -> list[LkeAnswer]:
    """Store several answers, all or nothing; every bad item is reported (prefixed by ref,
    named in ``errors`` by its place in the body: ``paths``, default ``answers.<index>``).

    ``commit=False`` leaves the commit to a caller that writes more in the same transaction.
    """
    return answer_scored(session, actor=actor, assessment_id=assessment_id, changes=changes,
                         source=source, commit=commit, paths=paths)[0]


def answer_scored(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    changes: list[AnswerChange],
    source: str | None = None,
    commit: bool = True,
    paths: list[str] | None = None,
) -> tuple[list[LkeAnswer], Saved]:
    """``answer_many``, also returning the scores the summary was brought up to date with
    and the answer rows of the changed areas (``Saved``): a page showing the saved
    questions and the new scores needs not read or score them again."""
    assessment = _writable(session, actor, assessment_id)
    framework = framework_of(session, assessment)
    problems: list[FieldProblem] = []
    validated: list[tuple[AnswerChange, AnswerInput | None]] = []
    seen: set[str] = set()
    if not changes:
        raise Invalid("Tidak ada jawaban yang dikirim.")
    for n, change in enumerate(changes):
        path = paths[n] if paths is not None else f"answers.{n}"
        if change.ref in seen:
            problems.append(FieldProblem(f"{path}.ref" if path else "ref", "duplicate",
                                         f"{change.ref}: dikirim lebih dari sekali"))
            continue
        seen.add(change.ref)
        answer_input, errors = change_problems(framework, change, path)
        problems.extend(errors)
        validated.append((change, answer_input))
    if problems:
        raise Invalid("Jawaban tidak disimpan: periksa isian berikut.", errors=problems)
    from app.services.lke import summary  # the summary scores through this module

    # Locks before reads: the assessment written first (SQLite: the database's one write
    # lock; PostgreSQL: the assessment's row), then the summary row locked, so what is read
    # next is what the last writer committed. Then every answer row of the changed areas:
    # the old values, the rows a page shows, and each area's score before and after (the
    # summary moves by the difference instead of scoring every answer).
    assessment.updated_at = _now()
    session.add(assessment)
    session.flush()
    row = summary.locked(session, assessment=assessment)
    watched = _verdict_watch(session, assessment, row)
    areas = list(dict.fromkeys(framework.question(c.ref).area_ref for c, _ in validated))
    rows = answers_of(session, assessment_id=assessment.id,
                      refs=[q.ref for a in areas for q in framework.area(a).questions])
    values = answer_inputs(rows)
    before = {a: lke.score_area(framework, a, values) for a in areas}
    out = []
    for change, answer_input in validated:
        written = _apply(
            session, actor=actor, assessment=assessment, rows=rows, change=change,
            answer=answer_input, source=source,
        )
        out.append(written or rows[change.ref])
    values = answer_inputs(rows)
    after = {a: lke.score_area(framework, a, values) for a in areas}
    scored = summary.answers_changed(session, assessment=assessment, framework=framework,
                                     row=row, before=before, after=after)
    _verdict_event(session, assessment, watched, scored.verdict)
    if commit:
        session.commit()
    return out, Saved(scored, rows)


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
    watched = _verdict_watch(session, assessment)
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
    _summarise(session, assessment, watched)
    session.commit()
    return row


def _verdict_watch(session: Session, assessment: Assessment,
                   row: Any = None) -> bool | None:
    """Whether the verdict passes before a change, when a webhook subscription wants to
    hear of it changing (None otherwise: no scoring for nobody). ``row``: the assessment's
    summary when the caller has read it."""
    if not webhook_events.wants(session, unit_id=assessment.unit_id,
                                event_type=webhook_events.VERDICT_CHANGED):
        return None
    from app.services.lke import summary  # the summary scores through this module

    # The summary holds the verdict of the stored answers (current at every commit).
    return (row if row is not None else summary.of(session, assessment=assessment)
            ).verdict_passed


def _verdict_event(session: Session, assessment: Assessment, before: bool | None,
                   verdict: lke.Verdict) -> None:
    """Put ``assessment.verdict_changed`` in the outbox when the change flipped the verdict."""
    if before is not None and verdict.passed != before:
        webhook_events.emit(
            session, event_type=webhook_events.VERDICT_CHANGED, unit_id=assessment.unit_id,
            data={"assessment_id": assessment.id, "target": verdict.target,
                  "passed": verdict.passed, "previously_passed": before,
                  "reasons": list(verdict.reasons)},
        )


def _summarise(session: Session, assessment: Assessment, before: bool | None) -> None:
    """Bring the assessment's summary up to date with the changed answers (all scored
    again), and put ``assessment.verdict_changed`` in the outbox when the verdict flipped."""
    from app.services.lke import summary  # the summary scores through this module

    evaluation = summary.scores_changed(session, assessment=assessment)
    _verdict_event(session, assessment, before, evaluation.verdict)


def revisions(
    session: Session, *, actor: Principal | None, assessment_id: int, ref: str | None = None
) -> list[LkeAnswerRevision]:
    """Answer history, newest first (of one question when ``ref`` is given); Forbidden unless
    ``actor`` may read the assessment's unit."""
    get(session, actor=actor, assessment_id=assessment_id)
    query = select(LkeAnswerRevision).where(LkeAnswerRevision.assessment_id == assessment_id)
    if ref is not None:
        query = query.where(LkeAnswerRevision.question_ref == ref)
    return list(session.exec(query.order_by(col(LkeAnswerRevision.id).desc())).all())
