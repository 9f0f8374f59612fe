"""The delivery log of a subscription and redelivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from app.db import get_row
from app.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookMessage
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Conflict, NotFound
from app.services.webhooks import subscriptions

PENDING, SUCCEEDED, FAILED, CANCELLED = "pending", "succeeded", "failed", "cancelled"
STATUS_NAMES = {
    PENDING: "menunggu", SUCCEEDED: "berhasil", FAILED: "gagal", CANCELLED: "dibatalkan",
}
NOT_FOUND = "Pengiriman webhook tidak ditemukan."


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    message: WebhookMessage
    attempts: list[WebhookAttempt]


@dataclass(frozen=True)
class DeliveryPage:
    items: list[DeliveryView]
    total: int
    limit: int
    offset: int


def _views(session: Session, rows: list[tuple[WebhookDelivery, WebhookMessage]]
           ) -> list[DeliveryView]:
    ids = [d.id for d, _ in rows]
    attempts: dict[int, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        for attempt in session.exec(
            select(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(ids))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
        ).all():
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryView(d, m, attempts[d.id]) for d, m in rows]


def list_for_subscription(
    session: Session, *, actor: Principal | None, subscription_id: int,
    status: str | None = None, limit: int = 50, offset: int = 0,
) -> DeliveryPage:
    """The subscription's deliveries, newest first, each with its attempts."""
    subscriptions.get(session, actor=actor, subscription_id=subscription_id)
    query = select(WebhookDelivery, WebhookMessage).join(
        WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id
    ).where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    limit, offset = min(max(limit, 1), 200), max(offset, 0)
    rows = session.exec(
        query.order_by(col(WebhookDelivery.id).desc()).offset(offset).limit(limit)
    ).all()
    return DeliveryPage(_views(session, list(rows)), total, limit, offset)


def get(session: Session, *, actor: Principal | None, delivery_id: int,
        subscription_id: int | None = None) -> DeliveryView:
    """One delivery with its message and attempts (with ``subscription_id``: only one of
    that subscription)."""
    delivery = get_row(session, WebhookDelivery, delivery_id)
    if delivery is None or (subscription_id is not None
                            and delivery.subscription_id != subscription_id):
        raise NotFound(NOT_FOUND)
    try:
        subscriptions.get(session, actor=actor, subscription_id=delivery.subscription_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    message = session.get(WebhookMessage, delivery.message_id)
    return _views(session, [(delivery, message)])[0]


def redeliver(session: Session, *, actor: Principal | None, delivery_id: int,
              subscription_id: int | None = None) -> DeliveryView:
    """Send the same message again to the same subscription (same webhook-id, so a receiver
    that already has it can tell): a new delivery, attempted at once, with its own retries."""
    view = get(session, actor=actor, delivery_id=delivery_id, subscription_id=subscription_id)
    sub = subscriptions.get(session, actor=actor, subscription_id=view.delivery.subscription_id)
    if not sub.active:
        raise Conflict("Langganan ini sedang nonaktif; aktifkan dulu untuk mengirim ulang.")
    last_round = session.exec(
        select(func.max(WebhookDelivery.round)).where(
            WebhookDelivery.message_id == view.delivery.message_id,
            WebhookDelivery.subscription_id == sub.id,
        )
    ).one()
    now = datetime.now(UTC)
    again = WebhookDelivery(
        message_id=view.delivery.message_id, subscription_id=sub.id,
        round=(last_round or 0) + 1, redelivery_of=view.delivery.id, status=PENDING,
        next_attempt_at=now, created_at=now,
    )
    session.add(again)
    session.flush()
    audit.record(session, actor=actor, action="redeliver", entity="webhook_delivery",
                 entity_id=again.id, unit_id=sub.unit_id,
                 after={"redelivery_of": view.delivery.id, "message": view.message.msg_id,
                        "type": view.message.type, "round": again.round})
    session.commit()
    return DeliveryView(again, view.message, [])
