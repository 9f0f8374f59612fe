"""Receiver URL rules (checked when saved and before every attempt, names resolved) and the
signature against the reference implementation of Standard Webhooks."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from standardwebhooks import Webhook, WebhookVerificationError

from app.models.webhooks import WebhookAttempt, WebhookDelivery
from app.services.errors import Invalid
from app.services.integration import lke_from_surveys
from app.services.webhooks import events, signing, subscriptions, urls
from app.services.webhooks.subscriptions import SubscriptionInput
from tests.factories import principal


def _resolving(monkeypatch, table: dict[str, str]):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_that_resolves_into_a_private_network_is_refused(monkeypatch):
    _resolving(monkeypatch, {"intranet.example.go.id": "10.0.0.5",
                             "portal.example.go.id": "93.184.216.34"})
    assert urls.problems("https://intranet.example.go.id/hook", allow_private=False) == [
        urls.REFUSED_PRIVATE]
    assert urls.problems("https://portal.example.go.id/hook", allow_private=False) == []
    assert urls.problems("https://intranet.example.go.id/hook", allow_private=True) == []
    # 100.64/10 (carrier-grade NAT) is not public either
    assert urls.problems("http://100.64.0.1/", allow_private=False) == [urls.REFUSED_PRIVATE]
    assert urls.problems("http://8.8.8.8:8080/x", allow_private=False) == []


def test_the_target_is_checked_again_before_each_attempt(db, world, monkeypatch, sender,
                                                         campaign):
    """A name that pointed outside when saved and inside when sent is not called."""
    _resolving(monkeypatch, {"flip.example.go.id": "93.184.216.34"})
    sub = subscriptions.create(db, actor=principal(db, world, "coord_a1"),
                               unit_id=world.unit("UNIT-A1"), data=SubscriptionInput(
                                   url="http://flip.example.go.id/hook",
                                   events=[events.CAMPAIGN_CLOSED]))
    _resolving(monkeypatch, {"flip.example.go.id": "127.0.0.1"})
    c = campaign()
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=c.id)
    assert sender.run_once() == 3
    db.expire_all()
    assert db.exec(select(WebhookDelivery)).one().status == "failed"
    attempts = db.exec(select(WebhookAttempt)).all()
    assert {(a.status_code, a.error) for a in attempts} == {(None, urls.REFUSED_PRIVATE)}
    assert sub.allow_private is False


def test_a_coordinator_cannot_take_the_admin_flags(db, world):
    coord = principal(db, world, "coord_a1")
    with pytest.raises(Invalid) as refused:
        subscriptions.create(db, actor=coord, unit_id=world.unit("UNIT-A1"),
                             data=SubscriptionInput(url="http://127.0.0.1/", events=[
                                 events.CAMPAIGN_CLOSED], allow_private=True))
    # both problems at once: the flag is not the coordinator's, so the address is refused too
    assert [e.field for e in refused.value.errors] == ["allow_private", "url"]
    sub = subscriptions.create(db, actor=principal(db, world, "admin"),
                               unit_id=world.unit("UNIT-A1"), data=SubscriptionInput(
                                   url="http://127.0.0.1/", events=[events.CAMPAIGN_CLOSED],
                                   allow_private=True))
    # the coordinator may change other things but not point it elsewhere privately
    with pytest.raises(Invalid):
        subscriptions.update(db, actor=coord, subscription_id=sub.id,
                             data=SubscriptionInput(url="http://10.0.0.1/"))
    changed = subscriptions.update(db, actor=coord, subscription_id=sub.id,
                                   data=SubscriptionInput(description="Kanal internal"))
    assert changed.description == "Kanal internal" and changed.allow_private is True


def test_signature_matches_the_reference_implementation():
    secret = signing.new_secret()
    body = '{"type":"campaign.closed","data":{"judul":"Survei Ü"}}'.encode()
    stamp = 1_764_835_200  # 2025-12-04T08:00:00Z
    ours = signing.signature(secret, msg_id="msg_1", timestamp=stamp, body=body)
    theirs = Webhook(secret).sign("msg_1", datetime.fromtimestamp(stamp, UTC), body)
    assert ours == theirs
    headers = signing.headers(secret, msg_id="msg_1", timestamp=int(datetime.now(UTC)
                                                                   .timestamp()), body=body)
    assert Webhook(secret).verify(body, headers)["data"]["judul"] == "Survei Ü"
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)  # another secret
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)  # a changed body
