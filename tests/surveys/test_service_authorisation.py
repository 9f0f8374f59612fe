"""Every survey service refuses a principal of another unit on its own (no HTTP, no page),
and what it refuses leaves the database as it was."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from app.models.audit import AuditRecord
from app.models.surveys.publication import SurveyPublication
from app.models.surveys.records import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyResponse,
    SurveyService,
    SurveySource,
)
from app.services.errors import Forbidden
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import export as survey_export
from app.services.surveys import publication as survey_publication
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from app.services.surveys import review as survey_review
from tests.factories import principal

IKM = "ikm-2017"
ALL_FOUR = {(IKM, f"U{n}"): 4 for n in range(1, 10)}
MESSAGE = "Anda tidak berwenang untuk tindakan ini"


@pytest.fixture
def setting(db, world, make_campaign):
    """UNIT-A1's campaign with a service, a source and one suspect response; a coordinator of
    UNIT-B1 (every survey permission, but at another unit)."""
    campaign = make_campaign()
    service = survey_catalogue.create_service(
        db, actor=None, unit_id=world.unit("UNIT-A1"), code="paspor", name="Paspor"
    )
    source = survey_catalogue.create_source(
        db, actor=None, campaign_id=campaign.id, tag="loket-1", label="Loket 1"
    )
    recorded = survey_responses.record_response(
        db, campaign=campaign, answers=ALL_FOUR, suspect_reasons=["terlalu_cepat"]
    )
    return {
        "unit_id": world.unit("UNIT-A1"), "campaign": campaign, "service": service,
        "source": source, "response_id": recorded.id,
        "stranger": principal(db, world, "coord_b1"),
    }


def _state(db) -> tuple:
    """Everything a refused call could have changed, read fresh from the database."""
    db.expire_all()
    counts = tuple(
        db.exec(select(func.count()).select_from(model)).one()
        for model in (AuditRecord, SurveyService, SurveySource, SurveyCampaign, SurveyResponse,
                      SurveyAnswer, SurveyPublication)
    )
    campaigns = tuple(db.exec(select(
        SurveyCampaign.id, SurveyCampaign.title, SurveyCampaign.status,
        SurveyCampaign.deleted_at)).all())
    services = tuple(db.exec(select(
        SurveyService.id, SurveyService.name, SurveyService.active,
        SurveyService.deleted_at)).all())
    sources = tuple(db.exec(select(SurveySource.id, SurveySource.deleted_at)).all())
    responses = tuple(db.exec(select(
        SurveyResponse.id, SurveyResponse.review_decision, SurveyResponse.reportable)).all())
    return counts, campaigns, services, sources, responses


def _campaign_input() -> survey_campaigns.CampaignInput:
    return survey_campaigns.CampaignInput(
        title="Survei asing", instrument_codes=[IKM], period_kind="semester",
        period_label="2019-S2", opens_on=date(2019, 7, 1), closes_on=date(2099, 12, 31),
        population=50,
    )


CALLS = {
    # catalogue
    "list_services": lambda db, s: survey_catalogue.list_services(
        db, unit_id=s["unit_id"], actor=s["stranger"]),
    "service_for": lambda db, s: survey_catalogue.service_for(
        db, actor=s["stranger"], service_id=s["service"].id),
    "create_service": lambda db, s: survey_catalogue.create_service(
        db, actor=s["stranger"], unit_id=s["unit_id"], code="asing", name="Asing"),
    "update_service": lambda db, s: survey_catalogue.update_service(
        db, actor=s["stranger"], service_id=s["service"].id, name="Diubah", active=False),
    "delete_service": lambda db, s: survey_catalogue.delete_service(
        db, actor=s["stranger"], service_id=s["service"].id),
    "list_sources": lambda db, s: survey_catalogue.list_sources(
        db, campaign_id=s["campaign"].id, actor=s["stranger"]),
    "create_source": lambda db, s: survey_catalogue.create_source(
        db, actor=s["stranger"], campaign_id=s["campaign"].id, tag="asing", label="Asing"),
    "delete_source": lambda db, s: survey_catalogue.delete_source(
        db, actor=s["stranger"], source_id=s["source"].id),
    # campaigns
    "campaign_for": lambda db, s: survey_campaigns.campaign_for(
        db, actor=s["stranger"], campaign_id=s["campaign"].id),
    "list_campaigns": lambda db, s: survey_campaigns.list_campaigns(
        db, unit_id=s["unit_id"], actor=s["stranger"]),
    "create_campaign": lambda db, s: survey_campaigns.create_campaign(
        db, actor=s["stranger"], unit_id=s["unit_id"], data=_campaign_input()),
    "update_campaign": lambda db, s: survey_campaigns.update_campaign(
        db, actor=s["stranger"], campaign_id=s["campaign"].id, data=_campaign_input()),
    "set_campaign_status": lambda db, s: survey_campaigns.set_campaign_status(
        db, actor=s["stranger"], campaign_id=s["campaign"].id, status="closed"),
    "close_campaign": lambda db, s: survey_campaigns.close_campaign(
        db, actor=s["stranger"], campaign_id=s["campaign"].id),
    "delete_campaign": lambda db, s: survey_campaigns.delete_campaign(
        db, actor=s["stranger"], campaign_id=s["campaign"].id),
    # responses and their review
    "record_batch": lambda db, s: survey_responses.record_batch(
        db, actor=s["stranger"], campaign=s["campaign"],
        items=[survey_responses.BatchItem(answers=ALL_FOUR, idempotency_key="k-1")]),
    "response_for": lambda db, s: survey_review.response_for(
        db, actor=s["stranger"], response_id=s["response_id"]),
    "review_response": lambda db, s: survey_review.review_response(
        db, actor=s["stranger"], response_id=s["response_id"], decision="include"),
    "list_responses": lambda db, s: survey_review.list_responses(
        db, campaign_id=s["campaign"].id, actor=s["stranger"]),
    # results and exports
    "campaign_results": lambda db, s: survey_results.campaign_results(
        db, campaign=s["campaign"], actor=s["stranger"]),
    "unit_trend": lambda db, s: survey_results.unit_trend(
        db, unit_id=s["unit_id"], actor=s["stranger"]),
    "year_indices": lambda db, s: survey_results.year_indices(
        db, unit_id=s["unit_id"], year=2019, actor=s["stranger"]),
    "latest_headline": lambda db, s: survey_results.latest_headline(
        db, unit_id=s["unit_id"], actor=s["stranger"]),
    "export_rows": lambda db, s: survey_export.rows(
        db, actor=s["stranger"], campaign=s["campaign"]),
    # the public results page's switch (the page itself is public: no actor)
    "is_published": lambda db, s: survey_publication.is_published(
        db, unit_id=s["unit_id"], actor=s["stranger"]),
    "set_published": lambda db, s: survey_publication.set_published(
        db, actor=s["stranger"], unit_id=s["unit_id"], published=False),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_principal_of_another_unit_is_refused_by_the_service(db, setting, name):
    before = _state(db)
    with pytest.raises(Forbidden) as info:
        CALLS[name](db, setting)
    assert info.value.message.startswith(MESSAGE)
    # The refusal names what was missing (a permission, since the stranger is a person).
    assert info.value.permission and f"'{info.value.permission}'" in info.value.message
    db.rollback()
    assert _state(db) == before


def test_the_owner_is_served_by_the_same_calls(db, world, setting):
    """The same reads succeed for the unit's own coordinator (the refusal is about the unit)."""
    owner = principal(db, world, "coord_a1")
    unit_id, campaign = setting["unit_id"], setting["campaign"]
    assert [s.code for s in survey_catalogue.list_services(db, unit_id=unit_id, actor=owner)] \
        == ["paspor"]
    assert [s.tag for s in survey_catalogue.list_sources(
        db, campaign_id=campaign.id, actor=owner)] == ["loket-1"]
    assert [c.id for c in survey_campaigns.list_campaigns(db, unit_id=unit_id, actor=owner)] \
        == [campaign.id]
    page = survey_review.list_responses(db, campaign_id=campaign.id, actor=owner)
    assert page.total == 1
    # The only response is suspect, so nothing is reportable yet.
    assert survey_results.campaign_results(db, campaign=campaign, actor=owner).respondents == 0
    header = next(iter(survey_export.rows(db, actor=owner, campaign=campaign)))
    assert header[:2] == ["id", "waktu"]
