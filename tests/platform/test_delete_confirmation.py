"""Every delete button asks first. Without JavaScript the POST arrives without ``confirmed``:
the answer is a confirmation page (what will happen, Confirm / Cancel) and nothing changes.
Posting what that page holds deletes; every delete then says what was deleted and its
undo brings the row back. The walk covers every registered page route ending in /delete, so
a new delete button without the step fails here."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.lke.evidence import Evidence
from app.models.programme import (
    ActionItem,
    Innovation,
    InnovationImpact,
    Milestone,
    Partnership,
    Pillar,
    TeamActivity,
    TeamMember,
)
from app.models.surveys.followups import SurveyFollowup
from app.models.surveys.records import SurveyService, SurveySource
from app.models.webhooks import WebhookSubscription
from app.services.lke import evidence
from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    partnerships,
    pillars,
    team,
)
from app.services.surveys import catalogue, followups
from app.services.surveys.inputs import FollowupIn
from app.services.webhooks import subscriptions
from app.services.webhooks.subscriptions import SubscriptionInput
from tests.factories import login


@pytest.fixture
def rows(db, world, make_campaign):
    """One live row of each deletable kind in UNIT-A1."""
    unit = world.unit("UNIT-A1")
    inn = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "Antrean daring", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": "2017-03-01"})
    campaign = make_campaign()
    return {
        "innovation_id": (Innovation, inn.id),
        "impact_id": (InnovationImpact, innovations.create_impact(
            db, actor=None, innovation_id=inn.id, data={
                "kind": "service_time_minutes", "measure_unit": "menit",
                "before_value": "120", "before_on": "2017-01-10", "after_value": "45",
                "after_on": "2017-09-10"}).id),
        "pillar_id": (Pillar, pillars.create_pillar(db, actor=None, unit_id=unit,
                                                    data={"name": "Pilar Integritas"}).id),
        "member_id": (TeamMember, team.create_member(db, actor=None, unit_id=unit, data={
            "name": "Budi Santoso", "level": "staf"}).id),
        "activity_id": (TeamActivity, team.create_activity(db, actor=None, unit_id=unit, data={
            "kind": "rapat", "held_on": "2017-02-10", "title": "Rapat evaluasi"}).id),
        "item_id": (ActionItem, action_plan.create_action_item(db, actor=None, unit_id=unit,
                    data={"area": "manajemen_perubahan", "activity": "Susun rencana"}).id),
        "partnership_id": (Partnership, partnerships.create_partnership(
            db, actor=None, unit_id=unit, data={"partner": "Bank Mitra", "kind": "bank"}).id),
        "milestone_id": (Milestone, milestones.create_milestone(db, actor=None, unit_id=unit,
                         data={"kind": "pencanangan", "on_date": "2017-01-16"}).id),
        "evidence_id": (Evidence, evidence.add_link(db, actor=None, unit_id=unit,
                                                    url="https://a1.example/sk.pdf",
                                                    title="SK Tim ZI").id),
        "service_id": (SurveyService, catalogue.create_service(db, actor=None, unit_id=unit,
                                                               code="LOKET", name="Loket").id),
        "campaign_id": (None, campaign.id),
        "source_id": (SurveySource, catalogue.create_source(
            db, actor=None, campaign_id=campaign.id, tag="LOKET1", label="Loket 1").id),
        "followup_id": (SurveyFollowup, followups.create_followup(
            db, actor=None, campaign_id=campaign.id,
            data=FollowupIn(element_code="U9", action="Loket prioritas")).id),
        "subscription_id": (WebhookSubscription, subscriptions.create(
            db, actor=None, unit_id=unit, data=SubscriptionInput(
                url="https://93.184.216.34/hook", events=["campaign.closed"])).id),
    }


# Every delete page route, with the id it deletes and the name the undo notice shows.
DELETES = {
    "/units/{unit_id}/innovations/{innovation_id}/delete": ("innovation_id", "Antrean daring"),
    "/units/{unit_id}/innovation-impacts/{impact_id}/delete": ("impact_id", "Ukuran dampak"),
    "/units/{unit_id}/team/members/{member_id}/delete": ("member_id", "Budi Santoso"),
    "/units/{unit_id}/team/activities/{activity_id}/delete": ("activity_id", "Rapat evaluasi"),
    "/units/{unit_id}/action-plan/{item_id}/delete": ("item_id", "Susun rencana"),
    "/units/{unit_id}/partnerships/{partnership_id}/delete": ("partnership_id", "Bank Mitra"),
    "/units/{unit_id}/pillars/{pillar_id}/delete": ("pillar_id", "Pilar Integritas"),
    "/units/{unit_id}/milestones/{milestone_id}/delete": ("milestone_id", "Tonggak"),
    "/evidence/{evidence_id}/delete": ("evidence_id", "Eviden &#39;SK Tim ZI&#39;"),
    "/units/{unit_id}/surveys/services/{service_id}/delete":
        ("service_id", "Layanan &#39;Loket&#39;"),
    "/units/{unit_id}/surveys/campaigns/{campaign_id}/sources/{source_id}/delete":
        ("source_id", "Sumber &#39;Loket 1&#39; (LOKET1)"),
    "/units/{unit_id}/surveys/campaigns/{campaign_id}/followups/{followup_id}/delete":
        ("followup_id", "Tindak lanjut &#39;Loket prioritas&#39;"),
    "/units/{unit_id}/webhooks/{subscription_id}/delete":
        ("subscription_id", "Langganan webhook &#39;https://93.184.216.34/hook&#39;"),
}


def test_the_walk_covers_every_delete_route(app):
    registered = {c.path for c in iter_route_contexts(app.routes)
                  if "POST" in (c.methods or set()) and c.path.endswith("/delete")
                  and not c.path.startswith("/api")}
    assert registered == set(DELETES)


def _audit_count(db) -> int:
    return len(db.exec(select(AuditRecord)).all())


def _hidden_fields(html: str) -> dict[str, str]:
    form = re.search(r'<section class="card confirm-step".*?</form>', html, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))


@pytest.mark.parametrize("path", sorted(DELETES))
async def test_a_delete_without_confirmed_only_asks(client, db, world, rows, path):
    key, name = DELETES[path]
    model, row_id = rows[key]
    ids = {k: v[1] for k, v in rows.items()}
    url = path.format(unit_id=world.unit("UNIT-A1"), **ids)
    csrf = await login(client, "coord_a1")
    audits = _audit_count(db)

    asked = await client.post(url, data={"csrf_token": csrf})
    assert asked.status_code == 200
    assert 'id="confirm-step"' in asked.text and 'id="confirm-cancel"' in asked.text
    db.expire_all()
    assert db.get(model, row_id).deleted_at is None  # nothing changed
    assert _audit_count(db) == audits

    # Confirm: the page posts the same fields with confirmed=1
    fields = _hidden_fields(asked.text)
    assert fields["confirmed"] == "1"
    done = await client.post(url, data=fields)
    assert done.status_code == 303, done.text[:500]
    db.expire_all()
    assert db.get(model, row_id).deleted_at is not None
    assert _audit_count(db) == audits + 1

    back = await client.get(done.headers["location"])
    assert 'id="undo-notice"' in back.text and name in back.text
    action = re.search(r'<form method="post" action="([^"]+/restore[^"]*)"', back.text)
    restored = await client.post(action.group(1), data={"csrf_token": csrf})
    assert restored.status_code == 303
    db.expire_all()
    assert db.get(model, row_id).deleted_at is None
    last = db.exec(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert last.action == "restore"
    page = await client.get(restored.headers["location"])
    assert "Dipulihkan: " in page.text and name in page.text
    assert 'id="undo-notice"' not in page.text


async def test_a_reader_without_the_right_is_refused_before_being_asked(client, db, world, rows):
    model, row_id = rows["pillar_id"]
    csrf = await login(client, "viewer_a1")
    r = await client.post(f"/units/{world.unit('UNIT-A1')}/pillars/{row_id}/delete",
                          data={"csrf_token": csrf, "confirmed": "1"})
    assert r.status_code == 403
    db.expire_all()
    assert db.get(model, row_id).deleted_at is None


async def test_an_undo_that_would_clash_is_refused(client, db, world, rows):
    """A deleted milestone whose place was taken (one declaration per unit) stays deleted."""
    unit = world.unit("UNIT-A1")
    model, row_id = rows["milestone_id"]
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/units/{unit}/milestones/{row_id}/delete",
                          data={"csrf_token": csrf, "confirmed": "1"})
    assert r.status_code == 303
    milestones.create_milestone(db, actor=None, unit_id=unit,
                                data={"kind": "pencanangan", "on_date": "2017-02-01"})
    r = await client.post(f"/units/{unit}/restore/milestone/{row_id}",
                          data={"csrf_token": csrf})
    assert r.status_code == 422
    db.expire_all()
    assert db.get(model, row_id).deleted_at is not None



async def test_revoking_a_token_asks_first(client, db, world):
    from app.models.accounts import ApiToken
    from app.services.accounts import tokens

    unit = world.unit("UNIT-A1")
    token = tokens.create(db, actor=None, unit_id=unit, name="Portal", scopes=["read"]).token
    csrf = await login(client, "coord_a1")
    url = f"/units/{unit}/tokens/{token.id}/revoke"
    asked = await client.post(url, data={"csrf_token": csrf})
    assert asked.status_code == 200 and "Cabut token &#39;Portal&#39;?" in asked.text
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is None
    done = await client.post(url, data=_hidden_fields(asked.text))
    assert done.status_code == 200 and 'id="confirm-step"' not in done.text
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is not None


async def test_the_api_restores_a_deleted_row_with_the_same_use_case(client, db, world, rows):
    from tests.factories import issue_token

    unit = world.unit("UNIT-A1")
    model, row_id = rows["pillar_id"]
    auth = {"Authorization": "Bearer " + issue_token(db, world, "UNIT-A1",
                                                      ["read", "write:programme"])}
    assert (await client.delete(f"/api/v1/pillars/{row_id}", headers=auth)).status_code == 200
    db.expire_all()
    assert db.get(model, row_id).deleted_at is not None
    r = await client.post(f"/api/v1/units/{unit}/deleted/pillar/{row_id}/restore", headers=auth)
    assert r.status_code == 200
    assert r.json() == {"kind": "pillar", "id": row_id, "what": "Pilar",
                        "name": "Pilar Integritas"}
    db.expire_all()
    assert db.get(model, row_id).deleted_at is None
    again = await client.post(f"/api/v1/units/{unit}/deleted/pillar/{row_id}/restore",
                              headers=auth)
    assert again.status_code == 404  # nothing deleted to bring back
    unknown = await client.post(f"/api/v1/units/{unit}/deleted/thing/{row_id}/restore",
                                headers=auth)
    assert unknown.status_code == 404


async def test_a_service_undo_refused_when_its_code_is_taken_and_a_webhook_comes_back_active(
        client, db, world, rows):
    from app.models.surveys.records import SurveyService as Service

    unit = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    _model, service_id = rows["service_id"]
    r = await client.post(f"/units/{unit}/surveys/services/{service_id}/delete",
                          data={"csrf_token": csrf, "confirmed": "1"})
    assert r.status_code == 303
    catalogue.create_service(db, actor=None, unit_id=unit, code="LOKET", name="Loket baru")
    r = await client.post(f"/units/{unit}/surveys/services/{service_id}/restore",
                          data={"csrf_token": csrf})
    assert r.status_code == 422 and "LOKET" in r.text
    db.expire_all()
    assert db.get(Service, service_id).deleted_at is not None

    _model, sub_id = rows["subscription_id"]
    assert db.get(WebhookSubscription, sub_id).active is True
    await client.post(f"/units/{unit}/webhooks/{sub_id}/delete",
                      data={"csrf_token": csrf, "confirmed": "1"})
    db.expire_all()
    assert db.get(WebhookSubscription, sub_id).active is False  # the delete stops it
    await client.post(f"/units/{unit}/webhooks/{sub_id}/restore", data={"csrf_token": csrf})
    db.expire_all()
    assert db.get(WebhookSubscription, sub_id).active is True  # back as it was


async def test_an_evidence_file_no_longer_stored_cannot_come_back(client, db, world, settings):
    import io

    unit = world.unit("UNIT-A1")
    row = evidence.upload_file(db, actor=None, unit_id=unit, filename="sk.pdf",
                               stream=io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
                               upload_dir=settings.resolved_upload_dir(), max_bytes=10**6,
                               title="SK berkas")
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/evidence/{row.id}/delete", data={"csrf_token": csrf, "confirmed": "1"})
    assert r.status_code == 303
    evidence.stored_path(settings.resolved_upload_dir(), row.stored_name).unlink()
    r = await client.post(f"/evidence/{row.id}/restore", data={"csrf_token": csrf})
    assert r.status_code == 422 and "berkasnya sudah tidak ada" in r.text
    db.expire_all()
    assert db.get(Evidence, row.id).deleted_at is not None


async def test_a_revoked_token_page_says_it_cannot_come_back(client, db, world):
    from app.services.accounts import tokens

    unit = world.unit("UNIT-A1")
    token = tokens.create(db, actor=None, unit_id=unit, name="Portal", scopes=["read"]).token
    csrf = await login(client, "coord_a1")
    done = await client.post(f"/units/{unit}/tokens/{token.id}/revoke",
                             data={"csrf_token": csrf, "confirmed": "1"})
    assert "Dicabut: token &#39;Portal&#39;" in done.text
    assert "tidak dapat dibatalkan" in done.text and 'id="undo-notice"' not in done.text


async def test_the_action_plan_shows_a_delete_button_that_asks_first(client, world, rows):
    unit = world.unit("UNIT-A1")
    _model, item_id = rows["item_id"]
    await login(client, "coord_a1")
    page = (await client.get(f"/units/{unit}/action-plan")).text
    form = re.search(rf'<form method="post" action="/units/{unit}/action-plan/{item_id}/delete"'
                     r'[^>]*>', page)
    assert form is not None
    assert "data-confirm=\"Hapus butir rencana aksi 'Susun rencana'?\"" in form.group(0)
    await login(client, "viewer_a1")  # a reader sees no delete button
    page = (await client.get(f"/units/{unit}/action-plan")).text
    assert f"/action-plan/{item_id}/delete" not in page


async def test_an_evidence_deleted_from_the_htmx_library_offers_its_undo_in_place(
        client, db, world, rows):
    _model, evidence_id = rows["evidence_id"]
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/evidence/{evidence_id}/delete",
                          data={"csrf_token": csrf, "confirmed": "1"},
                          headers={"HX-Request": "true", "HX-Target": "library"})
    assert r.status_code == 200 and "<html" not in r.text  # the library block only
    assert r.text.count('id="undo-notice"') == 1 and "Eviden &#39;SK Tim ZI&#39;" in r.text
    assert f'action="/evidence/{evidence_id}/restore"' in r.text
    db.expire_all()
    assert db.get(Evidence, evidence_id).deleted_at is not None


async def test_the_undo_notice_in_english(client, db, world, rows):
    unit = world.unit("UNIT-A1")
    _model, service_id = rows["service_id"]
    csrf = await login(client, "coord_a1")
    done = await client.post(f"/units/{unit}/surveys/services/{service_id}/delete",
                             data={"csrf_token": csrf, "confirmed": "1"})
    page = await client.get(done.headers["location"] + "&lang=en")
    notice = re.search(r'<div class="flash flash-ok undo-notice".*?</div>', page.text, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", notice.group(0)).split())
    assert text == "Deleted: Service &#39;Loket&#39; . Undo delete"


async def test_the_api_restores_services_webhooks_and_evidence_with_the_same_use_cases(
        client, db, world, rows):
    from tests.factories import issue_token

    auth = {"Authorization": "Bearer " + issue_token(
        db, world, "UNIT-A1", ["read", "write:surveys", "manage:webhooks",
                               "write:indicators"])}
    cases = [("service_id", "/api/v1/survey-services/{}", SurveyService),
             ("subscription_id", "/api/v1/webhooks/{}", WebhookSubscription),
             ("evidence_id", "/api/v1/evidence/{}", Evidence)]
    for key, url, model in cases:
        _model, row_id = rows[key]
        gone = await client.delete(url.format(row_id), headers=auth)
        assert gone.status_code in (200, 204), gone.text
        back = await client.post(url.format(row_id) + "/restore", headers=auth)
        assert back.status_code == 200, back.text
        assert back.json()["id"] == row_id
        db.expire_all()
        assert db.get(model, row_id).deleted_at is None
        again = await client.post(url.format(row_id) + "/restore", headers=auth)
        assert again.status_code == 404  # nothing deleted to bring back
    assert db.get(WebhookSubscription, rows["subscription_id"][1]).active is True
    restores = db.exec(select(AuditRecord).where(AuditRecord.action == "restore")).all()
    assert sorted(r.entity for r in restores) == ["evidence", "survey_service",
                                                  "webhook_subscription"]

    other = {"Authorization": "Bearer " + issue_token(db, world, "UNIT-B1",
                                                       ["read", "write:surveys"])}
    _model, service_id = rows["service_id"]
    await client.delete(f"/api/v1/survey-services/{service_id}", headers=auth)
    refused = await client.post(f"/api/v1/survey-services/{service_id}/restore", headers=other)
    assert refused.status_code in (403, 404)
    db.expire_all()
    assert db.get(SurveyService, service_id).deleted_at is not None
