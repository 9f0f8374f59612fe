"""Whether a unit publishes its survey results on the public page ``/hasil/<unit code>``.

Publication is the rule (PermenPANRB 14/2017 asks every unit to publish its IKM), so a unit
without a row publishes; a row with ``published`` false is a coordinator's choice to stop
(for instance while the unit publishes on its own website), recorded with who and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class SurveyPublication(SQLModel, table=True):
    __tablename__ = "survey_publication"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    published: bool = True
    updated_at: datetime = utc_field(default_now=True)
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
