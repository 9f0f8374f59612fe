"""The input of every programme write, declared once as a Pydantic model.

The API validates its JSON body with these models (so their names and fields are the
OpenAPI request schemas), and the pages parse their form fields into the same models with
``Model.parse(form)``. Each field carries its Indonesian label and limits in a ``Spec``
beside its type; the Indonesian reading (``reading``) is derived from the model, so a
field is never declared twice.

Two passes, as clients expect:
- types (a date that is not a date, a text where a number goes): the API answers with
  pydantic's structured errors; a form, having only strings, gets Indonesian lines;
- content (an unknown enum value, a blank required field, a number out of range, a long
  list item): both get the same Indonesian lines, refused with the model's ``refusal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, ValidationError, create_model

from app.domain import programme as dom
from app.services.errors import Invalid
from app.services.form_input import TextInput
from app.services.programme.reading import MAX_INT, Spec, fields_of, read_fields

__all__ = ["MAX_INT", "Spec"]

# Choices without a domain enum: the stored code -> its label (the pages show the label).
ACTIVITY_LABELS = {
    "sosialisasi": "Sosialisasi", "rapat": "Rapat", "monev": "Monitoring dan evaluasi",
    "internalisasi_budaya_kerja": "Internalisasi budaya kerja", "other": "Lainnya",
}
PARTNER_LABELS = {
    "pemda": "Pemerintah daerah", "bank": "Bank", "universitas": "Perguruan tinggi",
    "media": "Media", "komunitas": "Komunitas", "instansi_lain": "Instansi lain",
    "other": "Lainnya",
}
INNOVATION_STATUS_LABELS = {
    "aktif": "Aktif", "ditangguhkan": "Ditangguhkan", "dihentikan": "Dihentikan"}
ACTIVITY_KINDS = tuple(ACTIVITY_LABELS)
PARTNER_KINDS = tuple(PARTNER_LABELS)
INNOVATION_STATUSES = tuple(INNOVATION_STATUS_LABELS)


def _enum(values, description: str = "") -> Any:
    return {"json_schema_extra": {"enum": list(values)}, "description": description}


def values(enum) -> list[str]:
    return [m.value for m in enum]


def labels_of(enum) -> dict[str, str]:
    """A domain enum's codes -> their Indonesian labels (what a refused choice lists)."""
    return {m.value: m.label.text("id") for m in enum}


class ProgrammeInput(TextInput):
    """A programme write. ``refusal`` is the message when its content is refused."""

    model_config = ConfigDict(extra="forbid")
    refusal: ClassVar[str] = "Data tidak dapat disimpan."
    partial: ClassVar[bool] = False  # an update: only the given fields change
    creates: ClassVar[type[ProgrammeInput] | None] = None  # the create twin of an update

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ProgrammeInput:
        """Build the model from form strings (or plain values), Indonesian lines on refusal."""
        got = read_fields(cls, data)
        if got.problems:
            raise Invalid(cls.refusal, problems=got.problems)
        try:
            return cls.model_validate(got.values)
        except ValidationError as exc:  # read() already refuses what the types would
            raise Invalid(cls.refusal, problems=[str(e["msg"]) for e in exc.errors()]) from None

    def read(self) -> dict[str, Any]:
        """The values to store: the fields given (all, with defaults, on a create), cleaned
        and checked; Invalid with the Indonesian lines otherwise."""
        got = read_fields(type(self), self.model_dump(exclude_unset=True))
        if got.problems:
            raise Invalid(self.refusal, problems=got.problems)
        return got.values

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {name: f.label for name, f in fields_of(cls).items()}


def patch_of(model: type[ProgrammeInput], name: str, example: dict) -> type[ProgrammeInput]:
    """The PATCH twin of a create model: every field optional, unknown fields refused."""
    fields = {
        key: (Annotated[info.annotation | None, *[m for m in info.metadata
                                                  if isinstance(m, Spec)]],
              Field(None, description=info.description,
                    json_schema_extra=info.json_schema_extra))
        for key, info in model.model_fields.items()
    }
    class Base(ProgrammeInput):
        model_config = _examples(example)
        refusal = model.refusal
        partial = True
        creates = model

    patch = create_model(name, __base__=Base, __module__=model.__module__, **fields)
    return patch


def load_input(model: type[ProgrammeInput], data: ProgrammeInput | Mapping[str, Any]
               ) -> ProgrammeInput:
    """The validated model a service works on: as given, or parsed from plain values
    (demo data, scripts and tests pass dicts)."""
    if isinstance(data, ProgrammeInput):
        if not isinstance(data, model):
            raise TypeError(f"{model.__name__} expected, got {type(data).__name__}")
        return data
    return model.parse(data)


def _examples(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


# --- innovations ----------------------------------------------------------------------------

class InnovationIn(ProgrammeInput):
    model_config = _examples({
        "title": "SP2D drive-thru", "problem": "Antrean panjang di loket",
        "solution": "Pengambilan SP2D tanpa turun dari kendaraan",
        "services": ["Penerbitan SP2D"], "beneficiaries": "Bendahara satker",
        "stage": "penerapan", "phase": "wbk", "change_area": "pelayanan_publik",
        "started_on": "2017-03-01", "launched_on": "2017-06-01", "owner": "Seksi Bank",
        "origin": "asli", "differs_from_other_units": True, "brings_service_closer": True,
    })
    refusal: ClassVar[str] = "Inovasi tidak dapat disimpan."

    title: Annotated[str, Spec("Judul inovasi")] = Field(max_length=200)
    problem: Annotated[str | None, Spec("Masalah")] = None
    solution: Annotated[str | None, Spec("Solusi")] = None
    services: Annotated[list[str] | None, Spec("Layanan yang ditingkatkan", 200)] = Field(
        None, description="Names/codes of services improved.")
    beneficiaries: Annotated[str | None, Spec("Penerima manfaat")] = None
    stage: Annotated[str, Spec("Tahap", labels=labels_of(dom.Stage))] = Field(
        **_enum(values(dom.Stage)))
    phase: Annotated[str, Spec("Fase ZI", labels=labels_of(dom.Phase))] = Field(
        **_enum(values(dom.Phase)))
    change_area: Annotated[str, Spec("Area perubahan", labels=labels_of(dom.ChangeArea))] = Field(
        **_enum(values(dom.ChangeArea)))
    started_on: Annotated[date, Spec("Tanggal mulai")]
    launched_on: Annotated[date | None, Spec("Tanggal peluncuran")] = None
    owner: Annotated[str | None, Spec("Pemilik inovasi", 200)] = None
    team: Annotated[str | None, Spec("Tim")] = None
    status: Annotated[str | None, Spec("Status", default="aktif", labels=INNOVATION_STATUS_LABELS)] = Field(
        None, **_enum(INNOVATION_STATUSES))
    budget: Annotated[Decimal | None, Spec("Anggaran")] = Field(
        None, description="Rupiah; send as a string for exactness.")
    parent_id: Annotated[int | None, Spec("Inovasi induk")] = Field(
        None, description="The innovation this one builds on.")
    pembeda_what_is_new: Annotated[str | None, Spec("Pembeda: apa yang baru")] = Field(
        None, description="Required when a WBBM innovation develops a WBK one.")
    pembeda_citizen_benefit: Annotated[
        str | None, Spec("Pembeda: yang dirasakan masyarakat")] = None
    origin: Annotated[str | None, Spec("Asal gagasan", default="asli", labels=labels_of(dom.Origin))] = Field(
        None, **_enum(values(dom.Origin)))
    differs_from_other_units: Annotated[bool | None, Spec("Berbeda dari unit lain")] = None
    brings_service_closer: Annotated[bool | None, Spec("Mendekatkan layanan")] = None
    evidence_title: Annotated[str | None, Spec("Judul bukti", 200)] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None
    pillar_id: Annotated[int | None, Spec("Pilar")] = None


InnovationPatch = patch_of(InnovationIn, "InnovationPatch", {
    "stage": "replikasi", "parent_id": 12,
    "pembeda_what_is_new": "Antrean daring lewat WhatsApp",
    "pembeda_citizen_benefit": "Satker tidak perlu datang ke kantor",
})


class ImpactIn(ProgrammeInput):
    model_config = _examples({
        "kind": "service_time_minutes", "measure_unit": "menit",
        "before_value": "120", "before_on": "2017-01-15",
        "after_value": "45", "after_on": "2017-09-15", "service": "Penerbitan SP2D",
    })
    refusal: ClassVar[str] = "Ukuran dampak tidak dapat disimpan."

    kind: Annotated[str, Spec("Jenis ukuran", labels=labels_of(dom.MetricKind))] = Field(
        **_enum(values(dom.MetricKind)))
    measure_unit: Annotated[str, Spec("Satuan", 30)] = Field(
        description="menit | langkah | rupiah | ikm | nrr | persen | ...")
    before_value: Annotated[Decimal, Spec("Nilai sebelum")]
    before_on: Annotated[date, Spec("Tanggal ukur sebelum")]
    after_value: Annotated[Decimal, Spec("Nilai sesudah")]
    after_on: Annotated[date, Spec("Tanggal ukur sesudah")]
    direction: Annotated[str | None, Spec("Arah perbaikan", labels=labels_of(dom.Direction))] = Field(
        None, **_enum(values(dom.Direction), "Defaults to the kind's own direction."))
    label: Annotated[str | None, Spec("Yang diukur", 200)] = None
    service: Annotated[str | None, Spec("Layanan", 200)] = None


ImpactPatch = patch_of(ImpactIn, "ImpactPatch", {"after_value": "30", "after_on": "2018-03-01"})


# --- pillars --------------------------------------------------------------------------------

class PillarIn(ProgrammeInput):
    model_config = _examples({
        "name": "Layanan digital", "aim": "Seluruh layanan dapat diakses daring",
        "lead": "Kepala Seksi Bank", "target_year": 2019, "position": 1})
    refusal: ClassVar[str] = "Pilar tidak dapat disimpan."

    name: Annotated[str, Spec("Nama pilar")] = Field(max_length=200)
    aim: Annotated[str | None, Spec("Tujuan")] = None
    lead: Annotated[str | None, Spec("Penanggung jawab pilar", 200)] = None
    target_year: Annotated[int | None, Spec("Tahun target", low=2000, high=2100)] = None
    position: Annotated[int | None, Spec("Urutan", low=0, high=1000, default=0)] = None


PillarPatch = patch_of(PillarIn, "PillarPatch", {"target_year": 2020})


# --- team -----------------------------------------------------------------------------------

class DecreeIn(ProgrammeInput):
    model_config = _examples({
        "number": "KEP-12/KPPN.0904/2017", "decree_date": "2017-01-16",
        "title": "Tim Pembangunan Zona Integritas"})
    refusal: ClassVar[str] = "SK tim tidak dapat disimpan."

    number: Annotated[str, Spec("Nomor SK")] = Field(max_length=120)
    decree_date: Annotated[date, Spec("Tanggal SK")]
    title: Annotated[str | None, Spec("Perihal", 200)] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None


DecreePatch = patch_of(DecreeIn, "DecreePatch", {"evidence_url": "https://contoh.go.id/sk.pdf"})


class MemberIn(ProgrammeInput):
    model_config = _examples({
        "name": "Siti Aminah", "position": "Kepala Seksi Bank", "level": "pejabat",
        "roles": ["ketua_area"], "area": "pelayanan_publik"})
    refusal: ClassVar[str] = "Anggota tim tidak dapat disimpan."

    name: Annotated[str, Spec("Nama")] = Field(max_length=200)
    position: Annotated[str | None, Spec("Jabatan", 200)] = None
    level: Annotated[str, Spec("Tingkat", labels=labels_of(dom.TeamLevel))] = Field(
        **_enum(values(dom.TeamLevel)))
    roles: Annotated[list[str] | None, Spec("Peran ZI", 40)] = Field(
        None, description="Any of: " + ", ".join(values(dom.ZiRole)))
    area: Annotated[str | None, Spec("Area", labels=labels_of(dom.ChangeArea))] = Field(
        None, **_enum(values(dom.ChangeArea)))
    active: Annotated[bool | None, Spec("Aktif", default=True)] = None


MemberPatch = patch_of(MemberIn, "MemberPatch", {"roles": ["agen_perubahan"]})


class PactIn(ProgrammeInput):
    model_config = _examples({
        "member_id": 7, "signed_on": "2017-01-20", "evidence_title": "Pakta integritas 2017",
        "evidence_url": "https://contoh.go.id/pakta.pdf"})
    refusal: ClassVar[str] = "Pakta integritas tidak dapat disimpan."

    member_id: Annotated[int, Spec("Anggota")]
    signed_on: Annotated[date, Spec("Tanggal tanda tangan")]
    evidence_title: Annotated[str | None, Spec("Judul bukti", 200)] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None


PactPatch = patch_of(PactIn, "PactPatch", {"signed_on": "2017-01-21"})


class ActivityIn(ProgrammeInput):
    model_config = _examples({
        "kind": "sosialisasi", "held_on": "2017-02-10", "area": "manajemen_perubahan",
        "title": "Sosialisasi Zona Integritas kepada seluruh pegawai", "member_ids": [7, 8, 9]})
    refusal: ClassVar[str] = "Kegiatan tidak dapat disimpan."

    kind: Annotated[str, Spec("Jenis kegiatan", labels=ACTIVITY_LABELS)] = Field(
        **_enum(ACTIVITY_KINDS))
    held_on: Annotated[date, Spec("Tanggal")]
    area: Annotated[str | None, Spec("Area", labels=labels_of(dom.ChangeArea))] = Field(
        None, **_enum(values(dom.ChangeArea)))
    title: Annotated[str, Spec("Judul")] = Field(max_length=200)
    note: Annotated[str | None, Spec("Catatan")] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None
    pillar_id: Annotated[int | None, Spec("Pilar")] = None
    member_ids: Annotated[list[int] | None, Spec("Peserta")] = Field(
        None, description="Team members who took part.")


ActivityPatch = patch_of(ActivityIn, "ActivityPatch", {"member_ids": [7, 8, 9, 10]})


# --- action plan, partnerships, milestones -------------------------------------------------

class ActionItemIn(ProgrammeInput):
    model_config = _examples({
        "area": "manajemen_perubahan", "activity": "Menyusun rencana kerja pembangunan ZI",
        "output_target": "Dokumen rencana kerja", "person_in_charge": "Koordinator ZI",
        "due_on": "2017-03-31", "status": "berjalan", "progress": 50, "lke_ref": "PPA2A"})
    refusal: ClassVar[str] = "Rencana aksi tidak dapat disimpan."

    area: Annotated[str, Spec("Area perubahan", labels=labels_of(dom.ChangeArea))] = Field(
        **_enum(values(dom.ChangeArea)))
    activity: Annotated[str, Spec("Kegiatan")] = Field(max_length=300)
    output_target: Annotated[str | None, Spec("Target keluaran", 300)] = None
    person_in_charge: Annotated[str | None, Spec("Penanggung jawab", 200)] = None
    started_on: Annotated[date | None, Spec("Tanggal mulai")] = None
    due_on: Annotated[date | None, Spec("Batas waktu")] = None
    status: Annotated[str | None, Spec("Status", default="belum_mulai", labels=labels_of(dom.ItemStatus))] = Field(
        None, **_enum(values(dom.ItemStatus)))
    progress: Annotated[int | None, Spec("Kemajuan (%)", default=0)] = Field(
        None, description="Percent 0-100.")
    evidence_title: Annotated[str | None, Spec("Judul bukti", 200)] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None
    lke_ref: Annotated[str | None, Spec("Kode LKE", 10)] = Field(
        None, description="LKE question ref, e.g. PPA2A.")
    pillar_id: Annotated[int | None, Spec("Pilar")] = None


ActionItemPatch = patch_of(ActionItemIn, "ActionItemPatch", {"status": "selesai", "progress": 100})


class PartnershipIn(ProgrammeInput):
    model_config = _examples({
        "partner": "Pemerintah Kabupaten Belitung", "kind": "pemda",
        "scope": "Sosialisasi layanan dan pendampingan satker daerah",
        "agreement_number": "PKS-01/KPPN.0904/2018", "signed_on": "2018-02-01",
        "expires_on": "2020-01-31", "innovation_ids": [12]})
    refusal: ClassVar[str] = "Kemitraan tidak dapat disimpan."

    partner: Annotated[str, Spec("Mitra")] = Field(max_length=200)
    kind: Annotated[str, Spec("Jenis mitra", labels=PARTNER_LABELS)] = Field(
        **_enum(PARTNER_KINDS))
    scope: Annotated[str | None, Spec("Ruang lingkup")] = None
    agreement_number: Annotated[str | None, Spec("Nomor perjanjian", 120)] = None
    signed_on: Annotated[date | None, Spec("Tanggal tanda tangan")] = None
    expires_on: Annotated[date | None, Spec("Tanggal berakhir")] = None
    services: Annotated[list[str] | None, Spec("Layanan terkait", 200)] = None
    evidence_title: Annotated[str | None, Spec("Judul bukti", 200)] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None
    pillar_id: Annotated[int | None, Spec("Pilar")] = None
    innovation_ids: Annotated[list[int] | None, Spec("Inovasi terkait")] = None


PartnershipPatch = patch_of(PartnershipIn, "PartnershipPatch", {"expires_on": "2021-01-31"})


class MilestoneIn(ProgrammeInput):
    model_config = _examples({
        "kind": "pencanangan", "on_date": "2017-01-16",
        "title": "Pencanangan Zona Integritas KPPN Tanjungpandan"})
    refusal: ClassVar[str] = "Tonggak tidak dapat disimpan."

    kind: Annotated[str, Spec("Jenis tonggak", labels=labels_of(dom.MilestoneKind))] = Field(
        **_enum(values(dom.MilestoneKind)))
    on_date: Annotated[date, Spec("Tanggal")]
    title: Annotated[str | None, Spec("Judul", 200)] = None
    note: Annotated[str | None, Spec("Catatan")] = None
    evidence_url: Annotated[str | None, Spec("Tautan bukti", 500)] = None


MilestonePatch = patch_of(MilestoneIn, "MilestonePatch", {"note": "Disaksikan Kanwil"})
