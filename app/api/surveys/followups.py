"""A campaign's follow-up plan over JSON: findings, actions, the next period's change, the
PPF4C suggestion, and the copy of an action into the action plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.surveys._common import (
    DeleteAny,
    ExactNumber,
    ReadAny,
    ReadUnit,
    WriteAny,
    exact,
)
from app.deps import IdempotencyKey, SessionDep
from app.services import units
from app.services.integration import survey_followups
from app.services.surveys import followups
from app.services.surveys.inputs import FollowupIn, FollowupPatch

router = APIRouter(tags=["surveys"])




class FollowupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    campaign_id: int
    instrument_code: str
    element_code: str
    action: str
    owner: str
    due_on: date | None
    status: str = Field(description="belum_mulai | berjalan | selesai | batal")
    evidence_title: str
    evidence_url: str
    action_item_id: int | None


class ElementChangeOut(BaseModel):
    before: ExactNumber
    after: ExactNumber | None
    change: ExactNumber | None
    improved: bool | None = Field(description="Next period's NRR strictly higher (exact)")


class ElementPlanOut(BaseModel):
    code: str
    name: str
    nrr: ExactNumber
    weakest: bool = Field(description="Among the three lowest NRRs of the campaign")
    change: ElementChangeOut | None = Field(description="Against the next period, once measured")
    actions: list[FollowupOut]


class InstrumentPlanOut(BaseModel):
    instrument_code: str
    index_name: str
    next_campaign_id: int | None
    weakest: list[str]
    elements: list[ElementPlanOut] = Field(
        description="The three weakest elements, then any other element with actions")


class FollowupPlanOut(BaseModel):
    campaign_id: int
    instruments: list[InstrumentPlanOut]


class FollowupSuggestionOut(BaseModel):
    ref: str
    option: str
    followed_up: int
    findings: int
    evidence_followup_ids: list[int]


@router.get("/survey-campaigns/{campaign_id}/followups", response_model=FollowupPlanOut)
def followup_plan(session: SessionDep, principal: ReadAny, campaign_id: int):
    """The campaign's findings (three weakest elements per instrument), their actions, and
    each element's change in the next period once it is measured."""
    plan = followups.followup_plan(session, actor=principal, campaign_id=campaign_id)
    return FollowupPlanOut(campaign_id=plan.campaign.id, instruments=[InstrumentPlanOut(
        instrument_code=ip.instrument.code, index_name=ip.result.index_name,
        next_campaign_id=ip.next.campaign.id if ip.next else None,
        weakest=[e.code for e in ip.weakest],
        elements=[ElementPlanOut(
            code=e.code, name=e.name, nrr=exact(e.nrr), weakest=e.weakest,
            change=ElementChangeOut(
                before=exact(e.change.before), after=exact(e.change.after),
                change=exact(e.change.change), improved=e.change.improved,
            ) if e.change else None,
            actions=[FollowupOut.model_validate(a) for a in e.actions],
        ) for e in ip.shown],
    ) for ip in plan.instruments])


@router.post("/survey-campaigns/{campaign_id}/followups", response_model=FollowupOut,
             status_code=201)
def create_followup(session: SessionDep, principal: WriteAny, campaign_id: int,
                    body: FollowupIn, _key: IdempotencyKey = None):
    """Add an action to the campaign's follow-up plan."""
    return followups.create_followup(session, actor=principal, campaign_id=campaign_id,
                                     data=body)


@router.get("/survey-followups/{followup_id}", response_model=FollowupOut)
def get_followup(session: SessionDep, principal: ReadAny, followup_id: int):
    return followups.get_followup(session, actor=principal, followup_id=followup_id)


@router.patch("/survey-followups/{followup_id}", response_model=FollowupOut)
def update_followup(session: SessionDep, principal: WriteAny, followup_id: int,
                    body: FollowupPatch):
    """Change the given fields (status, evidence, ...); the whole action must stay valid."""
    return followups.update_followup(session, actor=principal, followup_id=followup_id,
                                     changes=body)


@router.delete("/survey-followups/{followup_id}", status_code=204)
def delete_followup(session: SessionDep, principal: DeleteAny, followup_id: int):
    followups.delete_followup(session, actor=principal, followup_id=followup_id)
    return Response(status_code=204)


@router.post("/survey-followups/{followup_id}/restore", response_model=FollowupOut)
def restore_followup(session: SessionDep, principal: DeleteAny, followup_id: int):
    """Undo a delete. 404 when no deleted action has that id."""
    return followups.restore_followup(session, actor=principal, followup_id=followup_id)


@router.post("/survey-followups/{followup_id}/action-plan", response_model=FollowupOut)
def add_to_action_plan(session: SessionDep, principal: WriteAny, followup_id: int):
    """Copy the action into the unit's action plan (area pelayanan publik, LKE ref PPF4C) and
    link it; needs programme.write as well. 409 when it is already there."""
    row, _item = survey_followups.add_to_action_plan(session, actor=principal,
                                                     followup_id=followup_id)
    return row


@router.get("/units/{unit_id}/survey-followups/lke-suggestion",
            response_model=FollowupSuggestionOut | None)
def lke_suggestion(session: SessionDep, principal: ReadUnit, unit_id: int,
                   year: Annotated[int, Query(ge=2000, le=2100)]):
    """The PPF4C option the follow-up plan supports for a year (null without survey results):
    a suggestion only, with the done actions as its evidence."""
    units.get(session, unit_id=unit_id)
    s = followups.suggest_lke(session, actor=principal, unit_id=unit_id, year=year)
    if s is None:
        return None
    return FollowupSuggestionOut(ref=s.ref, option=s.option, followed_up=s.followed_up,
                                 findings=s.findings,
                                 evidence_followup_ids=[int(i) for i in s.evidence_ids])
