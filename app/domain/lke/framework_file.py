"""Build a ``Framework`` from the parsed content of a framework file, checking it on the way.

Every problem is collected (not only the first) and reported together in a ``FrameworkError``,
each as "where: what" in the file's own terms (refs, option and check numbers). Reading the
file itself (YAML) is the services' job (``app.services.lke.frameworks``). One module of a
little over 500 lines: the checks read top-down in the order of the file's own structure.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from app.domain.lke.framework import (
    ANSWER_TYPES,
    CHECK_KINDS,
    FORMULA_KINDS,
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

__all__ = ["load_framework"]


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


def load_framework(data: Mapping[str, Any]) -> Framework:
    """Build and validate a framework from its parsed content (a mapping).

    Raises ``FrameworkError`` listing every problem found (not only the first).
    """
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
