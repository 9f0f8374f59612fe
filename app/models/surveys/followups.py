"""The follow-up plan of a survey campaign (rencana tindak lanjut hasil SKM).

One row is one action on one weak element (IKM ``U9``) or item (SPKP ``P3``) of a campaign:
what will be done, who answers for it, by when, its status and its evidence. An action can
point at the action-plan item (``action_item``) it was copied into. Soft delete like the
rest of the unit's records; ``status`` holds the action plan's statuses
(``app.domain.programme.ItemStatus``: belum_mulai | berjalan | selesai | batal).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class SurveyFollowup(SQLModel, table=True):
    __tablename__ = "survey_followup"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    campaign_id: int = Field(foreign_key="survey_campaign.id", index=True)
    instrument_code: str = Field(max_length=80)
    element_code: str = Field(max_length=20)
    action: str = Field(max_length=300)
    #: Who answers for it: a position or a name (never shown on the public page).
    owner: str = Field(default="", max_length=200)
    due_on: date | None = None
    status: str = Field(default="belum_mulai", max_length=20)
    evidence_title: str = Field(default="", max_length=200)
    evidence_url: str = Field(default="", max_length=500)
    action_item_id: int | None = Field(default=None, foreign_key="action_item.id", index=True)
    created_at: datetime = utc_field(default_now=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime | None = utc_field(nullable=True)
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
    deleted_at: datetime | None = utc_field(nullable=True)
