"""The evaluation season: each scope's calendar of a year, the notifications (inbox and the
e-mail outbox), each person's choice per kind, and the record of scheduled runs.

Notifications are written in the transaction of the change they report (outbox style): a
`notification` row per recipient, plus a `notification_email` row when that person wants the
e-mail at once. The job runner (app/services/season/jobs.py) sends the e-mail rows, builds
the daily digests and runs the deadline and expiry checks, leased in the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class EvaluationCalendar(SQLModel, table=True):
    """The due dates of one year for the whole tree (``unit_id`` None, ``scope`` "all") or
    for the units below a regional office (``scope`` "unit:<id>")."""

    __tablename__ = "evaluation_calendar"
    __table_args__ = (UniqueConstraint("scope", "year", name="uq_evaluation_calendar_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=30)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    self_assessment_due: date | None = None
    regional_review_due: date | None = None
    tpi_review_due: date | None = None
    national_proposal_due: date | None = None
    #: [{"label": "2026-S1", "opens_on": "2026-01-01", "closes_on": "2026-06-30"}, ...]
    survey_periods: list[dict[str, Any]] | None = json_field()
    updated_by_label: str = Field(default="", max_length=200)
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)


class Notification(SQLModel, table=True):
    """One message to one person: shown in the inbox until read; ``params`` fill the
    bilingual text of its kind (app.domain.season.messages)."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=40)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    params: dict[str, Any] | None = json_field()
    link: str = Field(default="", max_length=500)  # a path; e-mails prefix ZONA_BASE_URL
    #: Events found by a scan (a deadline, an expiry) reach a person once: one row per key.
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    created_at: datetime = utc_field(default_now=True, index=True)
    read_at: datetime | None = utc_field(nullable=True)
    #: The person's choice for this kind when it was written: now | digest | none (and
    #: "off" when e-mail is not configured); ``email_id`` is the e-mail that carried it.
    email_mode: str = Field(default="none", max_length=10, index=True)
    email_id: int | None = Field(default=None, foreign_key="notification_email.id", index=True)


class NotificationEmail(SQLModel, table=True):
    """One e-mail to send (at once, or a daily digest): leased by one sender at a time and
    marked sent, so it goes out once; failures are retried with backoff."""

    __tablename__ = "notification_email"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    to_address: str = Field(max_length=200)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(default="now", max_length=10)  # now | digest
    #: A digest is one e-mail per person and day: "digest:<user>:<date>".
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    status: str = Field(default="pending", max_length=10, index=True)  # pending|sent|failed
    attempts: int = 0
    next_attempt_at: datetime | None = utc_field(nullable=True, index=True)
    lease_until: datetime | None = utc_field(nullable=True)
    leased_by: str | None = Field(default=None, max_length=80)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc_field(default_now=True)
    sent_at: datetime | None = utc_field(nullable=True)


class NotificationPreference(SQLModel, table=True):
    """How a person wants one kind by e-mail: now, digest or none (absent: now)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preference"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    updated_at: datetime = utc_field(default_now=True)


class JobRun(SQLModel, table=True):
    """One scheduled job for one period (a day): the unique pair makes a period run once
    per deployment; the lease lets one process hold it, and a failed or abandoned run is
    taken again later."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_run_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period: str = Field(max_length=20)
    status: str = Field(default="running", max_length=10)  # running | done | failed
    attempts: int = 0
    leased_by: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = utc_field(nullable=True)
    started_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)
    result: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, max_length=500)
