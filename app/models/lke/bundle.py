"""Evidence bundles (ZIP) of an assessment built in the background, for the desk evaluation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class EvidenceBundleJob(SQLModel, table=True):
    """One request to build an assessment's evidence bundle in the background.

    A worker takes a queued job by a conditional UPDATE that only one process wins and holds
    a lease while it builds (renewed with the progress), so any number of replicas may run
    the worker and a job abandoned by a dead process is taken again. The built ZIP is kept in
    the upload store under ``stored_name`` until ``expires_at``. ``fingerprint`` names what
    went in (questions, evidence and their hashes): a new request for the same content reuses
    a job that is queued, running or still downloadable."""

    __tablename__ = "evidence_bundle_job"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    fingerprint: str = Field(max_length=64, index=True)
    status: str = Field(default="queued", max_length=10, index=True)
    # queued | running | done | failed | expired
    # evidence bytes to pack (the progress' 100%) and packed so far; bundles pass 2 GB
    total_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    done_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total_files: int = 0
    done_files: int = 0
    attempts: int = 0
    leased_by: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = utc_field(nullable=True)
    stored_name: str | None = Field(default=None, max_length=80)
    size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sha256: str | None = Field(default=None, max_length=64)
    filename: str = Field(default="", max_length=120)
    requested_by: int | None = Field(default=None, foreign_key="user_account.id")
    requested_by_label: str = Field(default="", max_length=200)
    created_at: datetime = utc_field(default_now=True)
    started_at: datetime | None = utc_field(nullable=True)
    finished_at: datetime | None = utc_field(nullable=True)
    expires_at: datetime | None = utc_field(nullable=True, index=True)
    last_error: str | None = Field(default=None, max_length=500)
