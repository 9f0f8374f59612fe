"""Organisation units and the predicates they were awarded."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class UnitLevel(StrEnum):
    ministry = "ministry"
    eselon1 = "eselon1"
    regional = "regional"
    unit = "unit"


class Predicate(StrEnum):
    WBK = "WBK"
    WBBM = "WBBM"


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    level: str = Field(max_length=20)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    timezone: str = Field(default="Asia/Jakarta", max_length=60)
    created_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class PredicateAward(SQLModel, table=True):
    __tablename__ = "predicate_award"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    predicate: str = Field(max_length=10)
    year: int
    decree_number: str = Field(max_length=120)
    decree_date: date
    revoked_on: date | None = None
    created_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)
