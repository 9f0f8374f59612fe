"""Survey campaigns over JSON: create, change, open/close, delete.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.api.surveys._common import (
    DeleteAny,
    ManageAny,
    ReadAny,
    ReadUnit,
    WriteAny,
    WriteUnit,
)
from app.deps import IdempotencyKey, SessionDep
from app.services import units
from app.services.integration import lke_from_surveys
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys.inputs import CampaignIn, StatusIn

router = APIRouter(tags=["surveys"])


# --------------------------------------------------------------------------- campaigns


class CampaignOut(BaseModel):
    id: int
    unit_id: int
    title: str
    instruments: list[str]
    period_kind: str
    period_label: str
    year: int
    opens_on: date
    closes_on: date
    population: int
    status: str
    state: str = Field(description="open, draft, not_yet, ended or closed, as of now")
    public_code: str
    public_path: str
    is_demo: bool


def campaign_out(session, campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id, unit_id=campaign.unit_id, title=campaign.title,
        instruments=[i.code for i in survey_campaigns.instruments_of(session, campaign)],
        period_kind=campaign.period_kind, period_label=campaign.period_label,
        year=campaign.year, opens_on=campaign.opens_on, closes_on=campaign.closes_on,
        population=campaign.population, status=campaign.status,
        state=survey_campaigns.campaign_state(campaign), public_code=campaign.public_code,
        public_path=f"/s/{campaign.public_code}", is_demo=campaign.is_demo,
    )


@router.get("/units/{unit_id}/survey-campaigns", response_model=list[CampaignOut])
def list_campaigns(session: SessionDep, principal: ReadUnit, unit_id: int,
                   year: int | None = None):
    """The unit's campaigns, newest period first."""
    units.get(session, unit_id=unit_id)
    campaigns = survey_campaigns.list_campaigns(
        session, unit_id=unit_id, year=year, actor=principal
    )
    return [campaign_out(session, c) for c in campaigns]


@router.post("/units/{unit_id}/survey-campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(session: SessionDep, principal: WriteUnit, unit_id: int, body: CampaignIn,
                    _key: IdempotencyKey = None):
    """Create an open campaign with a fresh public link /s/{code}."""
    campaign = survey_campaigns.create_campaign(
        session, actor=principal, unit_id=unit_id, data=body
    )
    return campaign_out(session, campaign)


@router.get("/survey-campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(session: SessionDep, principal: ReadAny, campaign_id: int):
    campaign = survey_campaigns.campaign_for(session, actor=principal, campaign_id=campaign_id)
    return campaign_out(session, campaign)


@router.put("/survey-campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(session: SessionDep, principal: WriteAny, campaign_id: int, body: CampaignIn):
    """Replace a campaign's settings (instruments are fixed once it has responses)."""
    campaign = survey_campaigns.update_campaign(
        session, actor=principal, campaign_id=campaign_id, data=body
    )
    return campaign_out(session, campaign)


@router.post("/survey-campaigns/{campaign_id}/status", response_model=CampaignOut)
def set_status(session: SessionDep, principal: ManageAny, campaign_id: int, body: StatusIn):
    """Close a campaign (or reopen it)."""
    campaign = lke_from_surveys.set_campaign_status(
        session, actor=principal, campaign_id=campaign_id, status=body.status
    )
    return campaign_out(session, campaign)


@router.delete("/survey-campaigns/{campaign_id}", status_code=204)
def delete_campaign(session: SessionDep, principal: DeleteAny, campaign_id: int):
    survey_campaigns.delete_campaign(session, actor=principal, campaign_id=campaign_id)
    return Response(status_code=204)
