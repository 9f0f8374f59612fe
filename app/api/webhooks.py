"""Webhooks: a unit's subscriptions, their delivery log and redelivery (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Timestamp
from app.deps import IdempotencyKey, SessionDep, SettingsDep, requires
from app.security.principal import Principal
from app.services.form_input import TextInput
from app.services.webhooks import deliveries, subscriptions
from app.services.webhooks.events import EVENT_TYPES
from app.services.webhooks.subscriptions import MANAGE, SubscriptionInput

router = APIRouter(tags=["webhooks"])
Manager = Annotated[Principal, Depends(requires(MANAGE))]
AnyManager = Annotated[Principal, Depends(requires(MANAGE, unit_param=None))]

EventType = Literal[tuple(EVENT_TYPES)]  # type: ignore[valid-type]


class SubscriptionIn(TextInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "url": "https://sistem.example.go.id/zona/webhook",
            "events": ["assessment.submitted", "assessment.final"],
            "description": "Portal pemantauan ZI",
        }]},
    )
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL of the receiver")
    events: list[EventType] = Field(min_length=1)
    description: str = Field("", max_length=200)
    active: bool = True
    include_subtree: bool = Field(
        False, description="Also the events of every unit below (administrators only)."
    )
    allow_private: bool = Field(
        False, description="Allow a private or loopback target (administrators only)."
    )


class SubscriptionPatch(TextInput):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[EventType] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=200)
    active: bool | None = None
    include_subtree: bool | None = None
    allow_private: bool | None = None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    url: str
    events: list[str]
    description: str
    active: bool
    include_subtree: bool
    allow_private: bool
    secret: str = Field(description="Signing secret (whsec_...): verify every delivery with it.")
    created_at: Timestamp
    created_by_label: str
    updated_at: Timestamp


class EventTypeOut(BaseModel):
    type: str
    description: str


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: int
    at: Timestamp
    status_code: int | None = Field(description="The receiver's HTTP status (None: no answer).")
    response_body: str | None = Field(description="The receiver's answer (first 2,000 chars).")
    error: str | None
    duration_ms: int


class WebhookBodyOut(BaseModel):
    """What was posted to the receiver (Standard Webhooks' shape)."""

    type: str
    timestamp: str = Field(description="RFC 3339 UTC, when the event happened.")
    data: dict[str, Any] = Field(description="Event-specific fields (docs/webhooks.md).")


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    message_id: str = Field(description="The webhook-id header: the same on every attempt "
                                         "and redelivery of this event.")
    event_type: str
    payload: WebhookBodyOut
    status: Literal["pending", "succeeded", "failed", "cancelled"]
    round: int
    redelivery_of: int | None
    attempts: int
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    finished_at: Timestamp | None
    attempt_log: list[AttemptOut]


class DeliveryPageOut(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int


def _delivery(view: deliveries.DeliveryView) -> DeliveryOut:
    d, m = view.delivery, view.message
    return DeliveryOut(
        id=d.id, subscription_id=d.subscription_id, message_id=m.msg_id, event_type=m.type,
        payload=WebhookBodyOut.model_validate(m.payload), status=d.status, round=d.round, redelivery_of=d.redelivery_of,
        attempts=d.attempts, next_attempt_at=d.next_attempt_at,
        last_status_code=d.last_status_code, last_error=d.last_error, created_at=d.created_at,
        finished_at=d.finished_at,
        attempt_log=[AttemptOut.model_validate(a) for a in view.attempts],
    )


def _input(body: SubscriptionIn | SubscriptionPatch) -> SubscriptionInput:
    return SubscriptionInput(**body.model_dump(exclude_unset=True))


@router.get("/webhooks/event-types", response_model=list[EventTypeOut])
def list_event_types(principal: AnyManager):
    """Every event type a subscription may ask for."""
    return [EventTypeOut(type=k, description=v) for k, v in EVENT_TYPES.items()]


@router.get("/units/{unit_id}/webhooks", response_model=list[SubscriptionOut])
def list_subscriptions(session: SessionDep, principal: Manager, unit_id: int):
    """The unit's subscriptions."""
    return subscriptions.list_for_unit(session, actor=principal, unit_id=unit_id)


@router.post("/units/{unit_id}/webhooks", response_model=SubscriptionOut, status_code=201)
def create_subscription(
    session: SessionDep, settings: SettingsDep, principal: Manager, unit_id: int,
    body: SubscriptionIn, _key: IdempotencyKey = None,
):
    """Subscribe a receiver URL to event types; the response holds the signing secret
    (also kept for a retry with the same Idempotency-Key: the subscription shows it anyway)."""
    return subscriptions.create(
        session, actor=principal, unit_id=unit_id,
        data=SubscriptionInput(**body.model_dump()),
        allow_private_setting=settings.webhooks_allow_private,
    )


@router.get("/webhooks/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(session: SessionDep, principal: AnyManager, subscription_id: int):
    return subscriptions.get(session, actor=principal, subscription_id=subscription_id)


@router.patch("/webhooks/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(
    session: SessionDep, settings: SettingsDep, principal: AnyManager, subscription_id: int,
    body: SubscriptionPatch,
):
    """Change the URL, event types, description, or turn the subscription on or off."""
    return subscriptions.update(
        session, actor=principal, subscription_id=subscription_id, data=_input(body),
        allow_private_setting=settings.webhooks_allow_private,
    )


@router.post("/webhooks/{subscription_id}/rotate-secret", response_model=SubscriptionOut)
def rotate_secret(session: SessionDep, principal: AnyManager, subscription_id: int):
    """A new signing secret; deliveries from now on are signed with it."""
    return subscriptions.rotate_secret(session, actor=principal, subscription_id=subscription_id)


@router.delete("/webhooks/{subscription_id}", status_code=204, response_class=Response)
def delete_subscription(session: SessionDep, principal: AnyManager, subscription_id: int):
    """Remove the subscription; its delivery log stays readable in the audit log."""
    subscriptions.delete(session, actor=principal, subscription_id=subscription_id)
    return Response(status_code=204)


@router.post("/webhooks/{subscription_id}/restore", response_model=SubscriptionOut)
def restore_subscription(session: SessionDep, principal: AnyManager, subscription_id: int):
    """Undo a delete: the subscription is live again, active as it was (events in between
    are not sent afterwards). 404 when no deleted subscription has that id."""
    return subscriptions.restore(session, actor=principal, subscription_id=subscription_id)


@router.get("/webhooks/{subscription_id}/deliveries", response_model=DeliveryPageOut)
def list_deliveries(
    session: SessionDep, principal: AnyManager, subscription_id: int,
    status: Literal["pending", "succeeded", "failed", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
):
    """The delivery log, newest first, each delivery with every attempt and its answer."""
    page = deliveries.list_for_subscription(
        session, actor=principal, subscription_id=subscription_id, status=status, limit=limit,
        offset=offset,
    )
    return DeliveryPageOut(items=[_delivery(v) for v in page.items], total=page.total,
                           limit=page.limit, offset=page.offset)


@router.get("/webhook-deliveries/{delivery_id}", response_model=DeliveryOut)
def get_delivery(session: SessionDep, principal: AnyManager, delivery_id: int):
    return _delivery(deliveries.get(session, actor=principal, delivery_id=delivery_id))


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response_model=DeliveryOut,
             status_code=202)
def redeliver(session: SessionDep, principal: AnyManager, delivery_id: int):
    """Send the event again (same webhook-id) as a new delivery, attempted at once."""
    return _delivery(deliveries.redeliver(session, actor=principal, delivery_id=delivery_id))
