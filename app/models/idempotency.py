"""Idempotency keys of the API's create requests: the first answer, kept for the repeats.

One row per (owner, method, path, key): the owner is the token or the person that sent the
request, the path the concrete URL path (``/api/v1/units/5/assessments``), so the same key
used by another token, or on another route, is another request. ``status_code`` is None while
the first request runs (a concurrent repeat is told so: 409).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("owner", "method", "path", "key", name="uq_idempotency_record_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: "token:<id>" or "user:<id>".
    owner: str = Field(max_length=40)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    key: str = Field(max_length=255)
    #: SHA-256 of the request (query and canonical body): the same key with another request
    #: is refused.
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    media_type: str | None = Field(default=None, max_length=100)
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = utc_field(index=True, default_now=True)
    #: Set in the transaction of the request's own work (its create committed); the answer
    #: (status_code, body) is stored just after.
    completed_at: datetime | None = utc_field(nullable=True)
