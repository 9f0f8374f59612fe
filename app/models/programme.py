"""The ZI programme of a unit: innovations and their impact, the team and its commitment,
the action plan, partnerships, milestones and the unit's own strategic pillars.

Every table carries ``unit_id`` (the owning unit), who created / last changed the row and
when, and ``deleted_at`` (user-facing deletes are soft). Enumerated values are stored as the
``value`` of the matching domain enum (``app.domain.programme``), e.g. ``phase`` = "wbk".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


def _ts(*, nullable: bool, now: bool = False) -> Any:
    """A timezone-aware UTC timestamp usable in a mixin (a fresh Column per table)."""
    kwargs: dict[str, Any] = {"default_factory": utcnow} if now else {"default": None}
    return Field(sa_type=DateTime(timezone=True), nullable=nullable, **kwargs)


def _text(default: str = "") -> Any:
    return Field(default=default, sa_type=Text, nullable=False)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON, nullable=False)


def _money() -> Any:
    return Field(default=None, sa_type=Numeric(18, 2), nullable=True)


def _measure() -> Any:
    return Field(sa_type=Numeric(20, 4), nullable=False)


class ProgrammeRow(SQLModel):
    """Columns every programme table has."""

    unit_id: int = Field(foreign_key="unit.id", index=True)
    created_at: datetime = _ts(nullable=False, now=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime | None = _ts(nullable=True)
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
    deleted_at: datetime | None = _ts(nullable=True)


class Pillar(ProgrammeRow, table=True):
    """One of the unit's own strategic pillars (e.g. the 'five pillars' toward WBBM)."""

    __tablename__ = "pillar"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    aim: str = _text()
    lead: str = Field(default="", max_length=200)
    target_year: int | None = None
    position: int = 0


class Innovation(ProgrammeRow, table=True):
    __tablename__ = "innovation"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    problem: str = _text()
    solution: str = _text()
    services: list[str] = _json_list()  # names/codes of the services it improves
    beneficiaries: str = _text()
    stage: str = Field(max_length=20)  # domain Stage
    phase: str = Field(max_length=10, index=True)  # domain Phase: wbk | wbbm
    change_area: str = Field(max_length=40)  # domain ChangeArea
    started_on: date
    launched_on: date | None = None
    owner: str = Field(default="", max_length=200)
    team: str = _text()
    status: str = Field(default="aktif", max_length=20)  # aktif | ditangguhkan | dihentikan
    budget: Decimal | None = _money()
    parent_id: int | None = Field(default=None, foreign_key="innovation.id", index=True)
    pembeda_what_is_new: str = _text()
    pembeda_citizen_benefit: str = _text()
    origin: str = Field(default="asli", max_length=20)  # domain Origin
    differs_from_other_units: bool = False
    brings_service_closer: bool = False
    evidence_title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500)
    pillar_id: int | None = Field(default=None, foreign_key="pillar.id", index=True)


class InnovationImpact(ProgrammeRow, table=True):
    """A before/after measure of what an innovation changed for citizens."""

    __tablename__ = "innovation_impact"

    id: int | None = Field(default=None, primary_key=True)
    innovation_id: int = Field(foreign_key="innovation.id", index=True)
    kind: str = Field(max_length=30)  # domain MetricKind
    measure_unit: str = Field(max_length=30)  # menit, langkah, rupiah, ikm, ...
    before_value: Decimal = _measure()
    before_on: date
    after_value: Decimal = _measure()
    after_on: date
    direction: str = Field(max_length=20)  # domain Direction
    label: str = Field(default="", max_length=200)
    service: str = Field(default="", max_length=200)


class TeamDecree(ProgrammeRow, table=True):
    """The decree (SK) that appoints the ZI team."""

    __tablename__ = "team_decree"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=120)
    decree_date: date
    title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500)


class TeamMember(ProgrammeRow, table=True):
    __tablename__ = "team_member"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    position: str = Field(default="", max_length=200)  # jabatan
    level: str = Field(max_length=20)  # domain TeamLevel
    roles: list[str] = _json_list()  # domain ZiRole values
    area: str | None = Field(default=None, max_length=40)  # domain ChangeArea
    active: bool = True


class IntegrityPact(ProgrammeRow, table=True):
    """A signed pakta integritas of one team member."""

    __tablename__ = "integrity_pact"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="team_member.id", index=True)
    signed_on: date
    evidence_title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500)


class TeamActivity(ProgrammeRow, table=True):
    """Sosialisasi, rapat, monev, internalisasi budaya kerja, ..."""

    __tablename__ = "team_activity"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    held_on: date
    area: str | None = Field(default=None, max_length=40)
    title: str = Field(max_length=200)
    note: str = _text()
    evidence_url: str = Field(default="", max_length=500)
    pillar_id: int | None = Field(default=None, foreign_key="pillar.id", index=True)


class ActivityAttendance(ProgrammeRow, table=True):
    __tablename__ = "activity_attendance"
    __table_args__ = (UniqueConstraint("activity_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="team_activity.id", index=True)
    member_id: int = Field(foreign_key="team_member.id", index=True)


class ActionItem(ProgrammeRow, table=True):
    """One item of the action plan (rencana aksi)."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    area: str = Field(max_length=40, index=True)  # domain ChangeArea
    activity: str = Field(max_length=300)
    output_target: str = Field(default="", max_length=300)
    person_in_charge: str = Field(default="", max_length=200)
    started_on: date | None = None
    due_on: date | None = None
    status: str = Field(default="belum_mulai", max_length=20)  # domain ItemStatus
    progress: int = 0  # percent 0-100
    evidence_title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500)
    lke_ref: str | None = Field(default=None, max_length=10)  # e.g. PPA2A
    pillar_id: int | None = Field(default=None, foreign_key="pillar.id", index=True)


class Partnership(ProgrammeRow, table=True):
    """A partnership agreement (MoU / PKS) with another institution."""

    __tablename__ = "partnership"

    id: int | None = Field(default=None, primary_key=True)
    partner: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # pemda | bank | universitas | media | komunitas | ...
    scope: str = _text()
    agreement_number: str = Field(default="", max_length=120)
    signed_on: date | None = None
    expires_on: date | None = None
    services: list[str] = _json_list()
    evidence_title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500)
    pillar_id: int | None = Field(default=None, foreign_key="pillar.id", index=True)


class PartnershipInnovation(ProgrammeRow, table=True):
    __tablename__ = "partnership_innovation"
    __table_args__ = (UniqueConstraint("partnership_id", "innovation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    innovation_id: int = Field(foreign_key="innovation.id", index=True)


class Milestone(ProgrammeRow, table=True):
    """A step on the unit's ZI road: pencanangan, proposals, awards, or a custom one."""

    __tablename__ = "milestone"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # domain MilestoneKind
    on_date: date
    title: str = Field(default="", max_length=200)
    note: str = _text()
    evidence_url: str = Field(default="", max_length=500)
