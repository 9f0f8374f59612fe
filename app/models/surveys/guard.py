"""Abuse-guard tables of the public survey form: throttle counters per hashed IP and time
window, the used single-use form nonces, and answers per campaign and minute (velocity)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class SurveyThrottle(SQLModel, table=True):
    __tablename__ = "survey_throttle"

    #: SHA-256 of the IP address salted with the app secret (the address is never stored).
    key: str = Field(primary_key=True, max_length=64)
    #: Window start in Unix seconds (UTC), aligned on the window length.
    window: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hits: int = 0


class SurveyFormNonce(SQLModel, table=True):
    """A served form's nonce, recorded with the answer that used it first (same transaction).

    The primary key makes a nonce single-use across batches, processes and replicas. Nonces
    start with the time the form was served, so new ones go to the end of the index.
    """

    __tablename__ = "survey_form_nonce"
    __table_args__ = {"sqlite_with_rowid": False}  # the primary key is the table (one B-tree)

    nonce: str = Field(primary_key=True, max_length=32)
    campaign_id: int = Field(foreign_key="survey_campaign.id")
    #: The answer that used the form. No foreign key: the nonce is claimed just before its
    #: response row is inserted, in the same transaction.
    response_id: int


class SurveyCampaignRate(SQLModel, table=True):
    """Clean answers a campaign got within one minute (velocity check; 14 days kept)."""

    __tablename__ = "survey_campaign_rate"

    campaign_id: int = Field(foreign_key="survey_campaign.id", primary_key=True)
    #: Minute start in Unix seconds (UTC).
    minute: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    #: Clean answers that arrived (held ones included: a burst that goes on stays held).
    arrivals: int = 0
    #: Of those, held for velocity (left out of the campaign's usual rate).
    held: int = 0
