"""Score, predicate verdict, gap plan and what-if of an assessment's stored answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain import lke
from app.domain.lke import AnswerInput, Framework, GapPlan, ScoreReport, Verdict
from app.domain.lke.report_json import report_json, verdict_json
from app.models.lke.assessments import Assessment, LkeAnswer
from app.models.units import Predicate
from app.services import units
from app.services.errors import Invalid
from app.services.lke import frameworks
from app.services.lke.answers import (
    AnswerChange,
    answer_inputs,
    answers_of,
    input_of,
    validate_change,
)
from app.services.lke.assessments import TARGETS, framework_of


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
        answer = input_of(option, inputs, index_value)
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


def verdicts(evaluation: Evaluation) -> dict[str, Verdict]:
    """The evaluation's score checked against every predicate (WBK and WBBM), as the
    worksheet checks it against its target."""
    return {
        target: (evaluation.verdict if target == evaluation.verdict.target else
                 lke.evaluate(evaluation.framework, evaluation.report, target,
                              holds_wbk=evaluation.holds_wbk))
        for target in TARGETS
    }


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
        answer_input, errors = validate_change(framework, change)
        problems.extend(errors)
        overrides[change.ref] = answer_input
    if problems:
        raise Invalid("Simulasi tidak dapat dihitung: periksa isian berikut.", problems=problems)
    return lke.what_if(
        framework, answers, overrides, _target(target, assessment),
        holds_wbk=holds_wbk(session, unit_id=assessment.unit_id),
    )


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
