"""The review chain of an LKE assessment: submissions, reviewers' working values, and the
immutable decisions (with per-question values and score snapshots).

``LkeSubmission``, ``LkeReview`` and ``LkeReviewItem`` are append-only: an ORM update or
delete raises (see app.services.lke.review). ``LkeReviewDraft`` is a reviewer's working copy,
saved question by question until the decision copies it into ``LkeReviewItem`` rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class LkeSubmission(SQLModel, table=True):
    """The unit's coordinator handed the assessment to the review chain (round n)."""

    __tablename__ = "lke_submission"
    __table_args__ = (UniqueConstraint("assessment_id", "round", name="uq_lke_submission_round"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    round: int
    levels: str = Field(max_length=40)  # review levels in order, space separated
    submitted_by: int | None = Field(default=None, foreign_key="user_account.id")
    submitted_by_token: int | None = Field(default=None, foreign_key="api_token.id")
    submitted_by_label: str = Field(default="", max_length=200)
    submitted_at: datetime = utc_field(default_now=True)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    self_snapshot: dict[str, Any] | None = json_field()  # score of the answers submitted


class LkeReview(SQLModel, table=True):
    """One reviewer decision (accept or return) at one level; never changed."""

    __tablename__ = "lke_review"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    submission_id: int = Field(foreign_key="lke_submission.id", index=True)
    level: str = Field(max_length=20)  # "regional" | "tpi"
    decision: str = Field(max_length=10)  # "accept" | "return"
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewer_user_id: int = Field(foreign_key="user_account.id", index=True)
    reviewer_label: str = Field(max_length=200)
    reviewer_unit_id: int = Field(foreign_key="unit.id")
    decided_at: datetime = utc_field(default_now=True)
    status_before: str = Field(max_length=20)
    status_after: str = Field(max_length=20)
    self_total: str = Field(max_length=40)  # exact ("87.5" or "263/3")
    review_total: str = Field(max_length=40)
    self_snapshot: dict[str, Any] | None = json_field()  # unit's answers scored
    review_snapshot: dict[str, Any] | None = json_field()  # reviewer's values scored


class LkeReviewItem(SQLModel, table=True):
    """The reviewer's value for one question in a decision (every question is recorded:
    a question the reviewer did not change carries the unit's own answer)."""

    __tablename__ = "lke_review_item"
    __table_args__ = (UniqueConstraint("review_id", "question_ref", name="uq_lke_review_item"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="lke_review.id", index=True)
    question_ref: str = Field(max_length=20)
    self_answer: dict[str, Any] | None = json_field()  # {"option","inputs","index"}
    self_value: str | None = Field(default=None, max_length=40)  # exact 0..1
    answer: dict[str, Any] | None = json_field()  # the reviewer's
    value: str | None = Field(default=None, max_length=40)
    changed: bool = False  # the reviewer gave a value of its own
    flagged: bool = False  # to be fixed by the unit (a return)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LkeReviewDraft(SQLModel, table=True):
    """A reviewer level's working value and note for one question (until decided)."""

    __tablename__ = "lke_review_draft"
    __table_args__ = (
        UniqueConstraint("assessment_id", "level", "question_ref", name="uq_lke_review_draft"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    level: str = Field(max_length=20)
    question_ref: str = Field(max_length=20)
    answer: dict[str, Any] | None = json_field()  # None: agrees with the unit's answer
    flagged: bool = False
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
    updated_by_label: str = Field(default="", max_length=200)
    updated_at: datetime = utc_field(default_now=True)


@event.listens_for(LkeSubmission, "before_update")
@event.listens_for(LkeSubmission, "before_delete")
@event.listens_for(LkeReview, "before_update")
@event.listens_for(LkeReview, "before_delete")
@event.listens_for(LkeReviewItem, "before_update")
@event.listens_for(LkeReviewItem, "before_delete")
def _append_only(*_args) -> None:
    raise RuntimeError("submissions and review decisions are immutable records")
