"""Webhooks: a unit's subscriptions, the outbox of events to send, and the delivery log.

An event is written to the outbox (`webhook_message` and one `webhook_delivery` per
subscription that wants it) in the same transaction as the change it reports; a worker
sends the deliveries later, so a slow receiver never slows a user. Every attempt is kept
with the receiver's answer (`webhook_attempt`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class WebhookSubscription(SQLModel, table=True):
    """A receiver URL subscribed to some event types for a unit (or, set by an admin, the
    unit and every unit below it)."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    include_subtree: bool = False
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[str] | None = json_field()
    secret: str = Field(max_length=100)  # "whsec_" + base64 of 32 random bytes
    active: bool = True
    allow_private: bool = False  # set by an admin: the URL may point into a private network
    created_at: datetime = utc_field(default_now=True)
    created_by_label: str = Field(default="", max_length=200)
    updated_at: datetime = utc_field(default_now=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class WebhookMessage(SQLModel, table=True):
    """One event as sent to every subscriber (its `msg_id` is the `webhook-id` header)."""

    __tablename__ = "webhook_message"

    id: int | None = Field(default=None, primary_key=True)
    msg_id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=60, index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    payload: dict[str, Any] | None = json_field()
    created_at: datetime = utc_field(default_now=True)
    # Events found by a scan (an action item overdue) are sent once: one message per key.
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)


class WebhookDelivery(SQLModel, table=True):
    """One message to one subscription: pending until a 2xx answer, retried with backoff,
    failed when the attempts run out. A redelivery is a new row (`redelivery_of`)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("message_id", "subscription_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="webhook_message.id", index=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    round: int = 1  # 1 for the first delivery, +1 for each redelivery
    redelivery_of: int | None = Field(default=None, foreign_key="webhook_delivery.id")
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = utc_field(nullable=True, index=True)
    lease_until: datetime | None = utc_field(nullable=True)
    leased_by: str | None = Field(default=None, max_length=80)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """One HTTP attempt of a delivery and what the receiver answered."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    at: datetime = utc_field(default_now=True)
    status_code: int | None = None
    response_body: str | None = Field(default=None, max_length=2000)
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
