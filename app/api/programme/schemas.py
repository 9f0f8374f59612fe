"""JSON shapes of the programme API. The request bodies are the shared input models of
``app.services.programme.inputs`` (the pages parse their forms into the same ones); this
module adds the response shapes."""

from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Timestamp
from app.services.programme.inputs import (
    ActionItemIn,
    ActionItemPatch,
    ActivityIn,
    ActivityPatch,
    DecreeIn,
    DecreePatch,
    ImpactIn,
    ImpactPatch,
    InnovationIn,
    InnovationPatch,
    MemberIn,
    MemberPatch,
    MilestoneIn,
    MilestonePatch,
    PactIn,
    PactPatch,
    PartnershipIn,
    PartnershipPatch,
    PillarIn,
    PillarPatch,
)

__all__ = [
    "ActionItemIn", "ActionItemPatch", "ActivityIn", "ActivityPatch", "DecreeIn", "DecreePatch",
    "ImpactIn", "ImpactPatch", "InnovationIn", "InnovationPatch", "MemberIn", "MemberPatch",
    "MilestoneIn", "MilestonePatch", "PactIn", "PactPatch", "PartnershipIn", "PartnershipPatch",
    "PillarIn", "PillarPatch",
]

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Rows matching the filters, all pages together.")
    limit: int
    offset: int


class Stamped(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    created_at: Timestamp
    created_by: int | None
    updated_at: Timestamp | None
    updated_by: int | None
    deleted_at: Timestamp | None


# --- innovations ----------------------------------------------------------------------------

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

class DecreeOut(Stamped):
    number: str
    decree_date: date
    title: str
    evidence_url: str


class MemberOut(Stamped):
    name: str
    position: str
    level: str
    roles: list[str]
    area: str | None
    active: bool


class PactOut(Stamped):
    member_id: int
    signed_on: date
    evidence_title: str
    evidence_url: str


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


class MilestoneOut(Stamped):
    kind: str
    on_date: date
    title: str
    note: str
    evidence_url: str


class RestoredOut(BaseModel):
    """A soft-deleted programme row made live again (the undo of a delete)."""

    kind: str = Field(description="pillar, milestone, partnership, innovation, impact, member, "
                                  "activity, action, decree or pact")
    id: int
    what: str = Field(description="The kind in words (Indonesian), e.g. 'Pilar'.")
    name: str = Field(description="How a person recognises the row: its title or name.")
