"""Evidence (eviden) of a unit: uploaded files and links, and which questions they support."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class Evidence(SQLModel, table=True):
    """One document or link in a unit's evidence library. Files are stored outside the
    static folder under ``stored_name`` (their sha256); nothing about them is trusted from the
    uploader but the display name, which is sanitised."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    kind: str = Field(max_length=10)  # "file" | "link"
    title: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=2000)  # links only
    original_name: str | None = Field(default=None, max_length=200)  # sanitised
    # The sha256 of the bytes (content addressed: rows with the same bytes share one stored
    # file); files stored before that keep their random name.
    stored_name: str | None = Field(default=None, max_length=80, index=True)
    media_type: str | None = Field(default=None, max_length=120)  # from the content
    size: int | None = None
    sha256: str | None = Field(default=None, max_length=64, index=True)
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")
    uploaded_by_label: str = Field(default="", max_length=200)
    uploaded_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)
    deleted_by_label: str | None = Field(default=None, max_length=200)
    # Valid until this day (a certificate, a decree, an agreement); None: no end. Warned by the
    # daily season check (app.services.season.jobs.check_evidence).
    valid_until: date | None = Field(default=None, index=True)


class EvidenceLink(SQLModel, table=True):
    """Evidence supporting one question of one assessment, optionally naming which of the
    framework's expected-evidence items it covers. Unlinking keeps the row (``unlinked_at``)."""

    __tablename__ = "evidence_link"

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidence.id", index=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_ref: str = Field(max_length=20, index=True)
    expected_index: int | None = None  # 0-based index into the question's evidence list
    expected_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    carried_from_id: int | None = Field(default=None, foreign_key="evidence_link.id")
    linked_by: int | None = Field(default=None, foreign_key="user_account.id")
    linked_by_label: str = Field(default="", max_length=200)
    linked_at: datetime = utc_field(default_now=True)
    unlinked_at: datetime | None = utc_field(nullable=True)
    unlinked_by_label: str | None = Field(default=None, max_length=200)
