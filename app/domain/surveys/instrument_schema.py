"""The STRUCTURE of a survey instrument file as Pydantic models (keys, nesting, types).

Each node of the file (the document's own scalars, an item, a profile field, a grade band,
the suggestion, a ``{id, en}`` text) is validated on its own by :func:`check`, so one bad
node never hides the problems of its siblings; the *semantic* rules (unique codes, labels
covering the scale, grades tiling 25-100, ...) run on the validated nodes in
:mod:`app.domain.surveys.instruments`. Pydantic's errors are translated here, once, into the
file's own terms: ``where: what`` with ``where`` a dotted path (``items[3] P4.question.en``).
Required fields default to ``None`` and are validated anyway, so a missing key reads exactly
like an empty one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

__all__ = [
    "DocumentSpec",
    "GradeSpec",
    "ItemSpec",
    "OptionSpec",
    "ProfileFieldSpec",
    "ScaleSpec",
    "SuggestionSpec",
    "TextSpec",
    "check",
    "label_number",
]

KINDS: tuple[str, ...] = ("ikm", "spkp", "spak")


def _fail(message: str) -> PydanticCustomError:
    # braces in the message are not template fields here
    return PydanticCustomError("instrument", message.replace("{", "{{").replace("}", "}}"))


def _non_empty(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("must be a non-empty string")
    return value.strip()


def _code(value: Any) -> str:
    text = _non_empty(value)
    if any(ch.isspace() for ch in text):
        raise _fail(f"code {text!r} must not contain spaces")
    return text


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(f"must be an integer, got {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _fail(f"must be true or false, got {value!r}")
    return value


def _kind(value: Any) -> str:
    if value not in KINDS:
        raise _fail(f"must be one of {', '.join(KINDS)}, got {value!r}")
    return value


def _two_decimals(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(f'must be a number like "88.31", got {value!r}')
    try:
        # str() of a YAML float gives back the digits as written (88.31 -> "88.31").
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise _fail(f'must be a number like "88.31", got {value!r}') from None
    if not d.is_finite() or d != d.quantize(Decimal("0.01")):
        raise _fail(f"must have at most 2 decimals, got {value!r}")
    return d.quantize(Decimal("0.01"))


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _fail("must be a non-empty list")
    return value


NonEmpty = Annotated[str, BeforeValidator(_non_empty)]
Code = Annotated[str, BeforeValidator(_code)]
Integer = Annotated[int, BeforeValidator(_integer)]
Flag = Annotated[bool, BeforeValidator(_boolean)]
Kind = Annotated[str, BeforeValidator(_kind)]
TwoDecimals = Annotated[Decimal, BeforeValidator(_two_decimals)]
#: A list checked here only for being a non-empty list; its entries are nodes of their own.
NodeList = Annotated[list[Any], BeforeValidator(_list)]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class TextSpec(_Node):
    id: NonEmpty = None  # type: ignore[assignment]
    en: NonEmpty = None  # type: ignore[assignment]


class DocumentSpec(_Node):
    """The document's own fields; the scale, ``instructions``, ``labels``, ``items``,
    ``profile``, ``suggestion`` and ``grades`` are nodes checked on their own (so a bad
    ``kind`` does not hide the items' problems): here they are only allowed keys."""

    code: Code = None  # type: ignore[assignment]
    kind: Kind = None  # type: ignore[assignment]
    title: TextSpec = None  # type: ignore[assignment]
    source: NonEmpty = "-"
    instructions: Any = None
    scale_min: Any = None
    scale_max: Any = None
    labels: Any = None
    items: Any = None
    profile: Any = None
    suggestion: Any = None
    grades: Any = None


class ScaleSpec(_Node):
    """The answer scale, read from the document's ``scale_min`` and ``scale_max``."""

    model_config = ConfigDict(extra="ignore")

    scale_min: Integer = None  # type: ignore[assignment]
    scale_max: Integer = None  # type: ignore[assignment]


class ItemSpec(_Node):
    code: Code = None  # type: ignore[assignment]
    name: TextSpec = None  # type: ignore[assignment]
    question: TextSpec = None  # type: ignore[assignment]
    #: scale value -> {id, en}; each entry is checked as its own node
    labels: Any = None


class OptionSpec(_Node):
    code: Code = None  # type: ignore[assignment]
    id: NonEmpty = None  # type: ignore[assignment]
    en: NonEmpty = None  # type: ignore[assignment]


class ProfileFieldSpec(_Node):
    code: Code = None  # type: ignore[assignment]
    label: TextSpec = None  # type: ignore[assignment]
    required: Flag = False
    #: each option is checked as its own node
    options: NodeList = None  # type: ignore[assignment]


class SuggestionSpec(_Node):
    code: Code = "saran"
    label: TextSpec = None  # type: ignore[assignment]
    required: Flag = False
    max_length: Integer = 2000


class GradeSpec(_Node):
    letter: Code = None  # type: ignore[assignment]
    lower: TwoDecimals = None  # type: ignore[assignment]
    upper: TwoDecimals = None  # type: ignore[assignment]
    id: NonEmpty = None  # type: ignore[assignment]
    en: NonEmpty = None  # type: ignore[assignment]


def label_number(key: Any) -> int | None:
    """The scale value a label key stands for (``1`` or ``"1"``), ``None`` if it is none."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and key.strip().lstrip("-").isdigit():
        return int(key)
    return None


# --------------------------------------------------------------------------- errors


def _path(where: str, loc: tuple[Any, ...]) -> str:
    """``where`` + a Pydantic ``loc`` as a dotted path; the document itself has no prefix."""
    if not loc:
        return where
    out = "" if where == "document" else where
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problems(exc: ValidationError, where: str) -> list[str]:
    """Translate a ``ValidationError`` into ``where: what`` lines, in the error order; the
    unknown keys of one mapping are listed together, where the first of them appeared."""
    out: list[str] = []
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for error in exc.errors(include_url=False):
        loc, kind = tuple(error["loc"]), error["type"]
        if kind == "extra_forbidden":
            parent = loc[:-1]
            if parent not in unknown:
                unknown[parent] = []
                out.append(parent)  # type: ignore[arg-type]  # placeholder, filled below
            unknown[parent].append(str(loc[-1]))
            continue
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            message = f"must be a mapping, got {type(error['input']).__name__}"
        else:
            message = error["msg"]
        out.append(f"{_path(where, loc)}: {message}")
    return [
        f"{_path(where, p)}: unknown key(s): {', '.join(sorted(unknown[p]))}"
        if isinstance(p, tuple)
        else p
        for p in out
    ]


M = TypeVar("M", bound=BaseModel)


def check(model: type[M], raw: Any, where: str, problems: list[str]) -> M | None:
    """Validate one node; on failure add its problems (in the file's terms) and return None."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_problems(exc, where))
        return None
