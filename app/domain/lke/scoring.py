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
from math import lcm
from types import MappingProxyType

from app.domain.lke.framework import TOTAL_REF, Framework, Question

__all__ = [
    "AnswerError",
    "AnswerInput",
    "AreaScore",
    "NodeScore",
    "ScoreReport",
    "answered_option",
    "question_value",
    "rescored",
    "score",
    "score_area",
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


def _valid_integer_inputs_value(question: Question, answer: AnswerInput) -> Fraction | None:
    """Fast path of ``question_value`` for the usual numeric answer: every input a whole
    number (int or integral Decimal), in range, every rule met -> its value, in integer
    arithmetic. None whenever anything is unusual: the general path then validates (and
    reports) it. Same result as the general path, which tests compare."""
    formula = question.formula
    given = answer.inputs
    if (
        formula is None or formula.kind == "index" or not given or answer.option is not None
        or answer.index is not None or len(given) != len(question.inputs)
    ):
        return None
    values: dict[str, int] = {}
    for spec in question.inputs:
        raw = given.get(spec.key)
        if type(raw) is Decimal:
            if not raw.is_finite():
                return None
            number, denominator = raw.as_integer_ratio()
            if denominator != 1:
                return None
        elif type(raw) is int:
            number = raw
        else:
            return None
        if number < spec.minimum:
            return None
        values[spec.key] = number
    for rule in question.rules:
        if sum(values[k] for k in rule.left) > sum(values[k] for k in rule.right):
            return None
    if formula.kind == "ratio":
        denominator = sum(values[k] for k in formula.denominator)
        if denominator == 0:
            return _fraction(formula.zero_denominator)
        value = Fraction(sum(values[k] for k in formula.numerator), denominator)
        if formula.cap is not None:
            value = min(value, _fraction(formula.cap))
        return value
    if formula.kind == "decrease" and formula.previous and formula.current:
        previous, current = values[formula.previous], values[formula.current]
        return Fraction(1) if current <= previous else Fraction(previous, current)
    return None


def question_value(question: Question, answer: AnswerInput) -> Fraction:
    """The answer's value in 0..1 (exact); ``AnswerError`` if the answer is not valid."""
    if question.inputs:
        fast = _valid_integer_inputs_value(question, answer)
        if fast is not None:
            return fast
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


@dataclass(frozen=True)
class _QuestionPlan:
    question: Question
    unanswered: NodeScore  # the node of an unanswered (or invalid) answer
    # option code -> (the question's node for that option, its score x _Plan.denominator)
    by_option: Mapping[str, tuple[NodeScore, int]]


@dataclass(frozen=True)
class _NodePlan:
    """A node above the questions (sub-indicator .. total), children in document order."""

    ref: str
    level: str
    name: str
    weight: Fraction
    parent: str | None
    questions: int
    children: tuple[_NodePlan, ...] = ()
    question_plans: tuple[_QuestionPlan, ...] = ()  # sub-indicators only


@dataclass(frozen=True)
class _Plan:
    """What scoring derives from the framework alone, once per framework: every weight as a
    Fraction, the finished node of every (question, option) pair, and one common denominator
    over which every option answer's score is an integer (so a rollup adds integers and
    builds one Fraction instead of normalising after every addition)."""

    denominator: int
    total: _NodePlan
    order: tuple[str, ...]  # every ref, document order, TOTAL first


def _build_plan(framework: Framework) -> _Plan:
    denominator = 1
    for q in framework.questions():
        for o in q.options:
            denominator = lcm(denominator, (_fraction(o.value) * q.weight).denominator)
    order: list[str] = [TOTAL_REF]

    def question_plan(q: Question, sub_ref: str) -> _QuestionPlan:
        order.append(q.ref)
        by_option = {}
        for o in q.options:
            value = _fraction(o.value)
            node = NodeScore(ref=q.ref, level="question", name=q.text, weight=q.weight,
                             score=value * q.weight, questions=1, answered=1, value=value,
                             parent_ref=sub_ref)
            numerator = node.score * denominator
            assert numerator.denominator == 1
            by_option[o.code] = (node, numerator.numerator)
        unanswered = NodeScore(ref=q.ref, level="question", name=q.text, weight=q.weight,
                               score=Fraction(0), questions=1, answered=0, value=None,
                               parent_ref=sub_ref)
        return _QuestionPlan(q, unanswered, MappingProxyType(by_option))

    def node_plan(node, level: str, parent: str | None, children) -> _NodePlan:
        kids = tuple(children)
        return _NodePlan(node.ref, level, node.name, _fraction(node.weight), parent,
                         sum(k.questions for k in kids), children=kids)

    def sub_plan(s, parent: str) -> _NodePlan:
        order.append(s.ref)
        qps = tuple(question_plan(q, s.ref) for q in s.questions)
        return _NodePlan(s.ref, "sub_indicator", s.name, _fraction(s.weight), parent,
                         len(qps), question_plans=qps)

    def area_plan(a, parent: str) -> _NodePlan:
        order.append(a.ref)
        return node_plan(a, "area", parent, [sub_plan(s, a.ref) for s in a.sub_indicators])

    def part_plan(p, parent: str) -> _NodePlan:
        order.append(p.ref)
        return node_plan(p, "part", parent, [area_plan(a, p.ref) for a in p.areas])

    def component_plan(c) -> _NodePlan:
        order.append(c.ref)
        return node_plan(c, "component", TOTAL_REF, [part_plan(p, c.ref) for p in c.parts])

    components = tuple(component_plan(c) for c in framework.components)
    total = _NodePlan(TOTAL_REF, "total", framework.title, _fraction(framework.weight), None,
                      sum(c.questions for c in components), children=components)
    return _Plan(denominator, total, tuple(order))


def _rollup(
    np: _NodePlan, answers: Mapping[str, AnswerInput], denominator: int,
    nodes: dict[str, NodeScore], invalid: dict[str, tuple[str, ...]],
) -> tuple[int, Fraction | None, int]:
    """Score ``np`` and every node below it into ``nodes`` (invalid answers into
    ``invalid``): (score x denominator of the option answers, exact rest, answered)."""
    get = answers.get

    def sub_score(sp: _NodePlan) -> tuple[int, Fraction | None, int]:
        """(score x denominator of the option answers, exact rest, answered) of a sub."""
        numerator, rest, answered = 0, None, 0
        for qp in sp.question_plans:
            answer = get(qp.question.ref)
            node = qp.unanswered
            if answer is not None:
                hit = (
                    qp.by_option.get(answer.option)
                    if answer.option is not None and not answer.inputs and answer.index is None
                    else None
                )
                if hit is not None:  # a valid option: its precomputed node, no checks left
                    node = hit[0]
                    numerator += hit[1]
                    answered += 1
                elif not answer.is_empty:
                    q = qp.question
                    try:
                        value = question_value(q, answer)
                    except AnswerError as exc:
                        invalid[q.ref] = exc.messages
                    else:
                        node = NodeScore(ref=q.ref, level="question", name=q.text,
                                         weight=q.weight, score=value * q.weight, questions=1,
                                         answered=1, value=value, parent_ref=sp.ref)
                        rest = node.score if rest is None else rest + node.score
                        answered += 1
            nodes[qp.question.ref] = node
        return numerator, rest, answered

    def rollup(np: _NodePlan) -> tuple[int, Fraction | None, int]:
        if np.level == "sub_indicator":
            numerator, rest, answered = sub_score(np)
        else:
            numerator, rest, answered = 0, None, 0
            for child in np.children:
                n, r, a = rollup(child)
                numerator += n
                answered += a
                if r is not None:
                    rest = r if rest is None else rest + r
        value = Fraction(numerator, denominator)
        nodes[np.ref] = NodeScore(
            ref=np.ref, level=np.level, name=np.name, weight=np.weight,
            score=value if rest is None else value + rest,
            questions=np.questions, answered=answered, parent_ref=np.parent,
        )
        return numerator, rest, answered

    return rollup(np)


def score(framework: Framework, answers: Mapping[str, AnswerInput]) -> ScoreReport:
    """Score every node of ``framework`` for ``answers`` (keyed by question ref)."""
    plan: _Plan = framework.derived("scoring_plan", _build_plan)
    invalid: dict[str, tuple[str, ...]] = {}
    unknown = tuple(ref for ref in answers if not framework.has_question(ref))
    nodes: dict[str, NodeScore] = dict.fromkeys(plan.order)  # type: ignore[arg-type]
    _rollup(plan.total, answers, plan.denominator, nodes, invalid)
    return ScoreReport(
        framework_code=framework.code,
        nodes=MappingProxyType(nodes),
        invalid=MappingProxyType(invalid),
        unknown_refs=unknown,
    )


@dataclass(frozen=True)
class AreaScore:
    """The nodes of one area (the area, its sub-indicators and questions), scored exactly as
    ``score`` scores them, and the area's invalid answers."""

    area: NodeScore
    nodes: Mapping[str, NodeScore]
    invalid: Mapping[str, tuple[str, ...]]


def _area_plans(framework: Framework) -> dict[str, _NodePlan]:
    plan: _Plan = framework.derived("scoring_plan", _build_plan)
    return {area.ref: area for component in plan.total.children
            for part in component.children for area in part.children}


def _parents(framework: Framework) -> dict[str, str | None]:
    """The parent of every node from an area up (None: the total)."""
    plan: _Plan = framework.derived("scoring_plan", _build_plan)
    out: dict[str, str | None] = {}

    def walk(np: _NodePlan) -> None:
        out[np.ref] = np.parent
        if np.level != "area":
            for child in np.children:
                walk(child)

    walk(plan.total)
    return out


def score_area(framework: Framework, area_ref: str,
               answers: Mapping[str, AnswerInput]) -> AreaScore:
    """Score one area for ``answers`` (those of its questions; others are ignored).

    Every node above an area is the plain sum of its areas, so when only this area's answers
    change, each of its ancestors moves by exactly ``after.area.score - before.area.score``
    (``rescored``): what a save of one answer needs instead of scoring every question."""
    plan: _Plan = framework.derived("scoring_plan", _build_plan)
    area_plan = framework.derived("scoring_area_plans", _area_plans)[area_ref]
    nodes: dict[str, NodeScore] = {}
    invalid: dict[str, tuple[str, ...]] = {}
    _rollup(area_plan, answers, plan.denominator, nodes, invalid)
    return AreaScore(nodes[area_ref], MappingProxyType(nodes), MappingProxyType(invalid))


def rescored(framework: Framework, scores: Mapping[str, Fraction],
             before: AreaScore, after: AreaScore) -> dict[str, Fraction]:
    """``scores`` (exact scores of the area and every node above it, by ref, as a full
    ``score`` gave them for the answers of ``before``) after the area's answers changed to
    those of ``after``: the area and each of its ancestors move by the same difference."""
    delta = after.area.score - before.area.score
    parents = framework.derived("scoring_parents", _parents)
    out = dict(scores)
    ref: str | None = after.area.ref
    while ref is not None:
        out[ref] = out[ref] + delta
        ref = parents[ref]
    return out
