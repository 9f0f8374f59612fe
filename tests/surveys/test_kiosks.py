"""Survey kiosks without a browser: registration, the one-time pairing link, the kiosk
credential on the batch endpoint, the kiosk guard, the grace period, revoking, the
coordinator's list, and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.surveys.kiosks import SurveyKiosk
from app.models.surveys.records import SurveyCampaign, SurveyResponse
from app.services.errors import Forbidden, NotFound
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import kiosks as survey_kiosks
from tests.factories import login, principal
from tests.support.problems import problem

U = [f"U{n}" for n in range(1, 10)]
ANSWERS = {"ikm-2017": {code: 4 for code in U}}


def item(key: str, given: datetime | None = None, fill: int | None = 30) -> dict:
    body = {"idempotency_key": key, "answers": ANSWERS, "fill_seconds": fill}
    if given is not None:
        body["submitted_at"] = given.isoformat()
    return body


def register(db, world, campaign, **kwargs) -> survey_kiosks.IssuedPairing:
    return survey_kiosks.create(db, actor=principal(db, world, "coord_a1"),
                                campaign_id=campaign.id, name="Tablet loket 1", **kwargs)


async def paired(client, db, world, campaign, **kwargs) -> tuple[SurveyKiosk, str]:
    issued = register(db, world, campaign, **kwargs)
    page = await client.get(f"/kiosk/pair/{issued.secret}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = await client.post(f"/kiosk/pair/{issued.secret}", data={"csrf_token": csrf})
    assert done.status_code == 200, done.text
    token = re.search(r'data-token="([^"]+)"', done.text).group(1)
    return issued.kiosk, token


def batch_url(campaign) -> str:
    return f"/api/v1/survey-campaigns/{campaign.id}/responses/batch"


async def test_pairing_link_works_once_and_only_its_hash_is_kept(client, db, world,
                                                                 make_campaign):
    campaign = make_campaign()
    issued = register(db, world, campaign)
    page = await client.get(f"/kiosk/pair/{issued.secret}")
    assert page.status_code == 200 and "Pasangkan perangkat ini" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    first = await client.post(f"/kiosk/pair/{issued.secret}", data={"csrf_token": csrf})
    assert first.status_code == 200
    token = re.search(r'data-token="([^"]+)"', first.text).group(1)
    assert token.startswith("zk_")
    second = await client.post(f"/kiosk/pair/{issued.secret}", data={"csrf_token": csrf})
    assert second.status_code == 409
    assert "sudah dipakai" in second.text and "data-token" not in second.text
    again = await client.get(f"/kiosk/pair/{issued.secret}")
    assert again.status_code == 410 and "sudah dipakai" in again.text
    db.expire_all()
    kiosk = db.get(SurveyKiosk, issued.kiosk.id)
    assert issued.secret not in (kiosk.pairing_hash, kiosk.token_hash)
    assert token not in (kiosk.pairing_hash, kiosk.token_hash)
    assert kiosk.token_prefix == token[:12]
    # an unknown link, and a link without a CSRF token, change nothing
    assert (await client.get("/kiosk/pair/nope")).status_code == 404
    assert (await client.post(f"/kiosk/pair/{issued.secret}")).status_code == 403


async def test_an_expired_pairing_link_is_refused(client, db, world, make_campaign):
    campaign = make_campaign()
    issued = register(db, world, campaign, pairing_hours=1)
    kiosk = db.get(SurveyKiosk, issued.kiosk.id)
    kiosk.pairing_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(kiosk)
    db.commit()
    page = await client.get(f"/kiosk/pair/{issued.secret}")
    assert page.status_code == 410 and "kedaluwarsa" in page.text


async def test_kiosk_credential_posts_its_campaign_answers_only(client, db, world,
                                                                make_campaign):
    campaign = make_campaign()
    other = make_campaign(title="Survei lain", label="2019-S2")
    service = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-A1"),
                                              code="sp2d", name="SP2D")
    survey_catalogue.create_source(db, actor=None, campaign_id=campaign.id, tag="loket-1",
                                   label="Loket 1")
    kiosk, token = await paired(client, db, world, campaign, service_id=service.id,
                                source_tag="loket-1")
    headers = {"Authorization": f"Bearer {token}", "Zona-Kiosk-Queue": "5"}
    given = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    sent = await client.post(batch_url(campaign), headers=headers, json={"items": [
        item("k-1", given), item("k-2", given + timedelta(minutes=2))]})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert (body["created"], body["duplicates"], body["refused"]) == (2, 0, [])
    assert [i["submitted_at"] for i in body["items"]] == [
        given.strftime("%Y-%m-%dT%H:%M:%SZ"),
        (given + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")]
    rows = db.exec(select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert [(r.channel, r.kiosk_id, r.service_id, r.source_tag, r.fill_seconds, r.suspect)
            for r in rows] == [("kiosk", kiosk.id, service.id, "loket-1", 30, False)] * 2
    db.expire_all()
    stored = db.get(SurveyKiosk, kiosk.id)
    assert stored.last_sync_at is not None and stored.queue_size == 3  # 5 reported - 2 sent
    # the same batch again (the answer was lost on the way): counted once
    again = await client.post(batch_url(campaign), headers=headers, json={"items": [
        item("k-1", given), item("k-2", given + timedelta(minutes=2))]})
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 2)
    # nothing else: another campaign, reading, the single-response endpoint, pages
    assert (await client.post(batch_url(other), headers=headers,
                              json={"items": [item("k-3")]})).status_code == 404
    for method, url in (
        ("GET", f"/api/v1/survey-campaigns/{campaign.id}/responses"),
        ("POST", f"/api/v1/survey-campaigns/{campaign.id}/responses"),
        ("GET", f"/api/v1/survey-campaigns/{campaign.id}/results"),
    ):
        refused = await client.request(method, url, headers=headers,
                                       json={"answers": ANSWERS} if method == "POST" else None)
        assert refused.status_code == 403, (url, refused.text)
    assert len(db.exec(select(SurveyResponse)).all()) == 2


async def test_kiosk_guard_holds_what_one_counter_cannot_serve(client, db, world, app,
                                                               make_campaign, monkeypatch):
    monkeypatch.setattr(app.state.settings, "survey_kiosk_max_per_minute", 3)
    campaign = make_campaign()
    kiosk, token = await paired(client, db, world, campaign)
    headers = {"Authorization": f"Bearer {token}"}
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    sent = await client.post(batch_url(campaign), headers=headers, json={"items": [
        item("a", t0), item("b", t0 + timedelta(seconds=10), fill=3),
        item("c", t0 + timedelta(seconds=20)), item("c", t0 + timedelta(seconds=25)),
        item("d", t0 + timedelta(seconds=30)), item("e", t0 + timedelta(seconds=200)),
    ]})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    # a, b, c, d within 30 s: d is the 4th > 3; the second "c" is refused, not stored
    assert body["created"] == 5
    assert body["refused"] == [{"idempotency_key": "c", "reason": "duplicate_key",
                                "message": "Kunci jawaban yang sama dua kali dalam satu kiriman"}]
    reasons = {r.idempotency_key: r.suspect_reasons for r in db.exec(select(SurveyResponse))}
    assert reasons == {"a": None, "b": ["too_fast"], "c": None, "d": ["kiosk_rate"], "e": None}
    # a later batch counts the stored answers: one more 5 s after d makes 5 in the minute
    more = await client.post(batch_url(campaign), headers=headers,
                             json={"items": [item("f", t0 + timedelta(seconds=35))]})
    assert more.status_code == 200
    db.expire_all()
    assert db.exec(select(SurveyResponse.suspect_reasons).where(
        SurveyResponse.idempotency_key == "f")).one() == ["kiosk_rate"]


async def test_answers_given_while_open_are_taken_after_the_close_within_grace(
        client, db, world, app, make_campaign):
    campaign = make_campaign()
    kiosk, token = await paired(client, db, world, campaign)
    now = datetime.now(UTC).replace(microsecond=0)
    row = db.get(SurveyCampaign, campaign.id)
    row.status, row.closed_at = "closed", now - timedelta(minutes=30)
    db.add(row)
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    sent = await client.post(batch_url(campaign), headers=headers, json={"items": [
        item("before-close", now - timedelta(hours=2)),
        item("after-close", now - timedelta(minutes=10)),
    ]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["created"] == 1
    assert [(r["idempotency_key"], r["reason"]) for r in sent.json()["refused"]] == [
        ("after-close", "after_close")]
    # the close was 100 hours ago: past the 72-hour grace period, nothing is taken
    row.closed_at = now - timedelta(hours=100)
    db.add(row)
    db.commit()
    late = await client.post(batch_url(campaign), headers=headers, json={"items": [
        item("late", now - timedelta(hours=101))]})
    assert [(r["idempotency_key"], r["reason"]) for r in late.json()["refused"]] == [
        ("late", "grace_over")]
    assert [r.idempotency_key for r in db.exec(select(SurveyResponse))] == ["before-close"]
    # an ordinary API token still meets the closed campaign
    db.expire_all()
    stored = db.get(SurveyKiosk, kiosk.id)
    assert stored.refused_count == 2
    assert stored.last_refusal == "Diterima setelah masa tenggang setelah survei ditutup"
    audit = db.exec(select(AuditRecord).where(AuditRecord.action == "refuse_answers")).all()
    assert len(audit) == 2
    # the coordinator sees it on the kiosk list
    await login(client, "coord_a1")
    page = await client.get(f"/units/{world.unit('UNIT-A1')}/surveys/campaigns/"
                            f"{campaign.id}/kiosks")
    assert "Diterima setelah masa tenggang setelah survei ditutup" in page.text


async def test_revoked_or_expired_credential_is_refused(client, db, world, make_campaign):
    campaign = make_campaign()
    kiosk, token = await paired(client, db, world, campaign)
    headers = {"Authorization": f"Bearer {token}"}
    ok = await client.post(batch_url(campaign), headers=headers, json={"items": [item("1")]})
    assert ok.status_code == 200
    survey_kiosks.revoke(db, actor=principal(db, world, "coord_a1"), kiosk_id=kiosk.id)
    refused = await client.post(batch_url(campaign), headers=headers,
                                json={"items": [item("2")]})
    assert refused.status_code == 401
    assert problem(refused)["status"] == 401
    kiosk2, token2 = await paired(client, db, world, campaign, expires_in_days=1)
    row = db.get(SurveyKiosk, kiosk2.id)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(row)
    db.commit()
    expired = await client.post(batch_url(campaign), json={"items": [item("3")]},
                                headers={"Authorization": f"Bearer {token2}"})
    assert expired.status_code == 401
    assert [r.idempotency_key for r in db.exec(select(SurveyResponse))] == ["1"]


async def test_coordinator_registers_sees_and_revokes_on_the_page(client, db, world,
                                                                  make_campaign):
    campaign = make_campaign()
    unit_id = world.unit("UNIT-A1")
    base = f"/units/{unit_id}/surveys/campaigns/{campaign.id}/kiosks"
    csrf = await login(client, "coord_a1")
    bad = await client.post(base, data={"csrf_token": csrf, "name": "  ",
                                        "expires_in_days": "0"})
    assert bad.status_code == 422
    assert "Nama kiosk wajib diisi." in bad.text and "Masa berlaku 1-3650 hari." in bad.text
    assert db.exec(select(SurveyKiosk)).all() == []
    made = await client.post(base, data={"csrf_token": csrf, "name": "Tablet loket 2",
                                         "expires_in_days": "30"})
    assert made.status_code == 201
    link = re.search(r'id="pairing-link"[^>]*>([^<]+)<', made.text).group(1)
    assert "/kiosk/pair/" in link and "<svg" in made.text
    kiosk = db.exec(select(SurveyKiosk)).one()
    assert kiosk.expires_at is not None
    listed = await client.get(base)
    assert "Tablet loket 2" in listed.text and "Menunggu pemasangan" in listed.text
    assert link not in listed.text  # shown once
    asked = await client.post(f"{base}/{kiosk.id}/revoke", data={"csrf_token": csrf})
    assert asked.status_code == 200 and 'id="confirm-step"' in asked.text  # asks first
    assert "tidak dapat dibatalkan" in asked.text
    db.expire_all()
    assert db.get(SurveyKiosk, kiosk.id).revoked_at is None
    gone = await client.post(f"{base}/{kiosk.id}/revoke",
                             data={"csrf_token": csrf, "confirmed": "1"})
    assert gone.status_code == 303
    db.expire_all()
    assert db.get(SurveyKiosk, kiosk.id).revoked_at is not None
    after = (await client.get(gone.headers["location"])).text
    assert "Dicabut: kiosk &#39;Tablet loket 2&#39;" in after
    assert "Pencabutan tidak dapat dibatalkan" in after and 'id="undo-notice"' not in after
    # the spent link of a revoked kiosk pairs nothing
    secret = link.rsplit("/", 1)[1]
    assert (await client.get(f"/kiosk/pair/{secret}")).status_code == 410


def test_another_units_coordinator_cannot_touch_kiosks(db, world, make_campaign):
    campaign = make_campaign()
    issued = register(db, world, campaign)
    stranger = principal(db, world, "coord_b1")
    with pytest.raises(Forbidden):
        survey_kiosks.create(db, actor=stranger, campaign_id=campaign.id, name="x")
    with pytest.raises(Forbidden):
        survey_kiosks.list_for_campaign(db, actor=stranger, campaign_id=campaign.id)
    with pytest.raises(Forbidden):
        survey_kiosks.revoke(db, actor=stranger, kiosk_id=issued.kiosk.id)
    with pytest.raises(NotFound):
        survey_kiosks.revoke(db, actor=principal(db, world, "coord_a1"),
                             kiosk_id=issued.kiosk.id, campaign_id=campaign.id + 1000)
    db.expire_all()
    assert len(db.exec(select(SurveyKiosk)).all()) == 1
    assert db.get(SurveyKiosk, issued.kiosk.id).revoked_at is None


async def test_kiosk_page_of_a_closed_survey_takes_no_answers_but_still_sends(
        client, db, world, make_campaign):
    campaign = make_campaign()
    kiosk, _token = await paired(client, db, world, campaign)
    page = await client.get(f"/kiosk/{kiosk.id}")
    assert page.status_code == 200 and 'id="kiosk-form"' in page.text
    assert 'rel="manifest"' in page.text and "<script src=\"/static/kiosk.js\"" in page.text
    row = db.get(SurveyCampaign, campaign.id)
    row.status, row.closed_at = "closed", datetime.now(UTC)
    db.add(row)
    db.commit()
    closed = await client.get(f"/kiosk/{kiosk.id}")
    assert closed.status_code == 200
    assert 'id="kiosk-form"' not in closed.text and "Survei ini sudah ditutup." in closed.text
    assert f'data-campaign="{campaign.id}"' in closed.text  # the queue is still sent from here
    manifest = (await client.get(f"/kiosk/{kiosk.id}/manifest.webmanifest")).json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        f"/kiosk/{kiosk.id}", "/kiosk/", "fullscreen")
    worker = await client.get("/kiosk/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith(
        "text/javascript")
    assert "addEventListener(\"fetch\"" in worker.text
    assert (await client.get("/kiosk/99999")).status_code == 404


async def test_one_invalid_answer_does_not_hold_the_queue_back(client, db, world,
                                                               make_campaign):
    campaign = make_campaign()
    service = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-A1"),
                                              code="sp2d", name="SP2D")
    kiosk, token = await paired(client, db, world, campaign)
    given = datetime.now(UTC) - timedelta(minutes=5)
    chose = item("with-service", given)
    chose["service_id"] = service.id
    # the service was deactivated after the answer was given offline
    survey_catalogue.update_service(db, actor=None, service_id=service.id, active=False)
    sent = await client.post(batch_url(campaign), headers={"Authorization": f"Bearer {token}"},
                             json={"items": [chose, item("plain", given)]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["created"] == 1
    [refused] = sent.json()["refused"]
    assert (refused["idempotency_key"], refused["reason"]) == ("with-service", "invalid")
    assert refused["message"].startswith("Jawaban tidak sah untuk survei ini (service: ")
    assert [r.idempotency_key for r in db.exec(select(SurveyResponse))] == ["plain"]


def test_only_the_batch_endpoint_lets_a_kiosk_through(app):
    from fastapi.routing import APIRoute, iter_route_contexts

    def kiosk_ok(dependant) -> bool:
        return bool(getattr(dependant.call, "kiosk", False)) or any(
            kiosk_ok(sub) for sub in dependant.dependencies)

    through = {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and kiosk_ok(context.original_route.dependant)
        for method in context.methods or ()
    }
    assert through == {("POST", "/api/v1/survey-campaigns/{campaign_id}/responses/batch")}
