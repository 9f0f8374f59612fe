"""Retries with backoff, the delivery log with every answer, redelivery, and the outbox
surviving a restart (a sender that died with a lease; a new process; the app's own thread)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.models.webhooks import WebhookAttempt, WebhookDelivery
from app.services.integration import lke_from_surveys
from app.services.webhooks import deliveries, events, subscriptions
from app.services.webhooks.subscriptions import SubscriptionInput
from app.services.webhooks.worker import Sender
from tests.factories import principal
from tests.webhooks.conftest import verified


def _close(db, world, campaign):
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=campaign.id)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_failing_receiver_is_retried_until_it_answers(db, world, receiver, sender, subscribe,
                                                      campaign):
    receiver.statuses = [500, 503]  # down twice, then 200
    sub = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    _close(db, world, campaign())
    assert sender.run_once() == 3
    assert [r.answered for r in receiver.received] == [500, 503, 200]
    # the same event each time: same webhook-id and body, each attempt signed anew
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    for r in receiver.received:
        verified(sub, r)
    db.expire_all()
    delivery = db.exec(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    log = db.exec(select(WebhookAttempt).order_by(WebhookAttempt.number)).all()
    assert [(a.number, a.status_code, a.response_body) for a in log] == [
        (1, 500, "receiver is down"), (2, 503, "receiver is down"), (3, 200, "ok")]


def test_backoff_follows_the_schedule_then_gives_up(db, world, engine, settings, receiver,
                                                    subscribe, campaign):
    receiver.statuses = [500, 500, 500]
    sender = Sender(engine, settings.model_copy(
        update={"webhooks_retry_schedule": "60,600"}), name="slow")
    subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    _close(db, world, campaign())
    assert sender.run_once() == 1
    assert sender.run_once() == 0  # not due for a minute
    db.expire_all()
    d = db.exec(select(WebhookDelivery)).one()
    first = db.exec(select(WebhookAttempt)).one()
    wait = _aware(d.next_attempt_at) - _aware(first.at)
    assert timedelta(seconds=59) < wait < timedelta(seconds=62)
    later = _aware(d.next_attempt_at) + timedelta(seconds=1)
    assert sender.run_once(now=later) == 1
    db.expire_all()
    d = db.get(WebhookDelivery, d.id)
    second = db.exec(select(WebhookAttempt).where(WebhookAttempt.number == 2)).one()
    wait = _aware(d.next_attempt_at) - _aware(second.at)
    assert timedelta(seconds=599) < wait < timedelta(seconds=602)
    assert sender.run_once(now=_aware(d.next_attempt_at) + timedelta(seconds=1)) == 1
    db.expire_all()
    d = db.get(WebhookDelivery, d.id)
    # 1 + 2 retries: the schedule is used up, the delivery failed and waits for a person
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 3, None)
    assert sender.run_once(now=datetime.now(UTC) + timedelta(days=2)) == 0


def test_redeliver_sends_the_same_message_again(db, world, receiver, sender, subscribe,
                                                campaign):
    receiver.statuses = [500, 500, 500]
    sub = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    _close(db, world, campaign())
    sender.run_once()
    db.expire_all()
    failed = db.exec(select(WebhookDelivery)).one()
    assert failed.status == "failed"
    again = deliveries.redeliver(db, actor=principal(db, world, "coord_a1"),
                                 delivery_id=failed.id)
    assert (again.delivery.round, again.delivery.redelivery_of) == (2, failed.id)
    assert sender.run_once() == 1
    assert [r.answered for r in receiver.received] == [500, 500, 500, 200]
    assert receiver.received[-1].headers["webhook-id"] == receiver.received[0].headers[
        "webhook-id"]
    verified(sub, receiver.received[-1])
    db.expire_all()
    assert db.get(WebhookDelivery, again.delivery.id).status == "succeeded"
    assert db.get(WebhookDelivery, failed.id).status == "failed"  # its log is kept as it was


def test_a_lease_left_by_a_dead_sender_expires(db, world, engine, sender_settings, receiver,
                                               subscribe, campaign):
    subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    _close(db, world, campaign())
    dead = Sender(engine, sender_settings, name="dead")
    assert len(dead.claim()) == 1  # leased, then the process died before sending
    other = Sender(engine, sender_settings, name="other")
    assert other.run_once() == 0  # the lease holds: nobody sends it twice
    assert other.run_once(now=datetime.now(UTC) + timedelta(minutes=5)) == 1
    assert len(receiver.received) == 1


def test_outbox_survives_a_restart_and_a_new_process_sends_it(
        db, world, settings, receiver, subscribe, campaign):
    """The event is stored with the close; no sender runs; a separate process started
    afterwards (`zona webhooks run --once`) delivers it."""
    sub = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    c = campaign()
    _close(db, world, c)
    assert receiver.received == []
    env = {**os.environ, "ZONA_DATABASE_URL": settings.database_url,
           "ZONA_SECRET_KEY": settings.secret_key, "ZONA_DATA_DIR": str(settings.data_dir)}
    done = subprocess.run([sys.executable, "-m", "app.cli", "webhooks", "run", "--once"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Webhook attempts made: 1" in done.stdout
    assert len(receiver.received) == 1
    assert verified(sub, receiver.received[0])["data"]["campaign_id"] == c.id


async def test_the_app_sends_from_its_own_thread(db, world, settings, receiver, subscribe,
                                                 campaign):
    from app.main import create_app

    sub = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    _close(db, world, campaign())  # stored while no app runs
    app = create_app(settings.model_copy(update={"webhooks_worker": True,
                                                 "webhooks_poll_seconds": 0.1}))
    async with app.router.lifespan_context(app):
        assert app.state.webhook_worker is not None
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    app.state.engine.dispose()
    assert len(receiver.received) == 1
    verified(sub, receiver.received[0])


def test_turned_off_or_deleted_subscriptions_get_nothing(db, world, receiver, sender,
                                                         subscribe, campaign):
    coord = principal(db, world, "coord_a1")
    off = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    gone = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED])
    _close(db, world, campaign())  # two deliveries in the outbox, not sent yet
    subscriptions.update(db, actor=coord, subscription_id=off.id,
                         data=SubscriptionInput(active=False))
    subscriptions.delete(db, actor=coord, subscription_id=gone.id)
    assert sender.run_once() == 2
    assert receiver.received == []
    db.expire_all()
    assert [d.status for d in db.exec(select(WebhookDelivery)).all()] == ["cancelled"] * 2
    # a new event finds no live subscription: nothing stored at all
    _close(db, world, campaign())
    db.expire_all()
    assert len(db.exec(select(WebhookDelivery)).all()) == 2
