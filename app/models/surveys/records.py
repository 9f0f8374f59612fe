"""Public-service surveys: instrument versions, service types, campaigns, responses, answers.

Write path is tuned for the public form: a response is one row in ``survey_response`` plus
one row per answered item in ``survey_answer`` (inserted with multi-row statements).
``survey_tally`` keeps the running count of reportable answers per campaign, service, item
and value, updated in the same transaction as the answers (app.services.surveys.tallies), so
the indices read a few dozen rows however many responses there are. ``survey_answer``
repeats ``campaign_id``, ``service_id`` and ``reportable`` of its response for the rarer
queries that still group answers (by source tag) and for rebuilding the tallies.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, SmallInteger, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class PeriodKind(StrEnum):
    quarter = "quarter"
    semester = "semester"
    year = "year"


class CampaignStatus(StrEnum):
    draft = "draft"  # being prepared: the public link answers "not open yet"
    open = "open"  # takes responses between opens_on and closes_on
    closed = "closed"  # closed by the coordinator (or by date): refuses responses politely


class ReviewDecision(StrEnum):
    include = "include"
    exclude = "exclude"


class SurveyInstrument(SQLModel, table=True):
    """One immutable version of a survey instrument (the validated YAML content as JSON)."""

    __tablename__ = "survey_instrument"
    __table_args__ = (
        UniqueConstraint("code", "sha256", name="uq_survey_instrument_code_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=80, index=True)
    version: int
    kind: str = Field(max_length=10)  # ikm | spkp | spak
    title: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    content: dict[str, Any] | None = json_field(nullable=False)
    loaded_at: datetime = utc_field(default_now=True)


class SurveyService(SQLModel, table=True):
    """A unit's service type (*jenis layanan*), e.g. "Pencairan dana (SP2D)"."""

    __tablename__ = "survey_service"
    __table_args__ = (
        Index(
            "uq_survey_service_unit_code_live",
            "unit_id",
            "code",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)
    active: bool = True
    created_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class SurveyCampaign(SQLModel, table=True):
    """A survey run: unit + instrument(s) + period + open/close dates + population estimate."""

    __tablename__ = "survey_campaign"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    title: str = Field(max_length=200)
    #: survey_instrument ids carried by the campaign, in form order (e.g. IKM, SPKP, SPAK).
    instrument_ids: list[int] | None = json_field(nullable=False)
    period_kind: str = Field(max_length=10)  # PeriodKind
    period_label: str = Field(max_length=10, index=True)  # 2019, 2019-S1, 2019-Q3
    year: int = Field(index=True)
    opens_on: date
    closes_on: date
    #: Estimated number of service users in the period (Krejcie-Morgan population).
    population: int
    #: Short random URL-safe code of the public link /s/{public_code}.
    public_code: str = Field(max_length=16, unique=True, index=True)
    status: str = Field(default=CampaignStatus.draft, max_length=10)
    #: The unit's time zone, copied at creation: decides "today" for the open/close dates.
    timezone: str = Field(default="Asia/Jakarta", max_length=60)
    #: Generated demo data (never real respondents).
    is_demo: bool = False
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    closed_at: datetime | None = utc_field(nullable=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class SurveySource(SQLModel, table=True):
    """A source tag of a campaign (a counter, a service desk) carried by its QR code."""

    __tablename__ = "survey_source"
    __table_args__ = (UniqueConstraint("campaign_id", "tag", name="uq_survey_source_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="survey_campaign.id", index=True)
    tag: str = Field(max_length=40)
    label: str = Field(max_length=200)
    #: Optional service preselected on the form when arriving through this source.
    service_id: int | None = Field(default=None, foreign_key="survey_service.id")
    created_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class SurveyResponse(SQLModel, table=True):
    """One respondent's submission. Suspect ones are kept but not reportable until reviewed."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("campaign_id", "idempotency_key", name="uq_survey_response_idem"),
        Index("ix_survey_response_campaign_submitted", "campaign_id", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="survey_campaign.id")
    submitted_at: datetime = utc_field(default_now=True)
    service_id: int | None = Field(default=None, foreign_key="survey_service.id", index=True)
    source_tag: str | None = Field(default=None, max_length=40)
    channel: str = Field(default="web", max_length=10)  # web | api | kiosk
    #: The kiosk that sent it (survey_kiosk.id; channel "kiosk"), for its per-minute rule.
    kiosk_id: int | None = Field(default=None, index=True)
    #: Respondent profile: field code -> option code (gender, age_group, ...).
    profile: dict[str, Any] | None = json_field()
    suggestion: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ip_hash: str | None = Field(default=None, max_length=64)
    device_hash: str | None = Field(default=None, max_length=64)
    fill_seconds: int | None = None
    idempotency_key: str | None = Field(default=None, max_length=100)
    suspect: bool = False
    suspect_reasons: list[str] | None = json_field()
    review_decision: str | None = Field(default=None, max_length=10)  # ReviewDecision
    reviewed_by: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: datetime | None = utc_field(nullable=True)
    #: Counted in the indices: not suspect, or suspect and reviewed "include".
    reportable: bool = True


class SurveyAnswer(SQLModel, table=True):
    """One answer value; campaign/service/reportable repeated from the response."""

    __tablename__ = "survey_answer"

    response_id: int = Field(foreign_key="survey_response.id", primary_key=True)
    instrument_code: str = Field(max_length=80, primary_key=True)
    item_code: str = Field(max_length=20, primary_key=True)
    value: int = Field(sa_column=Column(SmallInteger, nullable=False))
    campaign_id: int = Field(foreign_key="survey_campaign.id")
    service_id: int | None = Field(default=None, foreign_key="survey_service.id")
    reportable: bool = True


#: ``survey_tally.service_key`` of answers given without a service (ids start at 1).
NO_SERVICE = 0


class SurveyTally(SQLModel, table=True):
    """How many reportable answers of a campaign gave ``value`` to one item, per service.

    Kept by app.services.surveys.tallies in the transaction that stores, includes or
    excludes the answers; equal at every commit to a COUNT(*) over ``survey_answer``
    (``survey_tallies.recount`` rebuilds it from there)."""

    __tablename__ = "survey_tally"

    campaign_id: int = Field(foreign_key="survey_campaign.id", primary_key=True)
    #: The service id, or NO_SERVICE (a primary key column cannot be NULL).
    service_key: int = Field(primary_key=True)
    instrument_code: str = Field(max_length=80, primary_key=True)
    item_code: str = Field(max_length=20, primary_key=True)
    value: int = Field(sa_column=Column(SmallInteger, primary_key=True))
    answers: int = 0


#: ``survey_item_total.service_key`` of the rows summing every service of a campaign.
ALL_SERVICES = -1


class SurveyItemTotal(SQLModel, table=True):
    """Per campaign, service and item: how many reportable answers and the sum of their
    values, i.e. ``survey_tally`` summed over ``value`` (rows with ``service_key``
    ALL_SERVICES sum every service as well).

    An index needs only these two numbers per item, so a roll-up over a thousand campaigns
    reads ~one row per campaign and item instead of every tally row. Kept by
    app.services.surveys.tallies in the same statement batch as ``survey_tally`` (and rebuilt
    with it by ``recount``). Without rowid on SQLite: the key is the table, a campaign's
    rows are one range read."""

    __tablename__ = "survey_item_total"
    __table_args__ = {"sqlite_with_rowid": False}

    campaign_id: int = Field(foreign_key="survey_campaign.id", primary_key=True)
    service_key: int = Field(primary_key=True)
    instrument_code: str = Field(max_length=80, primary_key=True)
    item_code: str = Field(max_length=20, primary_key=True)
    answers: int = 0
    value_total: int = 0


class RespondentState:
    """``survey_respondent_tally.state``: where a response stands in the indices."""

    COUNTED = 0  # reportable
    PENDING = 1  # suspect, not reviewed yet (not counted)
    SET_ASIDE = 2  # not counted after a review


class SurveyRespondentTally(SQLModel, table=True):
    """How many responses of a campaign and service stand in a state, in all
    (``profile_field`` "") and per answer of each profile field.

    Kept by app.services.surveys.tallies with the responses, like ``survey_tally``; the
    results read respondent counts, review counts and profile groups from here."""

    __tablename__ = "survey_respondent_tally"

    campaign_id: int = Field(foreign_key="survey_campaign.id", primary_key=True)
    service_key: int = Field(primary_key=True)
    state: int = Field(sa_column=Column(SmallInteger, primary_key=True))
    #: "" for every response; else a profile field code, with the option given.
    profile_field: str = Field(max_length=40, primary_key=True)
    profile_option: str = Field(max_length=40, primary_key=True)
    respondents: int = 0
