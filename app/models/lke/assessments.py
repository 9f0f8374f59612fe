"""LKE ZI worksheet: framework versions, assessments, answers and their revisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class AssessmentStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    returned = "returned"
    final = "final"


#: Statuses in which the unit may change its answers.
EDITABLE_STATUSES = frozenset({AssessmentStatus.draft, AssessmentStatus.returned})


class LkeFramework(SQLModel, table=True):
    """One immutable version of an LKE framework (the validated YAML content as JSON)."""

    __tablename__ = "lke_framework"
    __table_args__ = (UniqueConstraint("code", "sha256", name="uq_lke_framework_code_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=80, index=True)
    version: int
    title: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    content: dict[str, Any] | None = json_field(nullable=False)
    loaded_at: datetime = utc_field(default_now=True)


class Assessment(SQLModel, table=True):
    """A unit's LKE self-assessment for one year, bound to one framework version."""

    __tablename__ = "assessment"
    __table_args__ = (
        Index(
            "uq_assessment_unit_year_live",
            "unit_id",
            "year",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int
    framework_id: int = Field(foreign_key="lke_framework.id", index=True)
    target: str = Field(max_length=10)  # WBK | WBBM
    status: str = Field(default=AssessmentStatus.draft.value, max_length=20, index=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class LkeAnswer(SQLModel, table=True):
    """The current answer to one question of an assessment."""

    __tablename__ = "lke_answer"
    __table_args__ = (
        UniqueConstraint("assessment_id", "question_ref", name="uq_lke_answer_question"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_ref: str = Field(max_length=20)
    option: str | None = Field(default=None, max_length=10)
    inputs: dict[str, Any] | None = json_field()  # numeric inputs as decimal strings
    index_value: str | None = Field(default=None, max_length=20)  # survey index, e.g. "3.62"
    penjelasan: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str | None = Field(default=None, max_length=80)  # "manual", "survey:<id>", "xlsx"
    revision: int = 1
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
    updated_by_label: str = Field(default="", max_length=200)
    updated_at: datetime = utc_field(default_now=True)


class LkeAnswerRevision(SQLModel, table=True):
    """Append-only history of an answer: who changed it, when, from what to what."""

    __tablename__ = "lke_answer_revision"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_ref: str = Field(max_length=20, index=True)
    revision: int
    at: datetime = utc_field(default_now=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    actor_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    actor_label: str = Field(default="", max_length=200)
    old_value: dict[str, Any] | None = json_field()  # {"option","inputs","index","source"}
    new_value: dict[str, Any] | None = json_field()
    old_penjelasan: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_penjelasan: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
