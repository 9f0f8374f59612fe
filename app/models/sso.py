"""Single sign-on (OpenID Connect): who a person is at the provider, pending sign-ins, the
provider's tokens behind a Zona session, and the requests of people nothing maps to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class SsoIdentity(SQLModel, table=True):
    """A Zona account linked to one person at one provider: issuer + ``sub``, never e-mail."""

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    issuer: str = Field(max_length=300)
    subject: str = Field(max_length=255)
    created_by_sso: bool = False  # the account was made just in time at first sign-in
    created_at: datetime = utc_field(default_now=True)
    last_login_at: datetime | None = utc_field(nullable=True)


class SsoLogin(SQLModel, table=True):
    """One sign-in (or link) under way: found by the SHA-256 of its ``state``, used once."""

    __tablename__ = "sso_login"

    id: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=200)
    next_path: str = Field(default="/", max_length=500)
    link_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_now=True, index=True)
    used_at: datetime | None = utc_field(nullable=True)


class SsoSession(SQLModel, table=True):
    """The provider's tokens behind one Zona browser session (encrypted with the secret key),
    and when the person was last checked at the provider."""

    __tablename__ = "sso_session"

    browser_session_id: str = Field(
        primary_key=True, max_length=64, foreign_key="browser_session.id"
    )
    identity_id: int = Field(foreign_key="sso_identity.id", index=True)
    refresh_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    id_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    checked_at: datetime = utc_field(default_now=True)


class SsoAccessRequest(SQLModel, table=True):
    """A person the provider knows but whose claims map to no unit and role: shown to the
    administrators until one of them marks it handled."""

    __tablename__ = "sso_access_request"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_access_request"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=300)
    subject: str = Field(max_length=255)
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=200)
    claims: dict | None = json_field()
    attempts: int = 1
    first_at: datetime = utc_field(default_now=True)
    last_at: datetime = utc_field(default_now=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    resolved_by: int | None = Field(default=None, foreign_key="user_account.id")
