"""LKE framework model: the worksheet tree as frozen dataclasses, loaded and validated from data.

Tree: Framework > Component (P, H) > Part (PP, PR, HB, HP) > Area (PPA...) > SubIndicator
(PPA1...) > Question (PPA1A...). Weights and option values are exact ``Decimal``s; a question's
own maximum (sub-indicator weight / number of questions) is an exact ``Fraction``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ANSWER_TYPES",
    "Area",
    "Component",
    "Formula",
    "Framework",
    "FrameworkError",
    "InputRule",
    "NumericInput",
    "Option",
    "Part",
    "Predicate",
    "Question",
    "SubIndicator",
    "ThresholdCheck",
    "load_framework",
]

#: answer_type -> option codes it must offer, in order (None: no options, uses a formula).
ANSWER_TYPES: dict[str, tuple[str, ...] | None] = {
    "yes_no": ("Ya", "Tidak"),
    "a_c": ("A", "B", "C"),
    "a_d": ("A", "B", "C", "D"),
    "a_e": ("A", "B", "C", "D", "E"),
    "numeric": None,
    "index": None,
}
FORMULA_KINDS = ("ratio", "decrease", "index")
CHECK_KINDS = ("total_min", "node_min", "area_share_min", "predicate_held")
INPUT_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
TOTAL_REF = "TOTAL"


class FrameworkError(ValueError):
    """A framework file or mapping is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("invalid framework:\n- " + "\n- ".join(self.problems))


@dataclass(frozen=True)
class Option:
    code: str  # "A".."E", "Ya", "Tidak"
    label: str
    value: Decimal  # exact, 0..1, e.g. Decimal("0.67")


@dataclass(frozen=True)
class NumericInput:
    key: str  # snake_case, e.g. "changes_made"
    label: str  # Indonesian label shown to users
    kind: str = "integer"
    minimum: int = 0


@dataclass(frozen=True)
class InputRule:
    """Consistency rule on numeric inputs: sum(left) <= sum(right) for kind "lte"."""

    kind: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Formula:
    """How a question without options gets its value (0..1).

    - ``ratio``: sum(numerator) / sum(denominator), capped at ``cap``; ``zero_denominator``
      when the denominator is 0.
    - ``decrease``: 1 when current <= previous, else previous / current.
    - ``index``: survey index in [minimum, maximum]; value = index / maximum.
    """

    kind: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    cap: Decimal | None = None
    zero_denominator: Decimal = Decimal(0)
    previous: str | None = None
    current: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    assumption: bool = False
    explanation: str = ""


@dataclass(frozen=True)
class Question:
    ref: str
    text: str
    answer_type: str  # a key of ANSWER_TYPES
    weight: Fraction  # maximum points: sub-indicator weight / number of its questions
    options: tuple[Option, ...] = ()
    inputs: tuple[NumericInput, ...] = ()
    formula: Formula | None = None
    rules: tuple[InputRule, ...] = ()
    evidence: tuple[str, ...] = ()
    result_label: str | None = None
    sub_indicator_ref: str = ""
    area_ref: str = ""
    part_ref: str = ""
    component_ref: str = ""

    def option(self, code: str) -> Option | None:
        """The option with this code, or None."""
        for opt in self.options:
            if opt.code == code:
                return opt
        return None

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    @property
    def input_keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.inputs)

    @property
    def max_value(self) -> Fraction:
        """Best value (0..1) this question can reach."""
        if self.options:
            return max(Fraction(o.value) for o in self.options)
        if self.formula is not None and self.formula.kind == "ratio" and self.formula.cap:
            return Fraction(self.formula.cap)
        return Fraction(1)

    @property
    def is_numeric(self) -> bool:
        return self.answer_type == "numeric"

    @property
    def is_index(self) -> bool:
        return self.answer_type == "index"


@dataclass(frozen=True)
class SubIndicator:
    ref: str
    name: str
    weight: Decimal
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Area:
    ref: str
    name: str
    weight: Decimal
    sub_indicators: tuple[SubIndicator, ...]
    part_ref: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sub_indicators for q in s.questions)


@dataclass(frozen=True)
class Part:
    ref: str
    name: str
    weight: Decimal
    areas: tuple[Area, ...]
    component_ref: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for a in self.areas for q in a.questions)


@dataclass(frozen=True)
class Component:
    ref: str
    name: str
    weight: Decimal
    parts: tuple[Part, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for p in self.parts for q in p.questions)


@dataclass(frozen=True)
class ThresholdCheck:
    """One predicate requirement, as data.

    - ``total_min``: total score >= minimum.
    - ``node_min``: score of node ``ref`` >= minimum.
    - ``area_share_min``: every area of ``parts`` scores >= share x its weight.
    - ``predicate_held``: the unit already holds ``predicate``.
    """

    code: str
    kind: str
    label: str
    minimum: Decimal | None = None
    ref: str | None = None
    parts: tuple[str, ...] = ()
    share: Decimal | None = None
    predicate: str | None = None


@dataclass(frozen=True)
class Predicate:
    code: str  # "WBK", "WBBM"
    name: str
    checks: tuple[ThresholdCheck, ...]


Node = Component | Part | Area | SubIndicator | Question


@dataclass(frozen=True)
class Framework:
    code: str
    version: int
    title: str
    regulation: str
    components: tuple[Component, ...]
    predicates: tuple[Predicate, ...]
    notes: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()
    source: str = ""
    _index: Mapping[str, Node] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Data derived once per (immutable) framework, e.g. the scoring plan: see ``derived``.
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Node] = {}
        for node in self.iter_nodes():
            index.setdefault(node.ref, node)
        object.__setattr__(self, "_index", index)

    def derived(self, key: str, build: Callable[[Framework], Any]) -> Any:
        """``build(self)``, computed once per framework object and kept (the tree is frozen,
        so anything computed from it alone never goes stale)."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = build(self)
            return value

    # --- lookups -------------------------------------------------------------------------
    @property
    def weight(self) -> Decimal:
        return sum((c.weight for c in self.components), Decimal(0))

    def node(self, ref: str) -> Node:
        """Any node by ref (component, part, area, sub-indicator or question); KeyError if none."""
        return self._index[ref]

    def question(self, ref: str) -> Question:
        """The question with this ref; KeyError if there is none."""
        node = self._index.get(ref)
        if not isinstance(node, Question):
            raise KeyError(ref)
        return node

    def has_question(self, ref: str) -> bool:
        return isinstance(self._index.get(ref), Question)

    def predicate(self, code: str) -> Predicate:
        for p in self.predicates:
            if p.code == code:
                return p
        raise KeyError(code)

    def component(self, ref: str) -> Component:
        node = self._index.get(ref)
        if not isinstance(node, Component):
            raise KeyError(ref)
        return node

    def part(self, ref: str) -> Part:
        node = self._index.get(ref)
        if not isinstance(node, Part):
            raise KeyError(ref)
        return node

    def area(self, ref: str) -> Area:
        node = self._index.get(ref)
        if not isinstance(node, Area):
            raise KeyError(ref)
        return node

    # --- iteration (document order) ------------------------------------------------------
    def parts(self) -> Iterator[Part]:
        for c in self.components:
            yield from c.parts

    def areas(self) -> Iterator[Area]:
        for p in self.parts():
            yield from p.areas

    def sub_indicators(self) -> Iterator[SubIndicator]:
        for a in self.areas():
            yield from a.sub_indicators

    def questions(self) -> Iterator[Question]:
        for s in self.sub_indicators():
            yield from s.questions

    def iter_nodes(self) -> Iterator[Node]:
        """Every node, depth first, parents before children."""
        for c in self.components:
            yield c
            for p in c.parts:
                yield p
                for a in p.areas:
                    yield a
                    for s in a.sub_indicators:
                        yield s
                        yield from s.questions


# ------------------------------------------------------------------------------------------
# Loading and validation
# ------------------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _decimal(raw: Any, where: str, what: str, problems: _Problems) -> Decimal | None:
    """Exact decimal from a string or int; floats are refused (they are not exact)."""
    if isinstance(raw, bool) or raw is None:
        problems.add(where, f"{what} missing or not a number")
        return None
    if isinstance(raw, float):
        problems.add(where, f"{what} {raw!r} is a float; write it as a quoted decimal string")
        return None
    if isinstance(raw, Decimal | int):
        return Decimal(raw)
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            problems.add(where, f"{what} {raw!r} is not a decimal number")
            return None
        if not value.is_finite():
            problems.add(where, f"{what} {raw!r} is not a finite number")
            return None
        return value
    problems.add(where, f"{what} {raw!r} is not a decimal number")
    return None


def _text(raw: Mapping[str, Any], key: str, where: str, problems: _Problems) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"missing {key}")
        return ""
    return value


def _list(raw: Mapping[str, Any], key: str, where: str, problems: _Problems) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(where, f"{key} must be a list")
        return []
    return value


def _keys(raw: Any, where: str, what: str, problems: _Problems) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and raw and all(isinstance(k, str) for k in raw):
        return tuple(raw)
    problems.add(where, f"{what} must be an input key or a non-empty list of input keys")
    return ()


def _positive_weight(raw: Mapping[str, Any], where: str, problems: _Problems) -> Decimal:
    weight = _decimal(raw.get("weight"), where, "weight", problems)
    if weight is None:
        return Decimal(0)
    if weight <= 0:
        problems.add(where, f"weight {weight} must be positive")
    return weight


def _ref(raw: Any, parent_ref: str, where: str, problems: _Problems) -> str:
    ref = raw.get("ref") if isinstance(raw, Mapping) else None
    if not isinstance(ref, str) or not ref.strip():
        problems.add(where, "missing ref")
        return ""
    if parent_ref and not ref.startswith(parent_ref):
        problems.add(ref, f"ref should start with its parent's ref {parent_ref!r}")
    return ref


def _options(raw_q: Mapping[str, Any], ref: str, answer_type: str, problems: _Problems):
    options: list[Option] = []
    for i, raw in enumerate(_list(raw_q, "options", ref, problems)):
        where = f"{ref} option {i + 1}"
        if not isinstance(raw, Mapping):
            problems.add(where, "must be a mapping")
            continue
        code = _text(raw, "code", where, problems)
        label = _text(raw, "label", where, problems)
        value = _decimal(raw.get("value"), where, "value", problems)
        if value is None:
            continue
        if not Decimal(0) <= value <= Decimal(1):
            problems.add(where, f"value {value} must be between 0 and 1")
        options.append(Option(code=code, label=label, value=value))
    expected = ANSWER_TYPES.get(answer_type)
    codes = tuple(o.code for o in options)
    if expected is not None:
        if codes != expected:
            problems.add(
                ref, f"{answer_type} question needs options {list(expected)}, has {list(codes)}"
            )
        if options and max(o.value for o in options) != 1:
            problems.add(ref, "best option must have value 1")
    return tuple(options)


def _inputs(raw_q: Mapping[str, Any], ref: str, problems: _Problems):
    inputs: list[NumericInput] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(raw_q, "inputs", ref, problems)):
        where = f"{ref} input {i + 1}"
        if not isinstance(raw, Mapping):
            problems.add(where, "must be a mapping")
            continue
        key = _text(raw, "key", where, problems)
        label = _text(raw, "label", where, problems)
        if key and not INPUT_KEY.match(key):
            problems.add(where, f"key {key!r} must be snake_case")
        if key in seen:
            problems.add(where, f"duplicate input key {key!r}")
        seen.add(key)
        kind = raw.get("kind", "integer")
        if kind not in ("integer", "decimal"):
            problems.add(where, f"unknown input kind {kind!r}")
        minimum = raw.get("min", 0)
        if not isinstance(minimum, int) or isinstance(minimum, bool):
            problems.add(where, "min must be an integer")
            minimum = 0
        inputs.append(NumericInput(key=key, label=label, kind=kind, minimum=minimum))
    return tuple(inputs)


def _formula(raw_q: Mapping[str, Any], ref: str, keys: set[str], problems: _Problems):
    raw = raw_q.get("formula")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(ref, "formula must be a mapping")
        return None
    kind = raw.get("kind")
    where = f"{ref} formula"
    if kind not in FORMULA_KINDS:
        problems.add(where, f"unknown formula kind {kind!r}")
        return None
    explanation = str(raw.get("explanation", "") or "")
    assumption = bool(raw.get("assumption", False))
    if assumption and not explanation.strip():
        problems.add(where, "an assumed formula needs an explanation")
    if kind == "ratio":
        numerator = _keys(raw.get("numerator"), where, "numerator", problems)
        denominator = _keys(raw.get("denominator"), where, "denominator", problems)
        for key in numerator + denominator:
            if key not in keys:
                problems.add(where, f"unknown input key {key!r}")
        cap = None
        if raw.get("cap") is not None:
            cap = _decimal(raw.get("cap"), where, "cap", problems)
        zero = _decimal(raw.get("zero_denominator", "0"), where, "zero_denominator", problems)
        return Formula(
            kind=kind,
            numerator=numerator,
            denominator=denominator,
            cap=cap,
            zero_denominator=zero if zero is not None else Decimal(0),
            assumption=assumption,
            explanation=explanation,
        )
    if kind == "decrease":
        previous, current = raw.get("previous"), raw.get("current")
        for name, key in (("previous", previous), ("current", current)):
            if key not in keys:
                problems.add(where, f"{name} must name an input key, got {key!r}")
        return Formula(
            kind=kind,
            previous=previous,
            current=current,
            assumption=assumption,
            explanation=explanation,
        )
    minimum = _decimal(raw.get("min"), where, "min", problems)
    maximum = _decimal(raw.get("max"), where, "max", problems)
    if minimum is not None and maximum is not None and not Decimal(0) <= minimum < maximum:
        problems.add(where, f"index range {minimum}..{maximum} is not valid")
    return Formula(
        kind=kind, minimum=minimum, maximum=maximum, assumption=assumption, explanation=explanation
    )


def _rules(raw_q: Mapping[str, Any], ref: str, keys: set[str], problems: _Problems):
    rules: list[InputRule] = []
    for i, raw in enumerate(_list(raw_q, "rules", ref, problems)):
        where = f"{ref} rule {i + 1}"
        if not isinstance(raw, Mapping):
            problems.add(where, "must be a mapping")
            continue
        if raw.get("kind") != "lte":
            problems.add(where, f"unknown rule kind {raw.get('kind')!r}")
            continue
        left = _keys(raw.get("left"), where, "left", problems)
        right = _keys(raw.get("right"), where, "right", problems)
        for key in left + right:
            if key not in keys:
                problems.add(where, f"unknown input key {key!r}")
        message = _text(raw, "message", where, problems)
        rules.append(InputRule(kind="lte", left=left, right=right, message=message))
    return tuple(rules)


def _question(
    raw: Any, sub_ref: str, weight: Fraction, parents: tuple[str, str, str], problems: _Problems
) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.add(sub_ref, "question must be a mapping")
        return None
    ref = _ref(raw, sub_ref, f"{sub_ref} question", problems)
    text = _text(raw, "text", ref, problems)
    answer_type = raw.get("answer_type")
    if answer_type not in ANSWER_TYPES:
        problems.add(ref, f"unknown answer_type {answer_type!r}")
        answer_type = str(answer_type)
    options = _options(raw, ref, answer_type, problems)
    inputs = _inputs(raw, ref, problems)
    keys = {i.key for i in inputs}
    formula = _formula(raw, ref, keys, problems)
    rules = _rules(raw, ref, keys, problems)
    if not options and formula is None:
        problems.add(ref, "question has neither options nor a formula")
    if options and formula is not None:
        problems.add(ref, "question has both options and a formula")
    if answer_type == "numeric":
        if not inputs:
            problems.add(ref, "numeric question needs inputs")
        if formula is not None and formula.kind not in ("ratio", "decrease"):
            problems.add(ref, "numeric question needs a ratio or decrease formula")
    if answer_type == "index" and (formula is None or formula.kind != "index"):
        problems.add(ref, "index question needs an index formula")
    evidence = _list(raw, "evidence", ref, problems)
    if not all(isinstance(e, str) for e in evidence):
        problems.add(ref, "evidence must be a list of strings")
        evidence = [e for e in evidence if isinstance(e, str)]
    result_label = raw.get("result_label")
    area_ref, part_ref, component_ref = parents
    return Question(
        ref=ref,
        text=text,
        answer_type=answer_type,
        weight=weight,
        options=options,
        inputs=inputs,
        formula=formula,
        rules=rules,
        evidence=tuple(evidence),
        result_label=result_label if isinstance(result_label, str) else None,
        sub_indicator_ref=sub_ref,
        area_ref=area_ref,
        part_ref=part_ref,
        component_ref=component_ref,
    )


def _check_sum(where: str, weight: Decimal, children: list[Any], problems: _Problems) -> None:
    if not children:
        problems.add(where, "has no children")
        return
    total = sum((c.weight for c in children), Decimal(0))
    if total != weight:
        problems.add(where, f"weight {weight} but its children sum to {total}")


def _build_tree(data: Mapping[str, Any], problems: _Problems) -> tuple[Component, ...]:
    components: list[Component] = []
    for raw_c in _list(data, "components", "framework", problems):
        c_ref = _ref(raw_c, "", "component", problems)
        if not c_ref:
            continue
        parts: list[Part] = []
        for raw_p in _list(raw_c, "parts", c_ref, problems):
            p_ref = _ref(raw_p, c_ref, f"{c_ref} part", problems)
            if not p_ref:
                continue
            areas: list[Area] = []
            for raw_a in _list(raw_p, "areas", p_ref, problems):
                a_ref = _ref(raw_a, p_ref, f"{p_ref} area", problems)
                if not a_ref:
                    continue
                subs: list[SubIndicator] = []
                for raw_s in _list(raw_a, "sub_indicators", a_ref, problems):
                    s_ref = _ref(raw_s, a_ref, f"{a_ref} sub-indicator", problems)
                    if not s_ref:
                        continue
                    s_weight = _positive_weight(raw_s, s_ref, problems)
                    raw_qs = _list(raw_s, "questions", s_ref, problems)
                    if not raw_qs:
                        problems.add(s_ref, "has no questions")
                    q_weight = Fraction(s_weight) / len(raw_qs) if raw_qs else Fraction(0)
                    questions = [
                        q
                        for q in (
                            _question(rq, s_ref, q_weight, (a_ref, p_ref, c_ref), problems)
                            for rq in raw_qs
                        )
                        if q is not None
                    ]
                    subs.append(
                        SubIndicator(
                            ref=s_ref,
                            name=_text(raw_s, "name", s_ref, problems),
                            weight=s_weight,
                            questions=tuple(questions),
                        )
                    )
                a_weight = _positive_weight(raw_a, a_ref, problems)
                _check_sum(a_ref, a_weight, subs, problems)
                areas.append(
                    Area(
                        ref=a_ref,
                        name=_text(raw_a, "name", a_ref, problems),
                        weight=a_weight,
                        sub_indicators=tuple(subs),
                        part_ref=p_ref,
                    )
                )
            p_weight = _positive_weight(raw_p, p_ref, problems)
            _check_sum(p_ref, p_weight, areas, problems)
            parts.append(
                Part(
                    ref=p_ref,
                    name=_text(raw_p, "name", p_ref, problems),
                    weight=p_weight,
                    areas=tuple(areas),
                    component_ref=c_ref,
                )
            )
        c_weight = _positive_weight(raw_c, c_ref, problems)
        _check_sum(c_ref, c_weight, parts, problems)
        components.append(
            Component(
                ref=c_ref,
                name=_text(raw_c, "name", c_ref, problems),
                weight=c_weight,
                parts=tuple(parts),
            )
        )
    return tuple(components)


def _predicates(data: Mapping[str, Any], problems: _Problems) -> tuple[Predicate, ...]:
    predicates: list[Predicate] = []
    for i, raw_p in enumerate(_list(data, "predicates", "framework", problems)):
        where = f"predicate {i + 1}"
        if not isinstance(raw_p, Mapping):
            problems.add(where, "must be a mapping")
            continue
        code = _text(raw_p, "code", where, problems)
        where = f"predicate {code or i + 1}"
        checks: list[ThresholdCheck] = []
        for j, raw in enumerate(_list(raw_p, "checks", where, problems)):
            cw = f"{where} check {j + 1}"
            if not isinstance(raw, Mapping):
                problems.add(cw, "must be a mapping")
                continue
            kind = raw.get("kind")
            if kind not in CHECK_KINDS:
                problems.add(cw, f"unknown check kind {kind!r}")
                continue
            minimum = share = None
            if kind in ("total_min", "node_min"):
                minimum = _decimal(raw.get("min"), cw, "min", problems)
            if kind == "area_share_min":
                share = _decimal(raw.get("share"), cw, "share", problems)
                if share is not None and not Decimal(0) < share <= Decimal(1):
                    problems.add(cw, f"share {share} must be in (0, 1]")
            parts = raw.get("parts") or []
            predicate = raw.get("predicate")
            checks.append(
                ThresholdCheck(
                    code=_text(raw, "code", cw, problems),
                    kind=kind,
                    label=_text(raw, "label", cw, problems),
                    minimum=minimum,
                    ref=raw.get("ref"),
                    parts=tuple(parts) if isinstance(parts, list) else (),
                    share=share,
                    predicate=predicate,
                )
            )
        codes = [c.code for c in checks]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            problems.add(where, f"duplicate check code {dup!r}")
        predicates.append(
            Predicate(code=code, name=str(raw_p.get("name", code)), checks=tuple(checks))
        )
    return tuple(predicates)


def _validate_whole(fw: Framework, data: Mapping[str, Any], problems: _Problems) -> None:
    refs = [n.ref for n in fw.iter_nodes() if n.ref]
    for dup in sorted({r for r in refs if refs.count(r) > 1}):
        problems.add(dup, "duplicate ref")
    if TOTAL_REF in refs:
        problems.add(TOTAL_REF, "ref is reserved for the total")
    if fw.weight != 100:
        problems.add("framework", f"components sum to {fw.weight}, not 100")

    expected = data.get("expected") or {}
    if not isinstance(expected, Mapping):
        problems.add("expected", "must be a mapping")
        expected = {}
    for ref, raw in (expected.get("weights") or {}).items():
        want = _decimal(raw, "expected", f"weight of {ref}", problems)
        try:
            node = fw.node(ref)
        except KeyError:
            problems.add("expected", f"no node {ref!r}")
            continue
        if want is not None and node.weight != want:
            problems.add(ref, f"weight {node.weight}, expected {want}")
    count = sum(1 for _ in fw.questions())
    if "questions" in expected and expected["questions"] != count:
        problems.add("framework", f"{count} questions, expected {expected['questions']}")
    for ref, want in (expected.get("questions_by_component") or {}).items():
        try:
            have = len(fw.component(ref).questions)
        except KeyError:
            problems.add("expected", f"no component {ref!r}")
            continue
        if have != want:
            problems.add(ref, f"{have} questions, expected {want}")

    codes = [p.code for p in fw.predicates]
    for dup in sorted({c for c in codes if codes.count(c) > 1}):
        problems.add("predicates", f"duplicate predicate {dup!r}")
    for pred in fw.predicates:
        for check in pred.checks:
            cw = f"predicate {pred.code} check {check.code}"
            if check.kind == "node_min":
                try:
                    fw.node(check.ref or "")
                except KeyError:
                    problems.add(cw, f"unknown node ref {check.ref!r}")
            if check.kind == "area_share_min":
                if not check.parts:
                    problems.add(cw, "needs parts")
                for ref in check.parts:
                    try:
                        fw.part(ref)
                    except KeyError:
                        problems.add(cw, f"unknown part {ref!r}")
            if check.kind == "predicate_held" and check.predicate not in codes:
                problems.add(cw, f"unknown predicate {check.predicate!r}")


def load_framework(source: str | Path | Mapping[str, Any]) -> Framework:
    """Load a framework from a YAML file path or an already parsed mapping, and validate it.

    Raises ``FrameworkError`` listing every problem found (not only the first).
    """
    if isinstance(source, Mapping):
        data: Any = source
    else:
        try:
            with open(source, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except OSError as exc:
            raise FrameworkError([f"cannot read {source}: {exc}"]) from exc
        except yaml.YAMLError as exc:
            raise FrameworkError([f"{source} is not valid YAML: {exc}"]) from exc
    if not isinstance(data, Mapping):
        raise FrameworkError(["framework must be a mapping"])

    problems = _Problems()
    code = _text(data, "code", "framework", problems)
    title = _text(data, "title", "framework", problems)
    regulation = _text(data, "regulation", "framework", problems)
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        problems.add("framework", "version must be an integer")
        version = 1
    components = _build_tree(data, problems)
    predicates = _predicates(data, problems)
    fw = Framework(
        code=code,
        version=version,
        title=title,
        regulation=regulation,
        components=components,
        predicates=predicates,
        notes=tuple(str(n) for n in data.get("notes") or ()),
        corrections=tuple(str(n) for n in data.get("corrections") or ()),
        source=str(data.get("source", "") or ""),
    )
    _validate_whole(fw, data, problems)
    if problems.items:
        raise FrameworkError(problems.items)
    return fw
