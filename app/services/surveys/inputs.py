"""The input of every survey write, declared once: the API validates its JSON body with these
models (their names and fields are the OpenAPI request schemas), the pages read their forms
into the same models with ``Model.parse(form)`` (``app.services.form_input``), and the
services take them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field, StrictInt

from app.services.form_input import FormField, FormInput, thousands
from app.services.surveys.campaigns import CampaignInput


class CampaignIn(FormInput):
    refusal: ClassVar[str] = "Survei tidak dapat disimpan."

    title: str = Field(min_length=1, max_length=200)
    instruments: list[str] = Field(min_length=1, max_length=3)
    period_kind: Literal["quarter", "semester", "year"]
    period_label: Annotated[str | None, FormField("Label periode", clean=str.upper)] = Field(
        default=None, min_length=4, max_length=10,
        description="2019-Q1..Q4, 2019-S1/S2 or 2019, matching period_kind; the campaign must "
        "be open at least one day of it. Omitted: the period opens_on falls in.")
    opens_on: Annotated[date, FormField(
        "Tanggal buka", "Tanggal buka wajib diisi dengan format TTTT-BB-HH.")]
    closes_on: Annotated[date, FormField(
        "Tanggal tutup", "Tanggal tutup wajib diisi dengan format TTTT-BB-HH.")]
    population: Annotated[StrictInt, FormField(
        "Perkiraan populasi", "Perkiraan populasi harus bilangan bulat.", clean=thousands)
    ] = Field(ge=1)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "Survei Kepuasan dan Persepsi Semester I 2019",
        "instruments": ["ikm-2017", "spkp", "spak"], "period_kind": "semester",
        "period_label": "2019-S1", "opens_on": "2019-01-02", "closes_on": "2019-06-28",
        "population": 1200}]})

    def data(self) -> CampaignInput:
        """The campaign service's own value (also built directly by demo data and scripts)."""
        return CampaignInput(
            title=self.title, instrument_codes=self.instruments, period_kind=self.period_kind,
            period_label=self.period_label, opens_on=self.opens_on, closes_on=self.closes_on,
            population=self.population,
        )


class StatusIn(FormInput):
    refusal: ClassVar[str] = "Status survei tidak dapat diubah."

    status: Literal["open", "closed"]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "closed"}]})


class PublicationIn(FormInput):
    refusal: ClassVar[str] = "Publikasi hasil survei tidak dapat diubah."

    published: bool = Field(description="Whether /hasil/<unit code> shows the unit's results")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"published": False}]})


class ServiceIn(FormInput):
    refusal: ClassVar[str] = "Jenis layanan tidak dapat disimpan."

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    active: bool = True
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"code": "sp2d", "name": "Pencairan dana (penerbitan SP2D)", "description": "",
         "active": True}]})


class ServicePatch(FormInput):
    refusal: ClassVar[str] = "Jenis layanan tidak dapat disimpan."

    code: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    active: bool | None = None
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})


class SourceIn(FormInput):
    """A source tag (a counter or a service desk) of a campaign; pages only for now."""

    refusal: ClassVar[str] = "Sumber tidak dapat disimpan."

    tag: str
    label: str
    service_id: Annotated[int | None, FormField(
        "Jenis layanan", "Jenis layanan tidak valid.")] = None


class ReviewIn(FormInput):
    refusal: ClassVar[str] = "Tinjauan jawaban tidak dapat disimpan."

    decision: Literal["include", "exclude"]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "include"}]})


#: The follow-up statuses: the action plan's (app.domain.programme.ItemStatus values).
FollowupStatus = Literal["belum_mulai", "berjalan", "selesai", "batal"]
_DUE = FormField("Batas waktu", "Batas waktu harus tanggal dengan format TTTT-BB-HH.")
_ITEM = FormField("Butir rencana aksi", "Butir rencana aksi tidak valid.")


class FollowupIn(FormInput):
    """One action of a campaign's follow-up plan (rencana tindak lanjut)."""

    refusal: ClassVar[str] = "Tindak lanjut tidak dapat disimpan."

    element_code: str = Field(min_length=1, max_length=20, description=(
        "The element (IKM U1-U9) or item (SPKP/SPAK) of the campaign's instrument."))
    instrument_code: str | None = Field(default=None, max_length=80, description=(
        "Omitted: the campaign's IKM instrument, else its first one."))
    action: str = Field(min_length=1, max_length=300)
    owner: str = Field(default="", max_length=200, description="Who answers for it.")
    due_on: Annotated[date | None, _DUE] = None
    status: FollowupStatus = "belum_mulai"
    evidence_title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500, description="http(s) link or blank.")
    action_item_id: Annotated[int | None, _ITEM] = Field(default=None, description=(
        "An item of the unit's action plan this action belongs to."))
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "element_code": "U3", "action": "Memangkas waktu penerbitan SP2D menjadi 1 jam",
        "owner": "Kepala Seksi Pencairan Dana", "due_on": "2019-09-30",
        "status": "berjalan"}]})


class FollowupPatch(FormInput):
    """Fields left out keep their value."""

    refusal: ClassVar[str] = "Tindak lanjut tidak dapat disimpan."

    element_code: str | None = Field(default=None, min_length=1, max_length=20)
    instrument_code: str | None = Field(default=None, max_length=80)
    action: str | None = Field(default=None, min_length=1, max_length=300)
    owner: str | None = Field(default=None, max_length=200)
    due_on: Annotated[date | None, _DUE] = None
    status: FollowupStatus | None = None
    evidence_title: str | None = Field(default=None, max_length=200)
    evidence_url: str | None = Field(default=None, max_length=500)
    action_item_id: Annotated[int | None, _ITEM] = None
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "status": "selesai", "evidence_url": "https://contoh.go.id/sop-sp2d.pdf"}]})
