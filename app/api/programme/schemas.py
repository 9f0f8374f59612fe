"""JSON shapes of the programme API (requests refuse unknown fields; enums are checked by the
services so the messages are the same Indonesian ones the pages show)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.domain import programme as dom
from app.services.programme import partnerships as partnership_service
from app.services.programme import team as team_service
from app.services.programme.innovations import STATUSES

T = TypeVar("T")


def _enum(values, description: str = "") -> Any:
    return {"json_schema_extra": {"enum": list(values)}, "description": description}


def values(enum) -> list[str]:
    return [m.value for m in enum]


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Rows matching the filters, all pages together.")
    limit: int
    offset: int


def partial(model: type[BaseModel], name: str, example: dict) -> type[BaseModel]:
    """The PATCH twin of a create model: every field optional, unknown fields refused."""
    fields = {
        key: (info.annotation | None, Field(None, description=info.description,
                                            json_schema_extra=info.json_schema_extra))
        for key, info in model.model_fields.items()
    }
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [example]}),
        **fields,
    )


class Stamped(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    created_at: datetime
    created_by: int | None
    updated_at: datetime | None
    updated_by: int | None
    deleted_at: datetime | None


# --- innovations ----------------------------------------------------------------------------

class InnovationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "SP2D drive-thru", "problem": "Antrean panjang di loket",
        "solution": "Pengambilan SP2D tanpa turun dari kendaraan",
        "services": ["Penerbitan SP2D"], "beneficiaries": "Bendahara satker",
        "stage": "penerapan", "phase": "wbk", "change_area": "pelayanan_publik",
        "started_on": "2017-03-01", "launched_on": "2017-06-01", "owner": "Seksi Bank",
        "origin": "asli", "differs_from_other_units": True, "brings_service_closer": True,
    }]})
    title: str = Field(max_length=200)
    problem: str | None = None
    solution: str | None = None
    services: list[str] | None = Field(None, description="Names/codes of services improved.")
    beneficiaries: str | None = None
    stage: str = Field(**_enum(values(dom.Stage)))
    phase: str = Field(**_enum(values(dom.Phase)))
    change_area: str = Field(**_enum(values(dom.ChangeArea)))
    started_on: date
    launched_on: date | None = None
    owner: str | None = None
    team: str | None = None
    status: str | None = Field(None, **_enum(STATUSES))
    budget: Decimal | None = Field(None, description="Rupiah; send as a string for exactness.")
    parent_id: int | None = Field(None, description="The innovation this one builds on.")
    pembeda_what_is_new: str | None = Field(
        None, description="Required when a WBBM innovation develops a WBK one.")
    pembeda_citizen_benefit: str | None = None
    origin: str | None = Field(None, **_enum(values(dom.Origin)))
    differs_from_other_units: bool | None = None
    brings_service_closer: bool | None = None
    evidence_title: str | None = None
    evidence_url: str | None = None
    pillar_id: int | None = None


InnovationPatch = partial(InnovationIn, "InnovationPatch", {
    "stage": "replikasi", "parent_id": 12,
    "pembeda_what_is_new": "Antrean daring lewat WhatsApp",
    "pembeda_citizen_benefit": "Satker tidak perlu datang ke kantor",
})


class InnovationOut(Stamped):
    title: str
    problem: str
    solution: str
    services: list[str]
    beneficiaries: str
    stage: str
    phase: str
    change_area: str
    started_on: date
    launched_on: date | None
    owner: str
    team: str
    status: str
    budget: Decimal | None
    parent_id: int | None
    pembeda_what_is_new: str
    pembeda_citizen_benefit: str
    origin: str
    differs_from_other_units: bool
    brings_service_closer: bool
    evidence_title: str
    evidence_url: str
    pillar_id: int | None


class ImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "service_time_minutes", "measure_unit": "menit",
        "before_value": "120", "before_on": "2017-01-15",
        "after_value": "45", "after_on": "2017-09-15", "service": "Penerbitan SP2D",
    }]})
    kind: str = Field(**_enum(values(dom.MetricKind)))
    measure_unit: str = Field(description="menit | langkah | rupiah | ikm | nrr | persen | ...")
    before_value: Decimal
    before_on: date
    after_value: Decimal
    after_on: date
    direction: str | None = Field(None, **_enum(values(dom.Direction),
                                                "Defaults to the kind's own direction."))
    label: str | None = None
    service: str | None = None


ImpactPatch = partial(ImpactIn, "ImpactPatch", {"after_value": "30", "after_on": "2018-03-01"})


class ImprovementOut(BaseModel):
    change: Decimal = Field(description="after - before")
    gain: Decimal = Field(description="Change in the good direction (positive = better).")
    relative_gain: str | None = Field(description="Exact fraction of the before value, 'p/q'.")
    relative_gain_percent: Decimal | None = Field(description="Rounded half-up to 2 places.")
    improved: bool


class ImpactOut(Stamped):
    innovation_id: int
    kind: str
    measure_unit: str
    before_value: Decimal
    before_on: date
    after_value: Decimal
    after_on: date
    direction: str
    label: str
    service: str
    improvement: ImprovementOut | None = None


class SuggestionOut(BaseModel):
    ref: str
    option: str | None = None
    numerator: int | None = None
    denominator: int | None = None
    ratio: str | None = None
    reasons: list[str]
    evidence_innovation_ids: list[int]


class LkeSuggestionsOut(BaseModel):
    services_known: bool = Field(description="False when no registered-service list was given.")
    suggestions: list[SuggestionOut]


class ServiceWindowOut(BaseModel):
    service: str
    innovation_id: int
    innovation_title: str
    launched_on: date
    before_from: date = Field(description="Before window: [before_from, launched_on)")
    after_until: date = Field(description="After window: [launched_on, after_until)")


# --- pillars --------------------------------------------------------------------------------

class PillarIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Layanan digital", "aim": "Seluruh layanan dapat diakses daring",
        "lead": "Kepala Seksi Bank", "target_year": 2019, "position": 1}]})
    name: str = Field(max_length=200)
    aim: str | None = None
    lead: str | None = None
    target_year: int | None = None
    position: int | None = None


PillarPatch = partial(PillarIn, "PillarPatch", {"target_year": 2020})


class PillarOut(Stamped):
    name: str
    aim: str
    lead: str
    target_year: int | None
    position: int


class PillarProgressOut(BaseModel):
    pillar: PillarOut
    action_items: int
    action_items_done: int
    action_items_overdue: int
    mean_progress_percent: Decimal | None
    innovations: int
    innovations_in_operation: int
    activities: int
    partnerships: int
    partnerships_active: int


# --- team -----------------------------------------------------------------------------------

class DecreeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "number": "KEP-12/KPPN.0904/2017", "decree_date": "2017-01-16",
        "title": "Tim Pembangunan Zona Integritas"}]})
    number: str = Field(max_length=120)
    decree_date: date
    title: str | None = None
    evidence_url: str | None = None


DecreePatch = partial(DecreeIn, "DecreePatch", {"evidence_url": "https://contoh.go.id/sk.pdf"})


class DecreeOut(Stamped):
    number: str
    decree_date: date
    title: str
    evidence_url: str


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Siti Aminah", "position": "Kepala Seksi Bank", "level": "pejabat",
        "roles": ["ketua_area"], "area": "pelayanan_publik"}]})
    name: str = Field(max_length=200)
    position: str | None = None
    level: str = Field(**_enum(values(dom.TeamLevel)))
    roles: list[str] | None = Field(None, description="Any of: " + ", ".join(values(dom.ZiRole)))
    area: str | None = Field(None, **_enum(values(dom.ChangeArea)))
    active: bool | None = None


MemberPatch = partial(MemberIn, "MemberPatch", {"roles": ["agen_perubahan"]})


class MemberOut(Stamped):
    name: str
    position: str
    level: str
    roles: list[str]
    area: str | None
    active: bool


class PactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "member_id": 7, "signed_on": "2017-01-20", "evidence_title": "Pakta integritas 2017",
        "evidence_url": "https://contoh.go.id/pakta.pdf"}]})
    member_id: int
    signed_on: date
    evidence_title: str | None = None
    evidence_url: str | None = None


PactPatch = partial(PactIn, "PactPatch", {"signed_on": "2017-01-21"})


class PactOut(Stamped):
    member_id: int
    signed_on: date
    evidence_title: str
    evidence_url: str


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "sosialisasi", "held_on": "2017-02-10", "area": "manajemen_perubahan",
        "title": "Sosialisasi Zona Integritas kepada seluruh pegawai", "member_ids": [7, 8, 9]}]})
    kind: str = Field(**_enum(team_service.ACTIVITY_KINDS))
    held_on: date
    area: str | None = Field(None, **_enum(values(dom.ChangeArea)))
    title: str = Field(max_length=200)
    note: str | None = None
    evidence_url: str | None = None
    pillar_id: int | None = None
    member_ids: list[int] | None = Field(None, description="Team members who took part.")


ActivityPatch = partial(ActivityIn, "ActivityPatch", {"member_ids": [7, 8, 9, 10]})


class ActivityOut(Stamped):
    kind: str
    held_on: date
    area: str | None
    title: str
    note: str
    evidence_url: str
    pillar_id: int | None
    member_ids: list[int] = []


class LevelCommitmentOut(BaseModel):
    level: str | None = Field(description="None for the whole team.")
    people: int
    signed: int
    signed_share: str | None = Field(description="Exact 'p/q'; null when nobody at the level.")
    signed_percent: Decimal | None
    took_part: int
    took_part_share: str | None
    took_part_percent: Decimal | None


class CommitmentOut(BaseModel):
    levels: list[LevelCommitmentOut]
    overall: LevelCommitmentOut
    every_level_signed: bool


# --- action plan, partnerships, milestones -------------------------------------------------

class ActionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "area": "manajemen_perubahan", "activity": "Menyusun rencana kerja pembangunan ZI",
        "output_target": "Dokumen rencana kerja", "person_in_charge": "Koordinator ZI",
        "due_on": "2017-03-31", "status": "berjalan", "progress": 50, "lke_ref": "PPA2A"}]})
    area: str = Field(**_enum(values(dom.ChangeArea)))
    activity: str = Field(max_length=300)
    output_target: str | None = None
    person_in_charge: str | None = None
    started_on: date | None = None
    due_on: date | None = None
    status: str | None = Field(None, **_enum(values(dom.ItemStatus)))
    progress: int | None = Field(None, description="Percent 0-100.")
    evidence_title: str | None = None
    evidence_url: str | None = None
    lke_ref: str | None = Field(None, description="LKE question ref, e.g. PPA2A.")
    pillar_id: int | None = None


ActionItemPatch = partial(ActionItemIn, "ActionItemPatch", {"status": "selesai", "progress": 100})


class ActionItemOut(Stamped):
    area: str
    activity: str
    output_target: str
    person_in_charge: str
    started_on: date | None
    due_on: date | None
    status: str
    progress: int
    evidence_title: str
    evidence_url: str
    lke_ref: str | None
    pillar_id: int | None
    overdue: bool = False


class PartnershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "partner": "Pemerintah Kabupaten Belitung", "kind": "pemda",
        "scope": "Sosialisasi layanan dan pendampingan satker daerah",
        "agreement_number": "PKS-01/KPPN.0904/2018", "signed_on": "2018-02-01",
        "expires_on": "2020-01-31", "innovation_ids": [12]}]})
    partner: str = Field(max_length=200)
    kind: str = Field(**_enum(partnership_service.KINDS))
    scope: str | None = None
    agreement_number: str | None = None
    signed_on: date | None = None
    expires_on: date | None = None
    services: list[str] | None = None
    evidence_title: str | None = None
    evidence_url: str | None = None
    pillar_id: int | None = None
    innovation_ids: list[int] | None = None


PartnershipPatch = partial(PartnershipIn, "PartnershipPatch", {"expires_on": "2021-01-31"})


class PartnershipOut(Stamped):
    partner: str
    kind: str
    scope: str
    agreement_number: str
    signed_on: date | None
    expires_on: date | None
    services: list[str]
    evidence_title: str
    evidence_url: str
    pillar_id: int | None
    innovation_ids: list[int] = []
    state: str | None = Field(None, description="not_yet_signed | active | expiring_soon | "
                                                "expired, on today's date")


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "pencanangan", "on_date": "2017-01-16",
        "title": "Pencanangan Zona Integritas KPPN Tanjungpandan"}]})
    kind: str = Field(**_enum(values(dom.MilestoneKind)))
    on_date: date
    title: str | None = None
    note: str | None = None
    evidence_url: str | None = None


MilestonePatch = partial(MilestoneIn, "MilestonePatch", {"note": "Disaksikan Kanwil"})


class MilestoneOut(Stamped):
    kind: str
    on_date: date
    title: str
    note: str
    evidence_url: str
