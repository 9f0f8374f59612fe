"""Input fields shared by the API and the pages: each field and its limits declared once.

``SubmitFields`` and ``DecisionFields``: the API's request models extend them (refusing unknown
keys, with examples); the pages take them as FastAPI form models (a form also carries its CSRF
token, so unknown keys pass).

``AssessmentIn``, ``LinkIn`` and ``EvidenceLinkIn``: the API's request bodies as they are; the
pages read their forms into them with ``Model.parse(form)`` (``app.services.form_input``):
typed only, the service checks the content and lists every problem in Indonesian.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field

from app.models.units import Predicate
from app.services.form_input import FormField, FormInput, TextInput
from app.services.lke import assessments
from app.services.lke import evidence as lke_evidence
from app.services.lke.submission import MAX_NOTE


class SubmitFields(TextInput):
    """Submitting an assessment for review."""

    note: str | None = Field(None, max_length=MAX_NOTE)


class DecisionFields(TextInput):
    """A reviewer's decision on a submitted assessment."""

    decision: str = Field(pattern="^(accept|return)$")
    note: str | None = Field(None, max_length=MAX_NOTE)


def _unspecific(text: str) -> str:
    """A page's select may say "none" for no particular expected item."""
    return "" if text == "none" else text


# The request bodies below carry no docstring: it would become their OpenAPI description.

# Starting a unit's assessment for a year.
class AssessmentIn(FormInput):
    refusal: ClassVar[str] = "Penilaian LKE tidak dapat dibuat."
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"year": 2025, "target": "WBK"}]},
    )
    year: Annotated[int, FormField("Tahun")] = Field(
        ge=assessments.MIN_YEAR, le=assessments.MAX_YEAR)
    target: Predicate
    framework_id: Annotated[int | None, FormField("Versi LKE")] = Field(
        None, description="Stored framework version; default: the newest bundled one."
    )

    @classmethod
    def content_problems(cls, values: Mapping[str, Any]) -> list[str]:
        return [p.message for p in assessments.new_problems(
            year=values.get("year"), target=values.get("target"))]


# A link (http/https) added to the unit's evidence library.
class LinkIn(FormInput):
    refusal: ClassVar[str] = "Tautan eviden tidak disimpan."
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"url": "https://kppn-contoh.kemenkeu.go.id/zi/sk-tim-2025.pdf",
             "title": "SK Tim Pembangunan ZI 2025", "valid_until": "2026-12-31"}
        ]},
    )
    url: str = Field(min_length=1, max_length=lke_evidence.MAX_URL)
    title: str | None = Field(None, max_length=lke_evidence.MAX_TITLE)
    valid_until: Annotated[date | None, FormField("Berlaku sampai")] = Field(
        None, description="The last day the evidence is valid (optional).")


# The validity of an evidence of the library, changed or cleared (null).
class ValidityIn(FormInput):
    refusal: ClassVar[str] = "Tanggal berlaku eviden tidak disimpan."
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"valid_until": "2027-06-30"}, {"valid_until": None}]},
    )
    valid_until: Annotated[date | None, FormField("Berlaku sampai")] = Field(
        None, description="The last day the evidence is valid; null: valid without end.")


# An evidence of the library linked to one question (optionally one expected item).
class EvidenceLinkIn(FormInput):
    refusal: ClassVar[str] = "Eviden tidak dapat ditautkan."
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"evidence_id": 12, "question_ref": "PPA1A", "expected_index": 0},
            {"evidence_id": 12, "question_ref": "PPA1B"},
        ]},
    )
    evidence_id: Annotated[int, FormField("Eviden")]
    question_ref: str = Field(min_length=1, max_length=20)
    expected_index: Annotated[int | None, FormField(
        "Butir eviden", "Butir eviden yang diharapkan tidak valid.", clean=_unspecific)] = Field(
        None, ge=0,
        description="Which of the question's expected-evidence items (0-based) it covers.",
    )
