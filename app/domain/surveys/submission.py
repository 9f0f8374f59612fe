"""The rules a public survey submission must satisfy (pure: no database, no I/O).

The service layer gathers what the rules need (the campaign's instruments and the services and
source tags a respondent may name, :class:`Choices`) and calls :func:`check_submission`; it gets
either a normalised :class:`CheckedSubmission` or :class:`SubmissionProblems` listing every
problem by form field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.surveys.instruments import Instrument
from app.domain.text import clean_text

#: A code a person types (service codes, source tags): letters, digits, ``._-``, at most 40.
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")

#: The suggestion's length limit when no instrument states one.
DEFAULT_SUGGESTION_LIMIT = 2000


@dataclass(frozen=True)
class Choices:
    """What a respondent of a campaign may pick: the unit's active services, its source tags."""

    service_ids: frozenset[int]
    source_tags: frozenset[str]


@dataclass
class CheckedSubmission:
    """A submission that passed every check, normalised for insertion."""

    answers: list[tuple[str, str, int]]
    service_id: int | None
    source_tag: str | None
    profile: dict[str, str] | None
    suggestion: str | None
    fields: dict[str, str] = field(default_factory=dict)


class Problems(dict[str, str]):
    """Field name -> message, and beside it ``codes``: field name -> a stable reason
    (``missing``, ``not_integer``, ``out_of_range``, ``unknown``...) for the API."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, str] = {}

    def add(self, name: str, code: str, message: str) -> None:
        self[name] = message
        self.codes[name] = code


class SubmissionProblems(Exception):
    """A submission with problems; ``fields`` maps a form field name to its message, and
    ``codes`` the same names to the reason (see :class:`Problems`).

    Field names: ``"<instrument code>.<item code>"`` (e.g. ``"ikm-2017.U3"``),
    ``"profile.<field>"``, ``"service"``, ``"source"``, ``"suggestion"``, ``"answers"``.
    """

    def __init__(self, message: str, fields: dict[str, str],
                 codes: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields
        self.codes = dict(codes if codes is not None else getattr(fields, "codes", {}))


def is_code(value: Any) -> bool:
    """True for a well-formed code (see :data:`CODE_RE`)."""
    return isinstance(value, str) and CODE_RE.match(value) is not None


def _check_answers(
    instruments: Sequence[Instrument], answers: Mapping[Any, Any], fields: Problems
) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    known: set[tuple[str, str]] = set()
    for inst in instruments:
        low, high = inst.scale_min, inst.scale_max
        for item in inst.items:
            key = (inst.code, item.code)
            known.add(key)
            value = answers.get(key)
            if value is None or value == "":
                fields.add(f"{inst.code}.{item.code}", "missing",
                           f"{item.code} ({item.name.id}) wajib dijawab.")
            elif isinstance(value, bool) or not isinstance(value, int):
                fields.add(f"{inst.code}.{item.code}", "not_integer",
                           f"{item.code}: jawaban harus berupa angka bulat.")
            elif not low <= value <= high:
                fields.add(f"{inst.code}.{item.code}", "out_of_range",
                           f"{item.code}: jawaban harus antara {low} dan {high}.")
            else:
                rows.append((inst.code, item.code, value))
    # Every item answered and no more keys than items: nothing unknown (the usual case).
    complete = len(rows) == len(known) == len(answers)
    unknown = [] if complete else [k for k in answers if k not in known]
    if unknown:
        shown = ", ".join(
            ".".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in unknown[:5]
        )
        fields.add("answers", "unknown_item", f"Butir tidak dikenal pada survei ini: {shown}.")
    return rows


def _check_profile(
    instruments: Sequence[Instrument], profile: Mapping[str, Any] | None,
    fields: Problems,
) -> dict[str, str]:
    clean_profile: dict[str, str] = {}
    profile_fields = {}
    for inst in instruments:
        for pf in inst.profile:
            profile_fields.setdefault(pf.code, pf)
    for code, value in dict(profile or {}).items():
        pf = profile_fields.get(code)
        if pf is None:
            fields.add(f"profile.{code}", "unknown_field",
                       f"Data responden '{code}' tidak dikenal.")
        elif value in (None, ""):
            continue
        elif value not in pf.option_codes:
            fields.add(f"profile.{code}", "unknown_option",
                       f"Pilihan untuk {pf.label.id} tidak dikenal.")
        else:
            clean_profile[code] = value
    for code, pf in profile_fields.items():
        if pf.required and code not in clean_profile and f"profile.{code}" not in fields:
            fields.add(f"profile.{code}", "missing", f"{pf.label.id} wajib diisi.")
    return clean_profile


def _check_suggestion(
    instruments: Sequence[Instrument], suggestion: Any, fields: Problems
) -> str | None:
    text = None
    if suggestion is not None:
        if not isinstance(suggestion, str):
            fields.add("suggestion", "not_text", "Saran harus berupa teks.")
        else:
            text = clean_text(suggestion).strip().replace("\x00", "") or None
            limits = [i.suggestion.max_length for i in instruments if i.suggestion]
            limit = min(limits) if limits else DEFAULT_SUGGESTION_LIMIT
            if text and len(text) > limit:
                fields.add("suggestion", "too_long", f"Saran paling banyak {limit} karakter.")
    required_suggestion = any(i.suggestion and i.suggestion.required for i in instruments)
    if required_suggestion and not text and "suggestion" not in fields:
        fields.add("suggestion", "missing", "Saran wajib diisi.")
    return text


def _check_service_and_source(
    service_id: Any, source: Any, choices: Choices, fields: Problems
) -> None:
    if service_id is not None:
        if isinstance(service_id, bool) or not isinstance(service_id, int):
            fields.add("service", "unknown", "Jenis layanan tidak dikenal.")
        elif service_id not in choices.service_ids:
            fields.add("service", "unknown", "Jenis layanan tidak dikenal di unit ini.")
    if source is not None:
        if not is_code(source):
            fields.add("source", "unknown", "Sumber tidak dikenal.")
        elif source not in choices.source_tags:
            fields.add("source", "unknown", "Sumber tidak dikenal pada survei ini.")


def check_submission(
    instruments: Sequence[Instrument], answers: Any, *, choices: Choices,
    service_id: Any = None, source: Any = None, profile: Mapping[str, Any] | None = None,
    suggestion: Any = None,
) -> CheckedSubmission:
    """Validate a submission against a campaign's instruments; SubmissionProblems lists all.

    ``answers`` maps ``(instrument code, item code)`` to the value. Every item of every
    instrument is required, values must be integers on the item's scale (bools and strings
    refused); unknown items, profile fields or options are refused; a service or source tag
    must be among ``choices``.
    """
    if not isinstance(answers, Mapping):
        raise SubmissionProblems("Jawaban tidak dapat dibaca.", {"answers": "Format salah."},
                                 {"answers": "invalid"})
    fields = Problems()
    rows = _check_answers(instruments, answers, fields)
    clean_profile = _check_profile(instruments, profile, fields)
    text = _check_suggestion(instruments, suggestion, fields)
    _check_service_and_source(service_id, source, choices, fields)
    if fields:
        raise SubmissionProblems(
            "Jawaban belum lengkap atau tidak sah; tidak ada yang disimpan.", fields
        )
    return CheckedSubmission(
        answers=rows, service_id=service_id, source_tag=source,
        profile=clean_profile or None, suggestion=text,
    )
