"""Build a ``Framework`` from the parsed content of a framework file, checking it on the way.

The file's structure (keys, nesting, types) is described by the Pydantic models of
``framework_schema`` and checked there node by node; this module walks the tree in the
file's own order, validates each node with its model and runs the *semantic* rules (weights
summing, refs unique and under their parent's, option values and codes, input keys named by
formulas and rules, thresholds) on the nodes that validated. Every problem is collected (not
only the first) and reported together in a ``FrameworkError``, each as "where: what" in the
file's own terms (refs, option and check numbers). Reading the file itself (YAML) is the
services' job (``app.services.lke.frameworks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.domain.lke.framework import (
    ANSWER_TYPES,
    INPUT_KEY,
    TOTAL_REF,
    Area,
    Component,
    Formula,
    Framework,
    FrameworkError,
    InputRule,
    NumericInput,
    Option,
    Part,
    Predicate,
    Question,
    SubIndicator,
    ThresholdCheck,
)
from app.domain.lke.framework_schema import (
    FORMULA_SPECS,
    AreaSpec,
    CheckSpec,
    ComponentSpec,
    ExpectedSpec,
    FormulaSpec,
    FrameworkSpec,
    InputSpec,
    MinSpec,
    OptionSpec,
    PartSpec,
    PredicateSpec,
    QuestionSpec,
    RuleSpec,
    ShareSpec,
    SubIndicatorSpec,
    check,
    decimal_or_problem,
    field,
)

__all__ = ["load_framework"]


class _Problems(list[str]):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _ref(model: type, raw: Any, parent_ref: str, where: str, problems: _Problems) -> str:
    """The node's ref (problems at ``where``), which must start with its parent's ref."""
    ref = field(model, raw, "ref")[0] if isinstance(raw, Mapping) else None
    if ref is None:
        problems.add(where, "missing ref")
        return ""
    if parent_ref and not ref.startswith(parent_ref):
        problems.add(ref, f"ref should start with its parent's ref {parent_ref!r}")
    return ref


def _options(spec: QuestionSpec, ref: str, problems: _Problems) -> tuple[Option, ...]:
    options: list[Option] = []
    for i, raw in enumerate(spec.options or ()):
        where = f"{ref} option {i + 1}"
        o = check(OptionSpec, raw, where, problems)
        if o is None or o.value is None:
            continue
        if not Decimal(0) <= o.value <= Decimal(1):
            problems.add(where, f"value {o.value} must be between 0 and 1")
        options.append(Option(code=o.code or "", label=o.label or "", value=o.value))
    expected = ANSWER_TYPES.get(spec.answer_type or "")
    codes = tuple(o.code for o in options)
    if expected is not None:
        if codes != expected:
            problems.add(
                ref,
                f"{spec.answer_type} question needs options {list(expected)}, has {list(codes)}",
            )
        if options and max(o.value for o in options) != 1:
            problems.add(ref, "best option must have value 1")
    return tuple(options)


def _inputs(spec: QuestionSpec, ref: str, problems: _Problems) -> tuple[NumericInput, ...]:
    inputs: list[NumericInput] = []
    seen: set[str] = set()
    for i, raw in enumerate(spec.inputs or ()):
        where = f"{ref} input {i + 1}"
        n = check(InputSpec, raw, where, problems)
        if n is None:
            continue
        key = n.key or ""
        if key and not INPUT_KEY.match(key):
            problems.add(where, f"key {key!r} must be snake_case")
        if key in seen:
            problems.add(where, f"duplicate input key {key!r}")
        seen.add(key)
        kind = n.kind if n.kind is not None else raw.get("kind")
        minimum = n.min if n.min is not None else 0
        inputs.append(NumericInput(key=key, label=n.label or "", kind=kind, minimum=minimum))
    return tuple(inputs)


def _formula(raw: Any, ref: str, keys: set[str], problems: _Problems) -> Formula | None:
    if raw is None:
        return None
    where = f"{ref} formula"
    if not isinstance(raw, Mapping):
        problems.add(ref, "formula must be a mapping")
        return None
    kind, problem = field(FormulaSpec, raw, "kind")
    if problem:
        problems.add(where, problem)
        return None
    f = check(FORMULA_SPECS[kind], raw, where, problems, skip=("kind",))
    if f.assumption and not f.explanation.strip():
        problems.add(where, "an assumed formula needs an explanation")
    common = {"kind": kind, "assumption": f.assumption, "explanation": f.explanation}
    if kind == "ratio":
        for key in (f.numerator or ()) + (f.denominator or ()):
            if key not in keys:
                problems.add(where, f"unknown input key {key!r}")
        return Formula(
            numerator=f.numerator or (),
            denominator=f.denominator or (),
            cap=f.cap,
            zero_denominator=f.zero_denominator if f.zero_denominator is not None else Decimal(0),
            **common,
        )
    if kind == "decrease":
        for name, key in (("previous", f.previous), ("current", f.current)):
            if key not in keys:
                problems.add(where, f"{name} must name an input key, got {key!r}")
        return Formula(previous=f.previous, current=f.current, **common)
    if f.min is not None and f.max is not None and not Decimal(0) <= f.min < f.max:
        problems.add(where, f"index range {f.min}..{f.max} is not valid")
    return Formula(minimum=f.min, maximum=f.max, **common)


def _rules(spec: QuestionSpec, ref: str, keys: set[str], problems: _Problems):
    rules: list[InputRule] = []
    for i, raw in enumerate(spec.rules or ()):
        where = f"{ref} rule {i + 1}"
        if not isinstance(raw, Mapping):
            problems.add(where, "must be a mapping")
            continue
        kind, problem = field(RuleSpec, raw, "kind")
        if problem:
            problems.add(where, problem)
            continue
        r = check(RuleSpec, raw, where, problems, skip=("kind",))
        for key in (r.left or ()) + (r.right or ()):
            if key not in keys:
                problems.add(where, f"unknown input key {key!r}")
        rules.append(
            InputRule(kind=kind, left=r.left or (), right=r.right or (), message=r.message or "")
        )
    return tuple(rules)


def _question(
    raw: Any, sub_ref: str, weight: Fraction, parents: tuple[str, str, str], problems: _Problems
) -> Question | None:
    if not isinstance(raw, Mapping):
        problems.add(sub_ref, "question must be a mapping")
        return None
    ref = _ref(QuestionSpec, raw, sub_ref, f"{sub_ref} question", problems)
    spec = check(QuestionSpec, raw, ref, problems, skip=("ref",))
    answer_type = spec.answer_type if spec.answer_type is not None else str(raw.get("answer_type"))
    options = _options(spec, ref, problems)
    inputs = _inputs(spec, ref, problems)
    keys = {i.key for i in inputs}
    formula = _formula(spec.formula, ref, keys, problems)
    rules = _rules(spec, ref, keys, problems)
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
    area_ref, part_ref, component_ref = parents
    return Question(
        ref=ref,
        text=spec.text or "",
        answer_type=answer_type,
        weight=weight,
        options=options,
        inputs=inputs,
        formula=formula,
        rules=rules,
        evidence=spec.evidence or (),
        result_label=spec.result_label,
        sub_indicator_ref=sub_ref,
        area_ref=area_ref,
        part_ref=part_ref,
        component_ref=component_ref,
    )


def _node(model: type, raw: Any, parent_ref: str, where: str, problems: _Problems):
    """A component, part, area or sub-indicator node (``None`` without a ref) and its weight."""
    ref = _ref(model, raw, parent_ref, where, problems)
    if not ref:
        return None, Decimal(0)
    spec = check(model, raw, ref, problems, skip=("ref",))
    weight = spec.weight if spec.weight is not None else Decimal(0)
    if spec.weight is not None and weight <= 0:
        problems.add(ref, f"weight {weight} must be positive")
    return spec, weight


def _check_sum(where: str, weight: Decimal, children: list[Any], problems: _Problems) -> None:
    if not children:
        problems.add(where, "has no children")
        return
    total = sum((c.weight for c in children), Decimal(0))
    if total != weight:
        problems.add(where, f"weight {weight} but its children sum to {total}")


def _sub_indicator(raw: Any, parents: tuple[str, str, str], problems: _Problems):
    a_ref = parents[0]
    s, s_weight = _node(SubIndicatorSpec, raw, a_ref, f"{a_ref} sub-indicator", problems)
    if s is None:
        return None
    raw_qs = s.questions or []
    if not raw_qs:
        problems.add(s.ref, "has no questions")
    q_weight = Fraction(s_weight) / len(raw_qs) if raw_qs else Fraction(0)
    questions = [_question(rq, s.ref, q_weight, parents, problems) for rq in raw_qs]
    return SubIndicator(
        ref=s.ref,
        name=s.name or "",
        weight=s_weight,
        questions=tuple(q for q in questions if q is not None),
    )


def _build_tree(components: list[Any], problems: _Problems) -> tuple[Component, ...]:
    built: list[Component] = []
    for raw_c in components:
        c, c_weight = _node(ComponentSpec, raw_c, "", "component", problems)
        if c is None:
            continue
        parts: list[Part] = []
        for raw_p in c.parts or ():
            p, p_weight = _node(PartSpec, raw_p, c.ref, f"{c.ref} part", problems)
            if p is None:
                continue
            areas: list[Area] = []
            for raw_a in p.areas or ():
                a, a_weight = _node(AreaSpec, raw_a, p.ref, f"{p.ref} area", problems)
                if a is None:
                    continue
                subs = [
                    _sub_indicator(raw_s, (a.ref, p.ref, c.ref), problems)
                    for raw_s in a.sub_indicators or ()
                ]
                subs = [s for s in subs if s is not None]
                _check_sum(a.ref, a_weight, subs, problems)
                areas.append(
                    Area(
                        ref=a.ref,
                        name=a.name or "",
                        weight=a_weight,
                        sub_indicators=tuple(subs),
                        part_ref=p.ref,
                    )
                )
            _check_sum(p.ref, p_weight, areas, problems)
            parts.append(
                Part(
                    ref=p.ref,
                    name=p.name or "",
                    weight=p_weight,
                    areas=tuple(areas),
                    component_ref=c.ref,
                )
            )
        _check_sum(c.ref, c_weight, parts, problems)
        built.append(Component(ref=c.ref, name=c.name or "", weight=c_weight, parts=tuple(parts)))
    return tuple(built)


def _check(raw: Any, where: str, problems: _Problems) -> ThresholdCheck | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "must be a mapping")
        return None
    kind, problem = field(CheckSpec, raw, "kind")
    if problem:
        problems.add(where, problem)
        return None
    c = check(CheckSpec, raw, where, problems, skip=("kind",))
    minimum = share = None
    if kind in ("total_min", "node_min"):
        minimum = check(MinSpec, raw, where, problems).min
    if kind == "area_share_min":
        share = check(ShareSpec, raw, where, problems).share
        if share is not None and not Decimal(0) < share <= Decimal(1):
            problems.add(where, f"share {share} must be in (0, 1]")
    return ThresholdCheck(
        code=c.code or "",
        kind=kind,
        label=c.label or "",
        minimum=minimum,
        ref=c.ref,
        parts=c.parts,
        share=share,
        predicate=c.predicate,
    )


def _predicates(raw_predicates: list[Any], problems: _Problems) -> tuple[Predicate, ...]:
    predicates: list[Predicate] = []
    for i, raw_p in enumerate(raw_predicates):
        p = check(PredicateSpec, raw_p, f"predicate {i + 1}", problems)
        if p is None:
            continue
        code = p.code or ""
        where = f"predicate {code or i + 1}"
        raw_checks = enumerate(p.checks or ())
        checks = [_check(raw, f"{where} check {j + 1}", problems) for j, raw in raw_checks]
        checks = [c for c in checks if c is not None]
        codes = [c.code for c in checks]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            problems.add(where, f"duplicate check code {dup!r}")
        name = p.name if p.name is not None else code
        predicates.append(Predicate(code=code, name=str(name), checks=tuple(checks)))
    return tuple(predicates)


def _validate_whole(fw: Framework, raw_expected: Any, problems: _Problems) -> None:
    refs = [n.ref for n in fw.iter_nodes() if n.ref]
    for dup in sorted({r for r in refs if refs.count(r) > 1}):
        problems.add(dup, "duplicate ref")
    if TOTAL_REF in refs:
        problems.add(TOTAL_REF, "ref is reserved for the total")
    if fw.weight != 100:
        problems.add("framework", f"components sum to {fw.weight}, not 100")

    expected = check(ExpectedSpec, raw_expected or {}, "expected", problems)
    if expected is None:
        return
    for ref, raw in (expected.weights or {}).items():
        want, problem = decimal_or_problem(raw, f"weight of {ref}")
        if problem:
            problems.add("expected", problem)
        try:
            node = fw.node(ref)
        except KeyError:
            problems.add("expected", f"no node {ref!r}")
            continue
        if want is not None and node.weight != want:
            problems.add(ref, f"weight {node.weight}, expected {want}")
    count = sum(1 for _ in fw.questions())
    if expected.questions is not None and expected.questions != count:
        problems.add("framework", f"{count} questions, expected {expected.questions}")
    for ref, want in (expected.questions_by_component or {}).items():
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
        for c in pred.checks:
            cw = f"predicate {pred.code} check {c.code}"
            if c.kind == "node_min":
                try:
                    fw.node(c.ref or "")
                except KeyError:
                    problems.add(cw, f"unknown node ref {c.ref!r}")
            if c.kind == "area_share_min":
                if not c.parts:
                    problems.add(cw, "needs parts")
                for ref in c.parts:
                    try:
                        fw.part(ref)
                    except KeyError:
                        problems.add(cw, f"unknown part {ref!r}")
            if c.kind == "predicate_held" and c.predicate not in codes:
                problems.add(cw, f"unknown predicate {c.predicate!r}")


def load_framework(data: Mapping[str, Any]) -> Framework:
    """Build and validate a framework from its parsed content (a mapping).

    Raises ``FrameworkError`` listing every problem found (not only the first).
    """
    problems = _Problems()
    spec = check(
        FrameworkSpec, data, "framework", problems, not_mapping=("framework", "must be a mapping")
    )
    if spec is None:
        raise FrameworkError(["framework must be a mapping"])
    fw = Framework(
        code=spec.code or "",
        version=spec.version if spec.version is not None else 1,
        title=spec.title or "",
        regulation=spec.regulation or "",
        components=_build_tree(spec.components or [], problems),
        predicates=_predicates(spec.predicates or [], problems),
        notes=spec.notes or (),
        corrections=spec.corrections or (),
        source=spec.source or "",
    )
    _validate_whole(fw, spec.expected, problems)
    if problems:
        raise FrameworkError(list(problems))
    return fw
