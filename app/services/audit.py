"""The audit log: written in the same transaction as the change it describes."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, SQLModel, col, func, select

from app.domain.text import clean_text
from app.domain.timestamps import rfc3339_utc
from app.models.audit import AuditRecord
from app.security.principal import Principal
from app.services import units

# Set by the request middleware so every record carries the request id.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "zona_request_id", default=""
)


@event.listens_for(AuditRecord, "before_update")
@event.listens_for(AuditRecord, "before_delete")
def _append_only(*_args) -> None:
    raise RuntimeError("audit records are append-only")



def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)  # as the row's text is stored (app.db)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return rfc3339_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: SQLModel | None, *, exclude: set[str] | None = None) -> dict | None:
    """A JSON-safe copy of a row's columns, for before/after."""
    if obj is None:
        return None
    skip = {"password_hash", "token_hash"} | (exclude or set())
    data = {k: v for k, v in obj.model_dump().items() if k not in skip}
    return _jsonable(data)


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    unit_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditRecord:
    """Add one audit record to the session; the caller's commit writes it with the change."""
    entry = AuditRecord(
        actor_user_id=actor.user_id if actor else None,
        actor_token_id=actor.token_id if actor else None,
        actor_label=actor.label if actor else "system",
        unit_id=unit_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=current_request_id.get(),
    )
    session.add(entry)
    return entry


def save(
    session: Session,
    row: SQLModel,
    *,
    actor: Principal | None,
    action: str,
    entity: str,
    before: dict | None,
    unit_id: int | None = None,
) -> None:
    """Write a changed row with its audit record (the row as it is now) in one commit.

    ``unit_id`` defaults to the row's own ``unit_id``.
    """
    session.add(row)
    record(
        session, actor=actor, action=action, entity=entity, entity_id=row.id,
        unit_id=row.unit_id if unit_id is None else unit_id, before=before, after=snapshot(row),
    )
    session.commit()


@dataclass
class AuditPage:
    records: list[AuditRecord]
    total: int
    page: int
    per_page: int


def search(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    entity: str | None = None,
    action: str | None = None,
    actor_user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """The unit's audit records, newest first, for those who may read its log."""
    units.get(session, unit_id=unit_id, actor=actor, permission="audit.read")
    query = select(AuditRecord).where(AuditRecord.unit_id == unit_id)
    if entity:
        query = query.where(AuditRecord.entity == entity)
    if action:
        query = query.where(AuditRecord.action == action)
    if actor_user_id:
        query = query.where(AuditRecord.actor_user_id == actor_user_id)
    if since:
        query = query.where(AuditRecord.at >= since)
    if until:
        query = query.where(AuditRecord.at < until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = min(max(page, 1), 1_000_000)  # past the last page: empty, whatever the number
    rows = session.exec(
        query.order_by(col(AuditRecord.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AuditPage(records=list(rows), total=total, page=page, per_page=per_page)
