"""Reading one programme input field the way a person wrote it: a form's strings or an API
client's values, into the value stored, with an Indonesian line for what is refused.

The fields' kinds and limits come from the input models (``inputs``): the annotation gives the
kind, ``Spec`` (beside the type) the label and limits the schema does not state.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any, Union

from annotated_types import MaxLen

from app.domain.numbers import NumberError, parse_integer, parse_number
from app.domain.text import clean_value

if TYPE_CHECKING:
    from app.services.programme.inputs import ProgrammeInput

# Integers are stored in 32-bit columns; ids and counts beyond are refused, not sent.
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Spec:
    """How a person reads one field: its Indonesian label, and limits the API schema does not
    state (a maximum length, integer bounds, the value stored when the field is absent)."""

    label: str
    max_length: int | None = None
    low: int | None = None
    high: int | None = None
    default: Any = None
    labels: Mapping[str, str] | None = None  # a choice's code -> what a person reads


@dataclass(frozen=True)
class _Field:
    kind: str  # str, date, int, decimal, bool, enum, list (of short strings), ids (of ints)
    label: str
    required: bool
    max_length: int | None
    choices: tuple[str, ...]
    labels: Mapping[str, str]
    low: int | None
    high: int | None
    default: Any


@dataclass
class _Read:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@cache
def fields_of(model: type[ProgrammeInput]) -> dict[str, _Field]:
    """The reading of each field, from the create model's declaration."""
    source = model.creates or model
    out = {}
    for name, info in source.model_fields.items():
        spec = next((m for m in info.metadata if isinstance(m, Spec)), Spec(name))
        max_length = spec.max_length or next(
            (m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        choices = tuple((info.json_schema_extra or {}).get("enum", ()))
        out[name] = _Field(
            kind=_kind(info.annotation, bool(choices)), label=spec.label,
            required=info.is_required(), max_length=max_length, choices=choices,
            labels=dict(spec.labels or {}),
            low=spec.low, high=spec.high, default=spec.default,
        )
    return out


def _kind(annotation: Any, has_choices: bool) -> str:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is list:
        return "ids" if typing.get_args(annotation) == (int,) else "list"
    if annotation is str:
        return "enum" if has_choices else "str"
    return {date: "date", int: "int", Decimal: "decimal", bool: "bool"}[annotation]


def choice_words(choices: tuple[str, ...], labels: Mapping[str, str]) -> str:
    """The choices as a person reads them on the page (their labels, never the stored codes
    such as 'manajemen_perubahan'); a code without a label is shown as it is."""
    return ", ".join(labels.get(c, c) for c in choices)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_fields(model: type[ProgrammeInput], data: Mapping[str, Any]) -> _Read:
    """Read ``data`` against the model's fields. Unknown keys are refused. On an update only
    the given keys are read and required fields may be absent, but not emptied."""
    specs = fields_of(model)
    out = _Read()
    for key in data:
        if key not in specs:
            out.problems.append(f"Kolom '{key}' tidak dikenal.")
    for name, spec in specs.items():
        if name not in data:
            if model.partial:
                continue
            if spec.required:
                out.problems.append(f"{spec.label} wajib diisi.")
                continue
            out.values[name] = _default(spec)
            continue
        try:
            out.values[name] = _one(spec, clean_value(data[name]))
        except ValueError as exc:
            out.problems.append(str(exc))
    return out


def _default(spec: _Field) -> Any:
    if spec.kind in ("list", "ids"):
        return list(spec.default or [])
    if spec.kind == "str" and spec.default is None:
        return ""
    if spec.kind == "bool" and spec.default is None:
        return False
    return spec.default


def _one(spec: _Field, value: Any) -> Any:
    kind, label = spec.kind, spec.label
    if kind in ("list", "ids"):
        return _items(spec, value)
    if _blank(value):
        if spec.required:
            raise ValueError(f"{label} wajib diisi.")
        if spec.default is not None:
            return spec.default  # emptied on an update: back to the default, as on creation
        return _default(spec) if kind in ("str", "bool") else None
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{label} harus berupa teks.")
        value = value.strip()
        if spec.max_length and len(value) > spec.max_length:
            raise ValueError(f"{label} paling panjang {spec.max_length} karakter.")
        return value
    if kind == "enum":
        text = str(value).strip().lower()
        if text not in spec.choices:
            raise ValueError(f"{label} '{value}' tidak dikenal; pilih salah satu: "
                             f"{choice_words(spec.choices, spec.labels)}.")
        return text
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"{label} harus berupa tanggal (TTTT-BB-HH).") from None
    if kind == "int":
        number = _int(value, label)
        if spec.low is not None and number < spec.low:
            raise ValueError(f"{label} tidak boleh kurang dari {spec.low}.")
        if spec.high is not None and number > spec.high:
            raise ValueError(f"{label} tidak boleh lebih dari {spec.high}.")
        return number
    if kind == "decimal":
        return _decimal(value, label)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "on", "ya", "yes"):
            return True
        if text in ("0", "false", "off", "tidak", "no"):
            return False
        raise ValueError(f"{label} harus ya atau tidak.")
    raise AssertionError(kind)


def _items(spec: _Field, value: Any) -> list:
    label = spec.label
    if value is None or value == "":
        items: list[Any] = []
    elif isinstance(value, str):
        items = [v.strip() for v in value.replace("\r", "").replace(";", "\n").split("\n")]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"{label} harus berupa daftar.")
    if spec.kind == "list":
        cleaned: list[str] = []
        for item in items:
            if not isinstance(item, str):
                raise ValueError(f"{label} harus berupa daftar teks.")
            item = item.strip()
            if item and item not in cleaned:
                if len(item) > (spec.max_length or 200):
                    raise ValueError(f"Isian {label} terlalu panjang: '{item[:40]}...'.")
                cleaned.append(item)
        return cleaned
    ids: list[int] = []
    for item in items:
        if item in ("", None):
            continue
        number = _int(item, label)
        if number not in ids:
            ids.append(number)
    return ids


def _decimal(value: Any, label: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        # floats are inexact; the API sends numbers as strings or integers
        value = str(value)
    try:
        # typed on a page: Indonesian ('12.500.000,50'); a value from the API as it is
        number = parse_number(value) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, NumberError):
        raise ValueError(f"{label} harus berupa angka, misalnya 12.500.000,50.") from None
    if not number.is_finite():
        raise ValueError(f"{label} harus berupa angka.")
    if abs(number) >= Decimal(10) ** 14:
        raise ValueError(f"{label} terlalu besar.")
    return number


def _int(value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{label} harus berupa bilangan bulat.")
    if not isinstance(value, int):
        try:
            value = parse_integer(str(value))
        except NumberError:
            raise ValueError(f"{label} harus berupa bilangan bulat.") from None
    if not -MAX_INT <= value <= MAX_INT:
        raise ValueError(f"{label} di luar rentang yang diizinkan.")
    return value


