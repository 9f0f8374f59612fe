"""Reading a page's form into the input model the API validates, declared once beside its
service.

An input model (``FormInput``) is the API's request body: its fields, types and documented
limits are the OpenAPI schema, and the API refuses JSON outside them with pydantic's 422. A
page posts only strings, and its people expect every problem listed at once in Indonesian, so
``Model.parse(form)`` reads each field by its type alone (a date that is not a date, a text
where a number goes: an Indonesian line from the field's ``FormField``) and leaves the content
(blank, too long, out of range, not a known choice) to the service, which checks every one and
lists them together. When a type is refused the service is not reached, so a model whose
service states its content rules as a function names it in ``content_problems``: the page then
lists the type problems and the content problems of the other fields at once.

Every input model is a ``TextInput``: the invisible format and control characters
(``app.domain.text``) are taken out of its texts before anything else looks at them, on both
faces (the API's validation, the page's ``parse``).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Literal, Self, Union

from pydantic import BaseModel, TypeAdapter, ValidationError, field_validator

from app.domain.numbers import NumberError, parse_integer, parse_number
from app.domain.text import clean_text, clean_value
from app.services.errors import Invalid

# The Indonesian words for a text that is not of the field's type.
_TYPE_WORDS = {
    int: "harus berupa bilangan bulat",
    Decimal: "harus berupa angka, misalnya 12.500.000,50",
    bool: "harus ya atau tidak",
}


@dataclass(frozen=True)
class FormField:
    """How a page's text becomes one field: its label, the line when the text is not of the
    field's type, and a cleaning of the text first (a page accepts '1.200' for 1200)."""

    label: str
    invalid: str | None = None
    clean: Callable[[str], str] | None = None


def thousands(text: str) -> str:
    """'1.200' as people write it on a page: the dots group thousands (every number field
    reads Indonesian numbers through ``app.domain.numbers`` anyway; kept for its callers)."""
    return text


class TextInput(BaseModel):
    """An input model whose texts (also inside lists and mappings) lose their invisible
    format and control characters (``app.domain.text.clean_text``) before validation."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean_texts(cls, value: Any) -> Any:
        return clean_value(value)


class FormInput(TextInput):
    """A write's input; ``refusal`` is the message when a page's form is refused."""

    refusal: ClassVar[str] = "Data tidak dapat disimpan."

    @classmethod
    def parse(cls, form: Mapping[str, Any], **given: Any) -> Self:
        """The model from a page's form (``given``: values the page knows, e.g. from its
        path). Typed only: the service checks the content and lists every problem."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, info in cls.model_fields.items():
            if name in given:
                values[name] = given[name]
                continue
            spec = next((m for m in info.metadata if isinstance(m, FormField)), None)
            kind = _bare(info.annotation)
            if typing.get_origin(kind) is list:
                raw: Any = [clean_text(str(v)) for v in _all(form, name)]
            else:
                got = form.get(name)
                raw = "" if got is None else clean_text(str(got)).strip()
                if spec and spec.clean:
                    raw = spec.clean(raw)
                if raw == "" and not info.is_required():
                    continue  # the field's default
            try:
                if kind in (int, Decimal) and isinstance(raw, str):
                    raw = parse_integer(raw) if kind is int else parse_number(raw)
                values[name] = _adapter(kind).validate_python(raw)
            except (ValidationError, NumberError):
                problems.append(_invalid(name, kind, spec))
        if problems:
            raise Invalid(cls.refusal, problems=[*problems, *cls.content_problems(values)])
        return cls.model_construct(**values)

    @classmethod
    def content_problems(cls, values: Mapping[str, Any]) -> list[str]:
        """The service's content problems of the fields read by type (``values``), listed
        with the type problems when some field's type is refused; none by default."""
        return []


def _all(form: Mapping[str, Any], name: str) -> list[Any]:
    if hasattr(form, "getlist"):
        return list(form.getlist(name))
    value = form.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _invalid(name: str, kind: Any, spec: FormField | None) -> str:
    if spec and spec.invalid:
        return spec.invalid
    label = spec.label if spec else name
    words = _TYPE_WORDS.get(kind if isinstance(kind, type) else type(None), "tidak valid")
    return f"Isian '{label}' {words}."


def _bare(annotation: Any) -> Any:
    """The field's type as a page reads it (whole numbers and decimals as Indonesians write them:
    '12.500.000,50', ``app.domain.numbers``): optional dropped (a blank is the default), a
    choice read as text (the service says which choices there are)."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    if typing.get_origin(annotation) is Literal or (
            isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
        return str
    return annotation


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)
