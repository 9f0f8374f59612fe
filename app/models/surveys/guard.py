"""Throttle counters for the public survey form (per hashed IP and fixed time window)."""

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
