"""Shared helpers for table models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, default_now: bool = False):
    """A timezone-aware UTC timestamp column (stored in UTC, shown in the unit's zone)."""
    kwargs = {"default_factory": utcnow} if default_now else {"default": None}
    return Field(
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index), **kwargs
    )


def json_field(*, nullable: bool = True):
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))
