"""Survey kiosks: a tablet at a service counter, paired to one campaign, that collects
answers offline and sends them in batches with its own credential (docs/surveys-kiosk.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class SurveyKiosk(SQLModel, table=True):
    """One registered kiosk device. Only SHA-256 hashes of its secrets are kept."""

    __tablename__ = "survey_kiosk"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    campaign_id: int = Field(foreign_key="survey_campaign.id", index=True)
    name: str = Field(max_length=120)
    #: Preselected service type and source tag of every answer it sends (optional).
    service_id: int | None = Field(default=None, foreign_key="survey_service.id")
    source_tag: str | None = Field(default=None, max_length=40)
    #: The one-time pairing link's secret (hash), good until pairing_expires_at, used once.
    pairing_hash: str = Field(max_length=64, unique=True)
    pairing_expires_at: datetime = utc_field()
    paired_at: datetime | None = utc_field(nullable=True)
    #: The kiosk credential (bearer) handed over at pairing (hash; prefix to recognise it).
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    token_prefix: str | None = Field(default=None, max_length=16)
    #: The credential stops working after this moment (None: until revoked).
    expires_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)
    #: The last batch the device sent, and the queue it reported then (answers still on it).
    last_sync_at: datetime | None = utc_field(nullable=True)
    queue_size: int | None = None
    #: Answers it sent that were refused (given after the campaign closed, beyond the grace
    #: period, or a repeated key), and the reason of the last refusal (for the coordinator).
    refused_count: int = 0
    last_refusal: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_now=True)
