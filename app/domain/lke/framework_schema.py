"""The STRUCTURE of an LKE framework file as Pydantic models (keys, nesting, types).

Each node of the file (a component, part, area, sub-indicator, question, option, input,
formula, rule, predicate, check) is a model of its own, and :func:`check` validates a node
field by field with the model's own field types, so one bad field or node never hides the
problems of its siblings. The *semantic* rules (weights summing, refs unique, thresholds,
option values, input keys named by formulas, ...) run over the validated nodes in
:mod:`app.domain.lke.framework_file`. Every message a field's type can give is written once,
here, in the file's own terms (``where: what``, ``where`` being a ref, ``PPA3A option 2``,
``predicate WBK check 3``...). A required field defaults to ``None`` and is validated all the
same, so a missing key reads like an empty one ("missing text").
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from app.domain.lke.framework import ANSWER_TYPES, CHECK_KINDS, FORMULA_KINDS

__all__ = [
    "FORMULA_SPECS",
    "AreaSpec",
    "CheckSpec",
    "ComponentSpec",
    "ExpectedSpec",
    "FormulaSpec",
    "FrameworkSpec",
    "InputSpec",
    "MinSpec",
    "OptionSpec",
    "PartSpec",
    "PredicateSpec",
    "QuestionSpec",
    "RuleSpec",
    "ShareSpec",
    "SubIndicatorSpec",
    "check",
    "decimal_or_problem",
    "field",
]


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("framework", message.replace("{", "{{").replace("}", "}}"))


def decimal_or_problem(raw: Any, what: str) -> tuple[Decimal | None, str | None]:
    """Exact decimal from a string or int; floats are refused (they are not exact)."""
    if isinstance(raw, bool) or raw is None:
        return None, f"{what} missing or not a number"
    if isinstance(raw, float):
        return None, f"{what} {raw!r} is a float; write it as a quoted decimal string"
    if isinstance(raw, Decimal | int):
        return Decimal(raw), None
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return None, f"{what} {raw!r} is not a decimal number"
        if not value.is_finite():
            return None, f"{what} {raw!r} is not a finite number"
        return value, None
    return None, f"{what} {raw!r} is not a decimal number"


def _decimal(what: str, optional: bool = False):
    def validate(raw: Any) -> Decimal | None:
        if optional and raw is None:
            return None
        value, problem = decimal_or_problem(raw, what)
        if problem:
            raise _fail(problem)
        return value

    return Annotated[Decimal, BeforeValidator(validate)]


def _text(what: str):
    def validate(raw: Any) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise _fail(f"missing {what}")
        return raw

    return Annotated[str, BeforeValidator(validate)]


def _list(what: str):
    def validate(raw: Any) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _fail(f"{what} must be a list")
        return raw

    return Annotated[list[Any], BeforeValidator(validate)]


def _one_of(what: str, allowed: Any):
    def validate(raw: Any) -> str:
        if raw not in allowed:
            raise _fail(f"unknown {what} {raw!r}")
        return raw

    return Annotated[str, BeforeValidator(validate)]


def _keys(what: str):
    def validate(raw: Any) -> tuple[str, ...]:
        if isinstance(raw, str):
            return (raw,)
        if isinstance(raw, list) and raw and all(isinstance(k, str) for k in raw):
            return tuple(raw)
        raise _fail(f"{what} must be an input key or a non-empty list of input keys")

    return Annotated[tuple[str, ...], BeforeValidator(validate)]


def _integer(what: str):
    def validate(raw: Any) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise _fail(f"{what} must be an integer")
        return raw

    return Annotated[int, BeforeValidator(validate)]


def _strings(what: str):
    def validate(raw: Any) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise _fail(f"{what} must be a list")
        if not all(isinstance(e, str) for e in raw):
            raise _fail(f"{what} must be a list of strings")
        return tuple(raw)

    return Annotated[tuple[str, ...], BeforeValidator(validate)]


#: Free text that is kept as written when it is a string (``None`` otherwise).
Label = Annotated[str | None, BeforeValidator(lambda v: v if isinstance(v, str) else None)]
#: Free text shown as is (``str()`` of whatever is there; empty when absent).
Note = Annotated[str, BeforeValidator(lambda v: str(v or ""))]
Flag = Annotated[bool, BeforeValidator(bool)]
Texts = Annotated[tuple[str, ...], BeforeValidator(lambda v: tuple(str(n) for n in v or ()))]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class FrameworkSpec(_Node):
    code: _text("code") = None  # type: ignore[valid-type]
    title: _text("title") = None  # type: ignore[valid-type]
    regulation: _text("regulation") = None  # type: ignore[valid-type]
    version: _integer("version") = 1  # type: ignore[valid-type]
    source: Note = ""
    scoring: Any = None
    notes: Texts = ()
    corrections: Texts = ()
    #: totals the file declares about itself; checked against the built tree
    expected: Any = None
    components: _list("components") = None  # type: ignore[valid-type]
    predicates: _list("predicates") = None  # type: ignore[valid-type]


#: A mapping, empty when absent.
Table = Annotated[dict[Any, Any], BeforeValidator(lambda v: v or {})]
#: A list kept as a tuple (anything else reads as empty).
Refs = Annotated[
    tuple[Any, ...], BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else ())
]


class ExpectedSpec(_Node):
    weights: Table = None  # type: ignore[assignment]
    questions: Any = None
    questions_by_component: Table = None  # type: ignore[assignment]
    total_weight: Any = None


class NodeSpec(_Node):
    """A component, part, area or sub-indicator; ``children`` is named per level."""

    ref: _text("ref") = None  # type: ignore[valid-type]
    name: _text("name") = None  # type: ignore[valid-type]
    weight: _decimal("weight") = None  # type: ignore[valid-type]


class ComponentSpec(NodeSpec):
    parts: _list("parts") = None  # type: ignore[valid-type]


class PartSpec(NodeSpec):
    areas: _list("areas") = None  # type: ignore[valid-type]


class AreaSpec(NodeSpec):
    sub_indicators: _list("sub_indicators") = None  # type: ignore[valid-type]


class SubIndicatorSpec(NodeSpec):
    questions: _list("questions") = None  # type: ignore[valid-type]


class QuestionSpec(_Node):
    ref: _text("ref") = None  # type: ignore[valid-type]
    text: _text("text") = None  # type: ignore[valid-type]
    answer_type: _one_of("answer_type", ANSWER_TYPES) = None  # type: ignore[valid-type]
    options: _list("options") = None  # type: ignore[valid-type]
    inputs: _list("inputs") = None  # type: ignore[valid-type]
    formula: Any = None
    rules: _list("rules") = None  # type: ignore[valid-type]
    evidence: _strings("evidence") = ()  # type: ignore[valid-type]
    result_label: Label = None


class OptionSpec(_Node):
    code: _text("code") = None  # type: ignore[valid-type]
    label: _text("label") = None  # type: ignore[valid-type]
    value: _decimal("value") = None  # type: ignore[valid-type]


class InputSpec(_Node):
    key: _text("key") = None  # type: ignore[valid-type]
    label: _text("label") = None  # type: ignore[valid-type]
    kind: _one_of("input kind", ("integer", "decimal")) = "integer"  # type: ignore[valid-type]
    min: _integer("min") = 0  # type: ignore[valid-type]


class FormulaSpec(_Node):
    kind: _one_of("formula kind", FORMULA_KINDS) = None  # type: ignore[valid-type]
    assumption: Flag = False
    explanation: Note = ""


class RatioSpec(FormulaSpec):
    numerator: _keys("numerator") = None  # type: ignore[valid-type]
    denominator: _keys("denominator") = None  # type: ignore[valid-type]
    cap: _decimal("cap", optional=True) = None  # type: ignore[valid-type]
    zero_denominator: _decimal("zero_denominator") = "0"  # type: ignore[valid-type]


class DecreaseSpec(FormulaSpec):
    #: input keys, checked against the question's inputs
    previous: Any = None
    current: Any = None


class IndexSpec(FormulaSpec):
    min: _decimal("min") = None  # type: ignore[valid-type]
    max: _decimal("max") = None  # type: ignore[valid-type]


FORMULA_SPECS: dict[str, type[FormulaSpec]] = {
    "ratio": RatioSpec,
    "decrease": DecreaseSpec,
    "index": IndexSpec,
}


class RuleSpec(_Node):
    kind: _one_of("rule kind", ("lte",)) = None  # type: ignore[valid-type]
    left: _keys("left") = None  # type: ignore[valid-type]
    right: _keys("right") = None  # type: ignore[valid-type]
    message: _text("message") = None  # type: ignore[valid-type]


class PredicateSpec(_Node):
    code: _text("code") = None  # type: ignore[valid-type]
    name: Any = None
    checks: _list("checks") = None  # type: ignore[valid-type]


class CheckSpec(_Node):
    """A threshold check; ``min`` (``total_min``, ``node_min``) and ``share``
    (``area_share_min``) are read per kind."""

    code: _text("code") = None  # type: ignore[valid-type]
    kind: _one_of("check kind", CHECK_KINDS) = None  # type: ignore[valid-type]
    label: _text("label") = None  # type: ignore[valid-type]
    min: Any = None
    share: Any = None
    ref: Any = None
    parts: Refs = ()
    predicate: Any = None


class MinSpec(_Node):
    model_config = ConfigDict(extra="ignore")
    min: _decimal("min") = None  # type: ignore[valid-type]


class ShareSpec(_Node):
    model_config = ConfigDict(extra="ignore")
    share: _decimal("share") = None  # type: ignore[valid-type]


# --------------------------------------------------------------------------- validation

M = TypeVar("M", bound=BaseModel)


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])


def field(model: type[BaseModel], raw: Mapping[str, Any], name: str) -> tuple[Any, str | None]:
    """One field of a node: its value, or ``None`` and the problem (in the file's words)."""
    info = model.model_fields[name]
    try:
        return _adapter(model, name).validate_python(raw.get(name, info.default)), None
    except ValidationError as exc:
        return None, "; ".join(e["msg"] for e in exc.errors(include_url=False))


def check(
    model: type[M],
    raw: Any,
    where: str,
    problems: list[str],
    *,
    not_mapping: tuple[str, str] | None = None,
    skip: tuple[str, ...] = (),
) -> M | None:
    """Validate one node field by field, adding each problem as ``where: what``.

    Returns the node (a field that failed is ``None``), or ``None`` when ``raw`` is not a
    mapping (``not_mapping`` gives that problem's where and what). Fields in ``skip`` were
    checked by the caller and are not reported again.
    """
    if not isinstance(raw, Mapping):
        at, what = not_mapping or (where, "must be a mapping")
        problems.append(f"{at}: {what}")
        return None
    known = model.model_fields
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown and model.model_config.get("extra") == "forbid":
        problems.append(f"{where}: unknown key(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name in known:
        values[name], problem = field(model, raw, name)
        if problem and name not in skip:
            problems.append(f"{where}: {problem}")
    return model.model_construct(**values)
