"""The webhook pages (Indonesian): list and create, refusals shown on the form, the detail
with the secret and the delivery log, redeliver, delete; the menu shows them to managers."""

from __future__ import annotations

from sqlmodel import select

from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.services.integration import lke_from_surveys
from tests.factories import login, principal


async def test_coordinator_creates_and_sees_the_log(client, db, world, receiver, sender,
                                                    campaign):
    unit = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    page = await client.get(f"/units/{unit}/webhooks")
    assert page.status_code == 200
    assert "Tambah langganan" in page.text and "Belum ada langganan webhook." in page.text
    assert "Khusus administrator" not in page.text
    assert f'href="/units/{unit}/webhooks"' in (await client.get(f"/units/{unit}")).text
    # a loopback receiver is refused for a coordinator, with the reason, and nothing stored
    r = await client.post(f"/units/{unit}/webhooks", data={
        "csrf_token": csrf, "url": receiver.url, "events": ["campaign.closed"],
        "active": "1"})
    assert r.status_code == 422
    assert "jaringan privat" in r.text and receiver.url in r.text
    assert db.exec(select(WebhookSubscription)).all() == []
    r = await client.post(f"/units/{unit}/webhooks", data={
        "csrf_token": csrf, "url": "https://93.184.216.34/hook",
        "events": ["campaign.closed", "assessment.final"], "active": "1"})
    assert r.status_code == 303
    sub = db.exec(select(WebhookSubscription)).one()
    assert r.headers["location"] == f"/units/{unit}/webhooks/{sub.id}?created=1"
    detail = await client.get(r.headers["location"])
    assert sub.secret in detail.text and "Log pengiriman" in detail.text
    assert "Belum ada pengiriman." in detail.text
    # a delivery in the log, then redelivered from the page
    sub.url, sub.allow_private = receiver.url, True  # as an administrator would allow
    db.add(sub)
    db.commit()
    receiver.statuses = [410, 410, 410]
    c = campaign()
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=c.id)
    sender.run_once()
    detail = await client.get(f"/units/{unit}/webhooks/{sub.id}")
    assert "campaign.closed" in detail.text and "HTTP 410" in detail.text
    assert "gagal" in detail.text
    delivery = db.exec(select(WebhookDelivery)).one()
    r = await client.post(
        f"/units/{unit}/webhooks/{sub.id}/deliveries/{delivery.id}/redeliver",
        data={"csrf_token": csrf})
    assert r.status_code == 303
    db.expire_all()
    assert len(db.exec(select(WebhookDelivery)).all()) == 2
    # turned off, then deleted
    r = await client.post(f"/units/{unit}/webhooks/{sub.id}", data={
        "csrf_token": csrf, "url": "https://93.184.216.34/hook",
        "events": ["campaign.closed"]})
    assert r.status_code == 303
    db.expire_all()
    assert db.get(WebhookSubscription, sub.id).active is False
    r = await client.post(f"/units/{unit}/webhooks/{sub.id}/delete", data={"csrf_token": csrf})
    assert r.status_code == 200 and 'id="confirm-step"' in r.text  # asked first
    db.expire_all()
    assert db.get(WebhookSubscription, sub.id).deleted_at is None
    r = await client.post(f"/units/{unit}/webhooks/{sub.id}/delete",
                          data={"csrf_token": csrf, "confirmed": "1"})
    assert r.status_code == 303
    db.expire_all()
    assert db.get(WebhookSubscription, sub.id).deleted_at is not None


async def test_pages_in_english_and_for_others(client, make_client, db, world):
    unit = world.unit("UNIT-A1")
    await login(client, "coord_a1")
    page = await client.get(f"/units/{unit}/webhooks?lang=en")
    assert "Add a subscription" in page.text
    member = make_client()
    await login(member, "member_a1")
    assert (await member.get(f"/units/{unit}/webhooks")).status_code == 403
    other = make_client()
    await login(other, "coord_b1")
    assert (await other.get(f"/units/{unit}/webhooks")).status_code == 403


async def test_admin_form_allows_loopback_and_subtree(client, db, world, receiver):
    unit = world.unit("KANWIL-A")
    csrf = await login(client, "admin")
    page = await client.get(f"/units/{unit}/webhooks")
    assert "Khusus administrator" in page.text
    r = await client.post(f"/units/{unit}/webhooks", data={
        "csrf_token": csrf, "url": receiver.url, "events": ["campaign.closed"],
        "active": "1", "include_subtree": "1", "allow_private": "1"})
    assert r.status_code == 303, r.text
    sub = db.exec(select(WebhookSubscription)).one()
    assert sub.include_subtree and sub.allow_private and sub.url == receiver.url
