"""The webhooks API: typed subscriptions and delivery log, URL rules, who may do what,
audit, and redelivery."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.webhooks import WebhookSubscription
from app.services.integration import lke_from_surveys
from tests.factories import issue_token, login, principal

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _bearer(db, world, unit="UNIT-A1", scopes=("read", "manage:webhooks")):
    return {"Authorization": f"Bearer {issue_token(db, world, unit, list(scopes))}"}


async def test_a_token_with_the_scope_manages_its_units_webhooks(client, db, world):
    unit = world.unit("UNIT-A1")
    h = _bearer(db, world)
    r = await client.post(f"/api/v1/units/{unit}/webhooks", headers=h, json={
        "url": "https://93.184.216.34/zona", "events": ["campaign.closed"],
        "description": "Portal"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) == 6 + 44
    assert body["events"] == ["campaign.closed"] and body["active"] is True
    assert STAMP.match(body["created_at"]) and STAMP.match(body["updated_at"])
    sub_id = body["id"]
    listed = (await client.get(f"/api/v1/units/{unit}/webhooks", headers=h)).json()
    assert [s["id"] for s in listed] == [sub_id]
    r = await client.patch(f"/api/v1/webhooks/{sub_id}", headers=h,
                           json={"active": False, "events": ["campaign.closed",
                                                             "assessment.final"]})
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["events"] == ["campaign.closed", "assessment.final"]
    old_secret = body["secret"]
    r = await client.post(f"/api/v1/webhooks/{sub_id}/rotate-secret", headers=h)
    assert r.status_code == 200 and r.json()["secret"] != old_secret
    assert (await client.delete(f"/api/v1/webhooks/{sub_id}", headers=h)).status_code == 204
    assert (await client.get(f"/api/v1/webhooks/{sub_id}", headers=h)).status_code == 404
    db.expire_all()
    actions = [r.action for r in db.exec(select(AuditRecord).where(
        AuditRecord.entity == "webhook_subscription").order_by(AuditRecord.id)).all()]
    assert actions == ["create", "update", "rotate_secret", "delete"]
    # the secret never goes into the audit log
    assert all("secret" not in (r.after or {}) for r in db.exec(select(AuditRecord)).all())
    types = (await client.get("/api/v1/webhooks/event-types", headers=h)).json()
    assert [t["type"] for t in types] == [
        "assessment.submitted", "assessment.returned", "assessment.accepted",
        "assessment.final", "assessment.verdict_changed", "campaign.closed",
        "survey.answers_held", "action_item.overdue"]


async def test_refused_urls_change_nothing(client, db, world):
    unit = world.unit("UNIT-A1")
    h = _bearer(db, world)
    cases = {
        "ftp://example.go.id/x": "http:// atau https://",
        "file:///etc/passwd": "http:// atau https://",
        "http://127.0.0.1:8080/hook": "jaringan privat",
        "http://localhost/hook": "jaringan privat",
        "http://10.1.2.3/hook": "jaringan privat",
        "http://192.168.1.10/hook": "jaringan privat",
        "http://169.254.169.254/latest/meta-data": "jaringan privat",
        "http://[::1]/hook": "jaringan privat",
        "http://[::ffff:127.0.0.1]/hook": "jaringan privat",
        "https://user:pw@example.go.id/hook": "nama pengguna",
        "https:///hook": "nama host",
    }
    for url, words in cases.items():
        r = await client.post(f"/api/v1/units/{unit}/webhooks", headers=h,
                              json={"url": url, "events": ["campaign.closed"]})
        assert r.status_code == 422, (url, r.text)
        assert words in r.text, (url, r.text)
    # an unknown event type is a validation error too
    r = await client.post(f"/api/v1/units/{unit}/webhooks", headers=h,
                          json={"url": "https://93.184.216.34/", "events": ["nope"]})
    assert r.status_code == 422
    # only an administrator may cover the subtree or allow a private target
    for flag in ("include_subtree", "allow_private"):
        r = await client.post(f"/api/v1/units/{unit}/webhooks", headers=h, json={
            "url": "http://127.0.0.1:9/hook", "events": ["campaign.closed"], flag: True})
        assert r.status_code == 422 and "administrator" in r.text
    assert db.exec(select(WebhookSubscription)).all() == []


async def test_admin_may_allow_loopback_and_subtree(client, db, world):
    csrf = await login(client, "admin")
    r = await client.post(f"/api/v1/units/{world.unit('KANWIL-A')}/webhooks",
                          headers={"X-CSRF-Token": csrf}, json={
                              "url": "http://127.0.0.1:9/hook", "events": ["campaign.closed"],
                              "include_subtree": True, "allow_private": True})
    assert r.status_code == 201, r.text
    assert r.json()["include_subtree"] is True and r.json()["allow_private"] is True


async def test_who_may_see_and_change(client, make_client, db, world):
    unit = world.unit("UNIT-A1")
    h = _bearer(db, world)
    sub = (await client.post(f"/api/v1/units/{unit}/webhooks", headers=h, json={
        "url": "https://93.184.216.34/", "events": ["campaign.closed"]})).json()
    # a token without the scope, a member, and another unit's coordinator
    read_only = _bearer(db, world, scopes=("read",))
    r = await client.get(f"/api/v1/units/{unit}/webhooks", headers=read_only)
    assert r.status_code == 403
    assert (await client.get(f"/api/v1/webhooks/{sub['id']}", headers=read_only)
            ).status_code in (403, 404)
    member = make_client()
    await login(member, "member_a1")
    assert (await member.get(f"/api/v1/units/{unit}/webhooks")).status_code == 403
    other = _bearer(db, world, unit="UNIT-B1")
    assert (await client.get(f"/api/v1/webhooks/{sub['id']}", headers=other)).status_code == 404
    assert (await client.patch(f"/api/v1/webhooks/{sub['id']}", headers=other,
                               json={"active": False})).status_code == 404
    assert (await client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=other)
            ).status_code == 404
    coordinator = make_client()
    await login(coordinator, "coord_a1")
    assert (await coordinator.get(f"/api/v1/webhooks/{sub['id']}")).status_code == 200


async def test_delivery_log_and_redeliver(client, db, world, receiver, sender, subscribe,
                                          campaign):
    receiver.statuses = [500, 500, 500]
    sub = subscribe(receiver.url, events=["campaign.closed"])
    c = campaign()
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=c.id)
    sender.run_once()
    h = _bearer(db, world)
    page = (await client.get(f"/api/v1/webhooks/{sub.id}/deliveries", headers=h)).json()
    assert page["total"] == 1
    d = page["items"][0]
    assert (d["status"], d["attempts"], d["last_status_code"]) == ("failed", 3, 500)
    assert d["event_type"] == "campaign.closed" and d["payload"]["data"]["campaign_id"] == c.id
    assert [(a["number"], a["status_code"], a["response_body"]) for a in d["attempt_log"]] == [
        (1, 500, "receiver is down"), (2, 500, "receiver is down"), (3, 500, "receiver is down")]
    assert all(STAMP.match(a["at"]) for a in d["attempt_log"])
    assert STAMP.match(d["finished_at"]) and d["next_attempt_at"] is None
    r = await client.post(f"/api/v1/webhook-deliveries/{d['id']}/redeliver", headers=h)
    assert r.status_code == 202, r.text
    again = r.json()
    assert (again["status"], again["round"], again["redelivery_of"]) == ("pending", 2, d["id"])
    assert again["message_id"] == d["message_id"]
    sender.run_once()
    got = (await client.get(f"/api/v1/webhook-deliveries/{again['id']}", headers=h)).json()
    assert (got["status"], got["attempts"], got["last_status_code"]) == ("succeeded", 1, 200)
    only_failed = (await client.get(f"/api/v1/webhooks/{sub.id}/deliveries?status=failed",
                                    headers=h)).json()
    assert [i["id"] for i in only_failed["items"]] == [d["id"]]
    db.expire_all()
    assert db.exec(select(AuditRecord).where(AuditRecord.action == "redeliver")).one()
    other = _bearer(db, world, unit="UNIT-B1")
    assert (await client.post(f"/api/v1/webhook-deliveries/{d['id']}/redeliver",
                              headers=other)).status_code == 404
