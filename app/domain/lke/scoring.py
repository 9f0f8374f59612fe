"""Exact LKE scoring: answers -> a score for every node of the worksheet.

All arithmetic is ``fractions.Fraction``; option values come from exact decimals, so
``Fraction(Decimal("0.67")) == Fraction(67, 100)``. Nothing is rounded here.

Question score = value x (sub-indicator weight / number of questions in the sub-indicator);
sub-indicator, area, part, component and total scores are plain sums. An unanswered (or
invalid) answer scores 0 and is reported as unanswered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

from app.domain.lke.framework import TOTAL_REF, Framework, Question

__all__ = [
    "AnswerError",
    "AnswerInput",
    "NodeScore",
    "ScoreReport",
    "answered_option",
    "question_value",
    "score",
    "validate_answer",
]

Number = Decimal | int


@lru_cache(maxsize=4096)
def _fraction(value: Decimal) -> Fraction:
    """Exact Fraction of a framework Decimal (option value, weight), cached: the same few
    values are converted on every scoring call."""
    return Fraction(value)


@dataclass(frozen=True)
class AnswerInput:
    """One answer: an option code, numeric inputs, or a survey index (1-4), per question type."""

    option: str | None = None
    inputs: Mapping[str, Number] | None = None
    index: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return self.option is None and not self.inputs and self.index is None


class AnswerError(ValueError):
    """An answer does not fit its question; ``messages`` are Indonesian, for users."""

    def __init__(self, ref: str, messages: list[str]):
        self.ref = ref
        self.messages: tuple[str, ...] = tuple(messages)
        super().__init__("; ".join(messages))


def _fmt(value: Decimal | Fraction | int) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def _number(raw: object) -> Decimal | None:
    """Decimal from an int, Decimal or numeric string; None for anything else (floats too)."""
    if isinstance(raw, bool) or isinstance(raw, float):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", "."))
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None


def validate_answer(question: Question, answer: AnswerInput) -> list[str]:
    """Every problem with ``answer`` for ``question``, as Indonesian messages; [] when valid."""
    ref = question.ref
    errors: list[str] = []
    if question.options:
        if answer.option is None:
            errors.append(f"Pilihan jawaban untuk {ref} belum diisi")
        elif question.option(answer.option) is None:
            allowed = ", ".join(question.option_codes)
            errors.append(
                f"Pilihan '{answer.option}' tidak tersedia untuk {ref} (pilihan: {allowed})"
            )
        if answer.inputs or answer.index is not None:
            errors.append(f"{ref} dijawab dengan pilihan, bukan dengan isian angka")
        return errors

    if question.is_index:
        formula = question.formula
        assert formula is not None and formula.minimum is not None
        assert formula.maximum is not None
        if answer.option is not None or answer.inputs:
            errors.append(f"{ref} dijawab dengan nilai indeks, bukan pilihan atau isian")
        if answer.index is None:
            errors.append(f"Nilai indeks untuk {ref} belum diisi")
            return errors
        index = _number(answer.index)
        if index is None:
            errors.append(f"Nilai indeks untuk {ref} harus berupa angka")
        elif not formula.minimum <= index <= formula.maximum:
            errors.append(
                f"Nilai indeks untuk {ref} harus antara {_fmt(formula.minimum)} dan "
                f"{_fmt(formula.maximum)}, bukan {_fmt(index)}"
            )
        return errors

    # numeric inputs
    if answer.option is not None or answer.index is not None:
        errors.append(f"{ref} dijawab dengan isian angka, bukan pilihan atau indeks")
    given = dict(answer.inputs or {})
    known = {i.key: i for i in question.inputs}
    for key in given:
        if key not in known:
            errors.append(f"Isian '{key}' tidak dikenal untuk {ref}")
    values: dict[str, Decimal] = {}
    for spec in question.inputs:
        if spec.key not in given or given[spec.key] is None:
            errors.append(f"Isian '{spec.label}' untuk {ref} belum diisi")
            continue
        value = _number(given[spec.key])
        if value is None:
            errors.append(f"Isian '{spec.label}' untuk {ref} harus berupa angka")
            continue
        if value < spec.minimum:
            if spec.minimum == 0:
                errors.append(f"Isian '{spec.label}' untuk {ref} tidak boleh negatif")
            else:
                errors.append(f"Isian '{spec.label}' untuk {ref} minimal {spec.minimum}")
            continue
        if spec.kind == "integer" and value != value.to_integral_value():
            errors.append(f"Isian '{spec.label}' untuk {ref} harus bilangan bulat")
            continue
        values[spec.key] = value
    if len(values) == len(question.inputs):
        for rule in question.rules:
            left = sum((values[k] for k in rule.left), Decimal(0))
            right = sum((values[k] for k in rule.right), Decimal(0))
            if left > right:
                errors.append(f"{rule.message} ({ref}: {_fmt(left)} > {_fmt(right)})")
    return errors


def _numeric_value(question: Question, values: Mapping[str, Fraction]) -> Fraction:
    formula = question.formula
    assert formula is not None
    if formula.kind == "ratio":
        numerator = sum((values[k] for k in formula.numerator), Fraction(0))
        denominator = sum((values[k] for k in formula.denominator), Fraction(0))
        if denominator == 0:
            return Fraction(formula.zero_denominator)
        value = numerator / denominator
        if formula.cap is not None:
            value = min(value, Fraction(formula.cap))
        return value
    if formula.kind == "decrease":
        assert formula.previous is not None and formula.current is not None
        previous, current = values[formula.previous], values[formula.current]
        if current <= previous:
            return Fraction(1)
        return previous / current  # current > previous >= 0, so current > 0
    raise AssertionError(f"unexpected formula kind {formula.kind!r}")


def question_value(question: Question, answer: AnswerInput) -> Fraction:
    """The answer's value in 0..1 (exact); ``AnswerError`` if the answer is not valid."""
    errors = validate_answer(question, answer)
    if errors:
        raise AnswerError(question.ref, errors)
    if question.options:
        option = question.option(answer.option or "")
        assert option is not None
        return _fraction(option.value)
    if question.is_index:
        formula = question.formula
        assert formula is not None and formula.maximum is not None
        index = _number(answer.index)
        assert index is not None
        return Fraction(index) / Fraction(formula.maximum)
    values = {k: Fraction(_number(v)) for k, v in (answer.inputs or {}).items()}
    return _numeric_value(question, values)


def answered_option(question: Question, answer: AnswerInput | None) -> str | None:
    """The option code of a valid option answer, else None."""
    if answer is None or not question.options or answer.option is None:
        return None
    return answer.option if question.option(answer.option) is not None else None


@dataclass(frozen=True)
class NodeScore:
    """Score of one node. ``level``: total, component, part, area, sub_indicator, question."""

    ref: str
    level: str
    name: str
    weight: Fraction
    score: Fraction
    questions: int
    answered: int
    value: Fraction | None = None  # questions only: the answer's value 0..1, None if unanswered
    parent_ref: str | None = None

    @property
    def share(self) -> Fraction:
        """score / weight, 0..1, unrounded."""
        return self.score / self.weight if self.weight else Fraction(0)

    @property
    def percentage(self) -> Fraction:
        """score / weight x 100, unrounded."""
        return self.share * 100

    @property
    def unanswered(self) -> int:
        return self.questions - self.answered

    @property
    def complete(self) -> bool:
        return self.answered == self.questions


@dataclass(frozen=True)
class ScoreReport:
    framework_code: str
    nodes: Mapping[str, NodeScore]  # every node by ref, document order, TOTAL first
    invalid: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # ref -> messages
    unknown_refs: tuple[str, ...] = ()  # answers given for refs not in the framework

    @property
    def total(self) -> NodeScore:
        return self.nodes[TOTAL_REF]

    def node(self, ref: str) -> NodeScore:
        return self.nodes[ref]

    def score_of(self, ref: str) -> Fraction:
        return self.nodes[ref].score

    def question_scores(self) -> Iterator[NodeScore]:
        return (n for n in self.nodes.values() if n.level == "question")

    def unanswered_refs(self) -> list[str]:
        return [n.ref for n in self.question_scores() if n.answered == 0]


def score(framework: Framework, answers: Mapping[str, AnswerInput]) -> ScoreReport:
    """Score every node of ``framework`` for ``answers`` (keyed by question ref)."""
    invalid: dict[str, tuple[str, ...]] = {}
    unknown = tuple(ref for ref in answers if not framework.has_question(ref))
    nodes: dict[str, NodeScore] = {}

    def rollup(
        ref: str,
        level: str,
        name: str,
        weight: Decimal,
        parent: str | None,
        children: list[NodeScore],
    ) -> NodeScore:
        node = NodeScore(
            ref=ref,
            level=level,
            name=name,
            weight=_fraction(weight),
            score=sum((c.score for c in children), Fraction(0)),
            questions=sum(c.questions for c in children),
            answered=sum(c.answered for c in children),
            parent_ref=parent,
        )
        nodes[ref] = node
        return node

    nodes[TOTAL_REF] = None  # type: ignore[assignment]  # keep TOTAL first in order
    component_scores = []
    for component in framework.components:
        nodes[component.ref] = None  # type: ignore[assignment]
        part_scores = []
        for part in component.parts:
            nodes[part.ref] = None  # type: ignore[assignment]
            area_scores = []
            for area in part.areas:
                nodes[area.ref] = None  # type: ignore[assignment]
                sub_scores = []
                for sub in area.sub_indicators:
                    nodes[sub.ref] = None  # type: ignore[assignment]
                    q_scores = []
                    for q in sub.questions:
                        answer = answers.get(q.ref)
                        value: Fraction | None = None
                        if answer is not None and not answer.is_empty:
                            option = (
                                q.option(answer.option)
                                if q.options and answer.option is not None
                                and not answer.inputs and answer.index is None
                                else None
                            )
                            if option is not None:  # a valid option: its value, no checks left
                                value = _fraction(option.value)
                            else:
                                try:
                                    value = question_value(q, answer)
                                except AnswerError as exc:
                                    invalid[q.ref] = exc.messages
                        node = NodeScore(
                            ref=q.ref,
                            level="question",
                            name=q.text,
                            weight=q.weight,
                            score=(value or Fraction(0)) * q.weight,
                            questions=1,
                            answered=0 if value is None else 1,
                            value=value,
                            parent_ref=sub.ref,
                        )
                        nodes[q.ref] = node
                        q_scores.append(node)
                    sub_scores.append(
                        rollup(sub.ref, "sub_indicator", sub.name, sub.weight, area.ref, q_scores)
                    )
                area_scores.append(
                    rollup(area.ref, "area", area.name, area.weight, part.ref, sub_scores)
                )
            part_scores.append(
                rollup(part.ref, "part", part.name, part.weight, component.ref, area_scores)
            )
        component_scores.append(
            rollup(
                component.ref, "component", component.name, component.weight, TOTAL_REF, part_scores
            )
        )
    rollup(TOTAL_REF, "total", framework.title, framework.weight, None, component_scores)
    return ScoreReport(
        framework_code=framework.code,
        nodes=MappingProxyType(nodes),
        invalid=MappingProxyType(invalid),
        unknown_refs=unknown,
    )
