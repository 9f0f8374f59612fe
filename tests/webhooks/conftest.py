"""Webhook tests: a real local receiver, the sender with short retry pauses, helpers."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session
from standardwebhooks import Webhook

from app.services.surveys import campaigns as survey_campaigns
from app.services.webhooks import subscriptions
from app.services.webhooks.events import EVENT_TYPES
from app.services.webhooks.subscriptions import SubscriptionInput
from app.services.webhooks.worker import Sender
from tests.factories import principal
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def sender_settings(settings):
    """Retries without a pause (3 attempts in all), so a test sees them at once."""
    return settings.model_copy(update={"webhooks_retry_schedule": "0,0",
                                       "webhooks_timeout_seconds": 5.0})


@pytest.fixture
def sender(engine, sender_settings):
    return Sender(engine, sender_settings, name="test-sender")


@pytest.fixture
def subscribe(db, world):
    """An administrator subscribes a URL (loopback allowed: the receiver is local)."""

    def factory(url, events=tuple(EVENT_TYPES), unit="UNIT-A1", subtree=False):
        return subscriptions.create(
            db, actor=principal(db, world, "admin"), unit_id=world.unit(unit),
            data=SubscriptionInput(url=url, events=list(events), include_subtree=subtree,
                                   allow_private=True),
        )

    return factory


def verified(sub, received) -> dict:
    """The body of a received delivery, after the reference implementation of Standard
    Webhooks checked its signature (raises when it does not hold)."""
    payload = Webhook(sub.secret).verify(received.body, received.headers)
    assert payload == json.loads(received.body)
    return payload


@pytest.fixture
def campaign(db, world):
    def factory(unit="UNIT-A1"):
        return survey_campaigns.create_campaign(
            db, actor=None, unit_id=world.unit(unit),
            data=survey_campaigns.CampaignInput(
                title="Survei 2019-S1", instrument_codes=["ikm-2017", "spkp", "spak"],
                period_kind="semester", period_label="2019-S1", opens_on=date(2019, 1, 1),
                closes_on=date(2019, 6, 30), population=100,
            ),
        )

    return factory


def fresh(engine) -> Session:
    return Session(engine, expire_on_commit=False)
