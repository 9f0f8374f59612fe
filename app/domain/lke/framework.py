"""LKE framework model: the worksheet tree as frozen dataclasses (built by ``framework_file``).

Tree: Framework > Component (P, H) > Part (PP, PR, HB, HP) > Area (PPA...) > SubIndicator
(PPA1...) > Question (PPA1A...). Weights and option values are exact ``Decimal``s; a question's
own maximum (sub-indicator weight / number of questions) is an exact ``Fraction``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

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
