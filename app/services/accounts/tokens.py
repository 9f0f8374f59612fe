"""API tokens for other government systems: one unit, scopes, expiry, shown once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.text import clean_text
from app.models.accounts import ApiToken
from app.models.base import utcnow
from app.security.passwords import new_api_token, sha256_hex
from app.security.principal import ALL_SCOPES, SCOPE_PERMISSIONS, Principal
from app.services import audit, units
from app.services.errors import FieldProblem, Invalid, NotFound

MANAGE = "tokens.manage"

# last_used_at is written at most this often, so reads stay cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=utcnow().tzinfo)
    return value


def create(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    name: str,
    scopes: list[str],
    expires_in_days: int | None = 365,
) -> IssuedToken:
    """Issue a token for one unit (its token managers only); only its SHA-256 is kept."""
    units.get(session, unit_id=unit_id, actor=actor, permission=MANAGE)
    name = clean_text(name)
    errors: list[FieldProblem] = []
    if not name.strip():
        errors.append(FieldProblem("name", "missing", "Nama token wajib diisi."))
    for index, scope in enumerate(scopes):
        if scope not in ALL_SCOPES:
            errors.append(FieldProblem(
                f"scopes.{index}", "unknown_scope",
                f"Cakupan tidak dikenal: {scope}. Pilihan: {', '.join(ALL_SCOPES)}.",
            ))
    if not scopes:
        errors.append(FieldProblem("scopes", "missing", "Pilih minimal satu cakupan."))
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        errors.append(FieldProblem("expires_in_days", "out_of_range",
                                   "Masa berlaku 1-3650 hari."))
    if errors:
        raise Invalid("Token tidak dapat dibuat.", errors=errors)
    secret = new_api_token()
    token = ApiToken(
        name=name.strip(),
        unit_id=unit_id,
        token_hash=sha256_hex(secret),
        prefix=secret[:12],
        scopes=" ".join(sorted(set(scopes))),
        created_by=actor.user_id if actor else None,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="api_token", entity_id=token.id,
        unit_id=unit_id, after=audit.snapshot(token),
    )
    session.commit()
    return IssuedToken(token=token, secret=secret)


def get(
    session: Session, *, actor: Principal | None, token_id: int, unit_id: int | None = None
) -> ApiToken:
    """One token, for a manager of its unit; with ``unit_id``, only a token of that unit.

    A token of another unit is not found there, in the same words as a token that does not
    exist: an id cannot be probed through either face.
    """
    if unit_id is not None:
        units.authorise(actor, MANAGE, unit_id)
    token = get_row(session, ApiToken, token_id)
    if token is None or (unit_id is not None and token.unit_id != unit_id):
        raise NotFound(f"Token {token_id} tidak ditemukan.")
    units.authorise(actor, MANAGE, token.unit_id)
    return token


def list_for_unit(session: Session, *, actor: Principal | None, unit_id: int) -> list[ApiToken]:
    """The unit's tokens, newest first (its token managers only)."""
    units.authorise(actor, MANAGE, unit_id)
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.unit_id == unit_id).order_by(col(ApiToken.id).desc())
        ).all()
    )


def revoke(
    session: Session, *, actor: Principal | None, token_id: int, unit_id: int | None = None
) -> ApiToken:
    """Revoke a token at once (idempotent); with ``unit_id``, only a token of that unit."""
    token = get(session, actor=actor, token_id=token_id, unit_id=unit_id)
    if token.revoked_at is None:
        before = audit.snapshot(token)
        token.revoked_at = utcnow()
        audit.record(
            session, actor=actor, action="revoke", entity="api_token", entity_id=token.id,
            unit_id=token.unit_id, before=before, after=audit.snapshot(token),
        )
        session.commit()
    return token


def authenticate(session: Session, *, secret: str) -> Principal | None:
    """The token's principal, or None when unknown, expired or revoked."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == sha256_hex(secret))).first()
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and _aware(token.expires_at) <= now:
        return None
    last = _aware(token.last_used_at)
    if last is None or now - last > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    perms: set[str] = set()
    for scope in token.scopes.split():
        perms |= SCOPE_PERMISSIONS.get(scope, frozenset())
    return Principal(
        kind="token", id=token.id, label=f"token:{token.name}",
        grants={token.unit_id: frozenset(perms)},
    )
