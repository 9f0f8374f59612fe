"""People, their roles in units, browser sessions, API tokens and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utc_field


class Role(StrEnum):
    admin = "admin"  # system administrator, every unit
    coordinator = "coordinator"  # the unit's ZI team coordinator
    member = "member"  # area person in charge (PIC)
    reviewer = "reviewer"  # regional office / TPI: reviews the units below its unit
    viewer = "viewer"


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    full_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200)
    password_hash: str = Field(max_length=300)
    language: str = Field(default="id", max_length=5)
    is_active: bool = True
    created_at: datetime = utc_field(default_now=True)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role", name="uq_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(max_length=20)
    created_at: datetime = utc_field(default_now=True)


class BrowserSession(SQLModel, table=True):
    __tablename__ = "browser_session"

    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's random id
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(nullable=True)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    scopes: str = Field(max_length=400)  # space separated
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime | None = utc_field(nullable=True)
    last_used_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, index=True)
    ip_hash: str = Field(max_length=64, index=True)
    succeeded: bool = False
    at: datetime = utc_field(default_now=True, index=True)
