"""Token scopes: each action a system may take has a scope; without it the 403 names the
scope (for a token) or the permission (for a person), and nothing changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment
from app.models.lke.review import LkeSubmission
from app.models.surveys.records import SurveyCampaign, SurveyResponse, SurveyService
from app.security.principal import ALL_SCOPES, SCOPE_PERMISSIONS
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import responses as survey_responses
from tests.factories import issue_token, login
from tests.support.lke_review import new_assessment

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-scopes-idempotency.md"
IKM = "ikm-2017"
ALL_FOUR = {(IKM, f"U{n}"): 4 for n in range(1, 10)}


def bearer(db, world, scopes, unit="UNIT-A1") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(db, world, unit, list(scopes))}"}


def refused_for(response, name: str) -> None:
    """A 403 that names what was missing (in the text and, once problem details are in,
    in their ``permission`` member)."""
    assert response.status_code == 403, response.text
    assert f"'{name}'" in response.text
    body = response.json()
    if "permission" in body:
        assert body["permission"] == name


def fresh(db, model, row_id):
    db.expire_all()
    return db.get(model, row_id)


async def test_submit_indicators_lets_a_token_submit(client, db, world):
    a = new_assessment(db, world, complete=True)
    url = f"/api/v1/assessments/{a.id}/submit"
    without = await client.post(url, json={}, headers=bearer(db, world, ["read",
                                                                         "write:indicators"]))
    refused_for(without, "submit:indicators")
    assert fresh(db, Assessment, a.id).status == "draft"

    token = bearer(db, world, ["submit:indicators"])
    response = await client.post(url, json={"note": "dari sistem"}, headers=token)
    assert response.status_code == 200, response.text
    assert response.json()["round"] == 1
    assert fresh(db, Assessment, a.id).status == "submitted"
    submission = db.exec(select(LkeSubmission)).one()
    assert submission.submitted_by is None and submission.submitted_by_token is not None
    assert submission.submitted_by_label == "token:test"


async def test_manage_surveys_lets_a_token_close_and_reopen(client, db, world, make_campaign):
    campaign = make_campaign()
    url = f"/api/v1/survey-campaigns/{campaign.id}/status"
    refused_for(await client.post(url, json={"status": "closed"},
                                  headers=bearer(db, world, ["read", "write:surveys"])),
                "manage:surveys")
    assert fresh(db, SurveyCampaign, campaign.id).status == "open"
    token = bearer(db, world, ["manage:surveys"])
    response = await client.post(url, json={"status": "closed"}, headers=token)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    response = await client.post(url, json={"status": "open"}, headers=token)
    assert response.json()["status"] == "open"


async def test_review_surveys_lets_a_token_review_a_held_answer(client, db, world,
                                                                make_campaign):
    campaign = make_campaign()
    held = survey_responses.record_response(
        db, campaign=campaign, answers=ALL_FOUR, suspect_reasons=["terlalu_cepat"]
    )
    assert fresh(db, SurveyResponse, held.id).reportable is False
    url = f"/api/v1/survey-responses/{held.id}/review"
    refused_for(await client.post(url, json={"decision": "include"},
                                  headers=bearer(db, world, ["read", "manage:surveys"])),
                "review:surveys")
    assert fresh(db, SurveyResponse, held.id).reportable is False
    response = await client.post(url, json={"decision": "include"},
                                 headers=bearer(db, world, ["review:surveys"]))
    assert response.status_code == 200, response.text
    assert response.json()["reportable"] is True
    assert response.json()["review_decision"] == "include"


async def test_deletes_go_with_the_write_scope_of_their_domain(client, db, world,
                                                               make_campaign):
    a = new_assessment(db, world)
    campaign = make_campaign()
    service = survey_catalogue.create_service(
        db, actor=None, unit_id=world.unit("UNIT-A1"), code="paspor", name="Paspor"
    )
    surveys_only = bearer(db, world, ["write:surveys"])
    indicators_only = bearer(db, world, ["write:indicators"])

    refused_for(await client.delete(f"/api/v1/assessments/{a.id}", headers=surveys_only),
                "write:indicators")
    assert fresh(db, Assessment, a.id).deleted_at is None
    response = await client.delete(f"/api/v1/assessments/{a.id}", headers=indicators_only)
    assert response.status_code == 204, response.text
    assert fresh(db, Assessment, a.id).deleted_at is not None

    for url, model, row_id in (
        (f"/api/v1/survey-campaigns/{campaign.id}", SurveyCampaign, campaign.id),
        (f"/api/v1/survey-services/{service.id}", SurveyService, service.id),
    ):
        refused_for(await client.delete(url, headers=indicators_only), "write:surveys")
        assert fresh(db, model, row_id).deleted_at is None
        response = await client.delete(url, headers=surveys_only)
        assert response.status_code == 204, response.text
        assert fresh(db, model, row_id).deleted_at is not None


async def test_a_write_scope_deletes_only_at_its_own_unit(client, db, world):
    a = new_assessment(db, world)
    other = bearer(db, world, ["write:indicators"], unit="UNIT-B1")
    response = await client.delete(f"/api/v1/assessments/{a.id}", headers=other)
    assert response.status_code in (403, 404)
    assert fresh(db, Assessment, a.id).deleted_at is None


async def test_read_audit_lets_a_token_read_the_audit_log(client, db, world, make_campaign):
    make_campaign()
    unit_id = world.unit("UNIT-A1")
    url = f"/api/v1/units/{unit_id}/audit"
    refused_for(await client.get(url, headers=bearer(db, world, ["read"])), "read:audit")
    response = await client.get(url, headers=bearer(db, world, ["read:audit"]))
    assert response.status_code == 200, response.text
    stored = db.exec(select(AuditRecord).where(AuditRecord.unit_id == unit_id)).all()
    assert response.json()["total"] == len(stored) > 0


async def test_a_person_is_told_the_permission(client, db, world):
    a = new_assessment(db, world, complete=True)
    csrf = await login(client, "member_a1")
    response = await client.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                 headers={"X-CSRF-Token": csrf})
    refused_for(response, "indicators.submit")
    response = await client.delete(f"/api/v1/assessments/{a.id}",
                                   headers={"X-CSRF-Token": csrf})
    refused_for(response, "indicators.delete")


async def test_a_permission_no_scope_grants_is_named_as_such(client, db, world):
    """Recording a predicate needs unit.manage, which only people hold."""
    unit_id = world.unit("UNIT-A1")
    response = await client.post(
        f"/api/v1/units/{unit_id}/predicates",
        json={"predicate": "WBK", "year": 2025, "decree_number": "1/2025",
              "decree_date": "2025-12-01"},
        headers=bearer(db, world, list(ALL_SCOPES)),
    )
    refused_for(response, "unit.manage")
    assert "hanya dimiliki pengguna" in response.text


async def test_new_scopes_are_accepted_by_the_token_api_and_unknown_ones_listed(client, db,
                                                                                 world):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    response = await client.post(
        f"/api/v1/units/{unit_id}/tokens",
        json={"name": "SKM", "scopes": ["submit:indicators", "review:surveys", "read:audit",
                                        "manage:surveys"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    assert response.json()["scopes"] == "manage:surveys read:audit review:surveys " \
        "submit:indicators"
    response = await client.post(
        f"/api/v1/units/{unit_id}/tokens",
        json={"name": "   ", "scopes": ["read", "delete:everything", "admin"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    # Every problem at once: the name and both unknown scopes.
    assert "Nama token wajib diisi" in response.text
    assert "delete:everything" in response.text and "admin" in response.text


async def test_the_token_page_offers_every_scope(client, world):
    await login(client, "coord_a1")
    page = await client.get(f"/units/{world.unit('UNIT-A1')}/tokens")
    assert page.status_code == 200
    offered = re.findall(r'name="scopes" value="([^"]+)"', page.text)
    assert offered == list(ALL_SCOPES)


def test_every_scope_is_described_in_both_languages():
    from app.i18n import missing_translations
    from app.security.principal import SCOPE_DESCRIPTIONS

    undescribed = [scope for scope in ALL_SCOPES if not SCOPE_DESCRIPTIONS.get(scope)]
    assert undescribed == [], "add the scope's words to SCOPE_DESCRIPTIONS (principal.py)"
    assert missing_translations("en", list(SCOPE_DESCRIPTIONS.values())) == []


def test_the_scope_table_in_the_docs_is_the_code():
    rows = re.findall(r"^\| `([a-z:]+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    documented = {scope: set(re.findall(r"`([a-z.]+)`", perms)) for scope, perms in rows}
    assert documented == {scope: set(perms) for scope, perms in SCOPE_PERMISSIONS.items()}, (
        "docs/api-scopes-idempotency.md: one table row per scope of SCOPE_PERMISSIONS")


@pytest.mark.parametrize("scope", list(ALL_SCOPES))
def test_every_scope_grants_only_at_the_tokens_unit(db, world, scope):
    from app.services.accounts import tokens

    principal = tokens.authenticate(db, secret=issue_token(db, world, "UNIT-A1", [scope]))
    assert set(principal.grants) == {world.unit("UNIT-A1")}
    assert principal.grants[world.unit("UNIT-A1")] == SCOPE_PERMISSIONS[scope]


async def test_a_scope_held_for_another_unit_is_said_so(client, db, world):
    other_unit = world.unit("UNIT-B1")
    response = await client.get(f"/api/v1/units/{other_unit}/audit",
                                headers=bearer(db, world, ["read:audit"]))
    refused_for(response, "read:audit")
    assert "hanya berlaku untuk unitnya sendiri" in response.text
    csrf = await login(client, "coord_a1")
    response = await client.get(f"/api/v1/units/{other_unit}/audit",
                                headers={"X-CSRF-Token": csrf})
    refused_for(response, "audit.read")
    assert "berlaku di unit lain" in response.text
