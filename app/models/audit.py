"""Append-only audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(default_now=True, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    actor_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    actor_label: str = Field(default="", max_length=200)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    action: str = Field(max_length=60, index=True)
    entity: str = Field(max_length=60, index=True)
    entity_id: str = Field(default="", max_length=80)
    before: dict[str, Any] | None = json_field()
    after: dict[str, Any] | None = json_field()
    request_id: str = Field(default="", max_length=64)
