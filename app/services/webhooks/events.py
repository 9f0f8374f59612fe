"""The event types and ``emit``: the outbox written in the caller's transaction.

The service where something happens calls ``emit`` before its commit, in plain sight; the
event is stored as a message with one pending delivery per subscription that wants it, or
not at all when nobody subscribed. Nothing is sent here: the worker sends later.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.domain.timestamps import rfc3339_utc
from app.models.units import Unit
from app.models.webhooks import WebhookDelivery, WebhookMessage, WebhookSubscription

ASSESSMENT_SUBMITTED = "assessment.submitted"
ASSESSMENT_RETURNED = "assessment.returned"
ASSESSMENT_ACCEPTED = "assessment.accepted"
ASSESSMENT_FINAL = "assessment.final"
VERDICT_CHANGED = "assessment.verdict_changed"
CAMPAIGN_CLOSED = "campaign.closed"
SURVEY_ANSWERS_HELD = "survey.answers_held"
ACTION_ITEM_OVERDUE = "action_item.overdue"

#: Every event type with its description (Indonesian first; docs/webhooks.md has both).
EVENT_TYPES: dict[str, str] = {
    ASSESSMENT_SUBMITTED: "Penilaian LKE diajukan ke reviu",
    ASSESSMENT_RETURNED: "Penilaian LKE dikembalikan untuk diperbaiki",
    ASSESSMENT_ACCEPTED: "Penilaian LKE diterima pada satu tingkat reviu",
    ASSESSMENT_FINAL: "Penilaian LKE final (diterima pada tingkat terakhir)",
    VERDICT_CHANGED: "Hasil predikat penilaian LKE berubah (memenuhi / belum memenuhi)",
    CAMPAIGN_CLOSED: "Survei ditutup",
    SURVEY_ANSWERS_HELD: "Jawaban survei ditahan untuk diperiksa",
    ACTION_ITEM_OVERDUE: "Butir rencana aksi melewati tenggat",
}

_SUB = WebhookSubscription.__table__
_MSG = WebhookMessage.__table__
_DELIVERY = WebhookDelivery.__table__
_UNIT = Unit.__table__


def _now() -> datetime:
    return datetime.now(UTC)


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def unit_chain(connection: Connection, unit_id: int) -> list[int]:
    """The unit and every unit above it (the tree is shallow: one query a level)."""
    chain = [unit_id]
    current: int | None = unit_id
    while current is not None and len(chain) < 50:
        current = connection.execute(
            select(_UNIT.c.parent_id).where(_UNIT.c.id == current)
        ).scalar()
        if current is not None:
            chain.append(current)
    return chain


def subscribers(db: Session | Connection, *, unit_id: int, event_type: str) -> list[int]:
    """The live subscriptions that want this event of this unit: the unit's own, and those
    of a unit above it that cover their subtree."""
    connection = _connection(db)
    if connection.execute(
        select(_SUB.c.id).where(_SUB.c.active.is_(True), _SUB.c.deleted_at.is_(None)).limit(1)
    ).first() is None:
        return []  # nobody subscribed to anything: the common case costs one query
    chain = unit_chain(connection, unit_id)
    rows = connection.execute(
        select(_SUB.c.id, _SUB.c.unit_id, _SUB.c.include_subtree, _SUB.c.events).where(
            _SUB.c.active.is_(True), _SUB.c.deleted_at.is_(None), _SUB.c.unit_id.in_(chain)
        ).order_by(_SUB.c.id)
    ).all()
    return [
        r.id for r in rows
        if (r.unit_id == unit_id or r.include_subtree) and event_type in (r.events or [])
    ]


def wants(db: Session | Connection, *, unit_id: int, event_type: str) -> bool:
    """Whether any subscription would receive this event (to skip costly work otherwise)."""
    return bool(subscribers(db, unit_id=unit_id, event_type=event_type))



def body(event_type: str, data: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """The JSON sent: Standard Webhooks' {type, timestamp, data}."""
    return {"type": event_type, "timestamp": rfc3339_utc(at), "data": dict(data)}


def emit(
    db: Session | Connection,
    *,
    event_type: str,
    unit_id: int,
    data: Mapping[str, Any],
    dedupe_key: str | None = None,
) -> int:
    """Put the event in the outbox, in the caller's transaction; returns the number of
    deliveries (0: nobody subscribed, nothing stored). The caller commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    connection = _connection(db)
    targets = subscribers(connection, unit_id=unit_id, event_type=event_type)
    if not targets:
        return 0
    now = _now()
    payload = body(event_type, {"unit_id": unit_id, **data}, now)
    values = {
        "msg_id": "msg_" + uuid.uuid4().hex, "type": event_type, "unit_id": unit_id,
        "payload": payload, "created_at": now, "dedupe_key": dedupe_key,
    }
    if dedupe_key is not None:
        # Found by a scan that another replica may run at the same moment: once per key.
        try:
            with connection.begin_nested():
                message_id = connection.execute(
                    insert(_MSG).returning(_MSG.c.id), values
                ).scalar_one()
        except IntegrityError:
            return 0
    else:
        message_id = connection.execute(insert(_MSG).returning(_MSG.c.id), values).scalar_one()
    connection.execute(insert(_DELIVERY), [
        {"message_id": message_id, "subscription_id": sub_id, "round": 1,
         "redelivery_of": None, "status": "pending", "attempts": 0, "next_attempt_at": now,
         "lease_until": None, "leased_by": None, "last_status_code": None,
         "last_error": None, "created_at": now, "finished_at": None}
        for sub_id in targets
    ])
    return len(targets)


def seen(db: Session | Connection, *, dedupe_key: str) -> bool:
    """Whether a message with this key is already in the outbox."""
    return _connection(db).execute(
        select(_MSG.c.id).where(_MSG.c.dedupe_key == dedupe_key)
    ).first() is not None
