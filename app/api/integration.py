"""Joins between capabilities: survey results and innovations into the LKE worksheet, and a
service's survey index before/after an innovation.

Writes need `write:indicators` (indicators.write at the assessment's unit) and an editable
assessment (draft or returned; otherwise 409). Reads need `read`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.deps import SessionDep, SettingsDep, requires
from app.domain.lke import report_json
from app.security.principal import Principal
from app.services.form_input import TextInput
from app.services.integration import lke_from_innovations as inno
from app.services.integration import lke_from_surveys as fill
from app.services.surveys.results import YearIndex

router = APIRouter(tags=["integration"])

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
WriteAny = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]


class CampaignIndexOut(BaseModel):
    campaign_id: int
    title: str
    period: str
    closed: bool
    respondents: int
    value: str = Field(description="Index on the instrument's own scale, 2 decimals")
    value_1_4: str = Field(description="Index on the LKE's 1-4 scale, 2 decimals")


def _campaign(x: YearIndex) -> CampaignIndexOut:
    return CampaignIndexOut(
        campaign_id=x.campaign_id, title=x.campaign_title, period=x.period, closed=x.closed,
        respondents=x.respondents, value=report_json.dec2(x.value),
        value_1_4=report_json.dec2(x.value_1_4),
    )


class HasilOut(BaseModel):
    ref: str
    index_name: str
    index: str | None = Field(description="What the LKE gets from the surveys (1-4)")
    source: str | None = Field(description="'survey:<campaign id>'")
    campaign: CampaignIndexOut | None
    current_index: str | None
    current_source: str | None
    up_to_date: bool
    reason: str = Field(description="Why nothing can be filled, if so")
    pending: list[CampaignIndexOut]


class CountOut(BaseModel):
    ref: str
    year: int
    count: int = Field(description="IKM campaigns of the year with counted answers")
    campaigns: list[CampaignIndexOut]
    option: str | None = Field(description="The option the count points to")
    option_label: str
    current_option: str | None
    current_source: str | None
    applied: bool
    problem: str


class PlanOut(BaseModel):
    assessment_id: int
    year: int
    editable: bool
    locked_reason: str
    hasil: list[HasilOut]
    ppf4a: CountOut | None


class FillOut(PlanOut):
    changed: list[str]
    links_added: int
    links_removed: int


def _hasil(h: fill.HasilItem) -> HasilOut:
    return HasilOut(
        ref=h.ref, index_name=h.index_name, index=str(h.index) if h.index is not None else None,
        source=h.source, campaign=_campaign(h.chosen) if h.chosen else None,
        current_index=h.current_index, current_source=h.current_source,
        up_to_date=h.up_to_date, reason=h.reason, pending=[_campaign(x) for x in h.pending],
    )


def _count(c: fill.CountSuggestion | None) -> CountOut | None:
    if c is None:
        return None
    return CountOut(
        ref=c.ref, year=c.year, count=c.count, campaigns=[_campaign(x) for x in c.campaigns],
        option=c.option, option_label=c.option_label, current_option=c.current_option,
        current_source=c.current_source, applied=c.applied, problem=c.problem,
    )


def _plan(p: fill.SurveyPlan) -> dict:
    return dict(
        assessment_id=p.assessment.id, year=p.year, editable=p.editable,
        locked_reason=p.locked_reason, hasil=[_hasil(h) for h in p.hasil],
        ppf4a=_count(p.count),
    )


@router.get("/assessments/{assessment_id}/survey-plan", response_model=PlanOut)
def survey_plan(session: SessionDep, principal: ReadAny, assessment_id: int):
    """What the year's surveys give the worksheet: HPA1A (IPKP) and HBA1A (IPAK) from the
    latest closed campaigns, and the PPF4A suggestion (nothing is stored)."""
    return PlanOut(**_plan(fill.plan(session, actor=principal, assessment_id=assessment_id)))


@router.post("/assessments/{assessment_id}/fill-from-surveys", response_model=FillOut)
def fill_from_surveys(
    session: SessionDep, settings: SettingsDep, principal: WriteAny, assessment_id: int
):
    """Fill the Hasil answers from the year's closed SPKP/SPAK campaigns (source
    `survey:<campaign id>`), each campaign's results page linked as evidence. 422 when the
    year has no closed survey with results; 409 when the assessment is locked."""
    result = fill.fill_from_surveys(session, actor=principal, assessment_id=assessment_id,
                                    base_url=settings.base_url)
    return FillOut(**_plan(result.plan), changed=list(result.changed),
                   links_added=result.links_added, links_removed=result.links_removed)


@router.post("/assessments/{assessment_id}/apply-survey-count", response_model=CountOut)
def apply_survey_count(
    session: SessionDep, settings: SettingsDep, principal: WriteAny, assessment_id: int
):
    """Answer PPF4A with the option the year's number of IKM campaigns points to (source
    `survey-count:<year>`), the campaigns linked as evidence."""
    return _count(fill.apply_survey_count(session, actor=principal, assessment_id=assessment_id,
                                          base_url=settings.base_url))


class ApplyIn(TextInput):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"refs": ["PPF2F", "PRF1A", "PRF1B"]}]}
    )
    refs: list[str] = Field(min_length=1, max_length=3)


class AppliedOut(BaseModel):
    ref: str
    option: str | None
    inputs: dict[str, int] | None
    innovation_ids: list[int]
    changed: bool


class ApplyOut(BaseModel):
    assessment_id: int
    answers: list[AppliedOut]
    links_added: int
    links_removed: int


@router.post("/assessments/{assessment_id}/apply-innovations", response_model=ApplyOut)
def apply_innovations(
    session: SessionDep, settings: SettingsDep, principal: WriteAny, assessment_id: int,
    body: ApplyIn,
):
    """Write the innovation registry's suggestions for PPF2F / PRF1A (options) and PRF1B
    (numeric inputs) to the assessment (source `innovations`), the supporting innovations'
    pages linked as evidence."""
    result = inno.apply_to_lke(session, actor=principal, assessment_id=assessment_id,
                               refs=body.refs, base_url=settings.base_url)
    return ApplyOut(
        assessment_id=result.assessment.id, links_added=result.links_added,
        links_removed=result.links_removed,
        answers=[AppliedOut(ref=a.ref, option=a.option, inputs=a.inputs,
                            innovation_ids=list(a.innovation_ids), changed=a.changed)
                 for a in result.answers],
    )


class CampaignLkeOut(BaseModel):
    campaign_id: int
    year: int
    closed: bool
    assessment_id: int | None
    editable: bool
    locked_reason: str
    uses: list[str] = Field(description="Hasil refs whose value comes from this campaign")
    others: list[HasilOut] = Field(description="Hasil refs of its surveys taken elsewhere")


@router.get("/survey-campaigns/{campaign_id}/lke", response_model=CampaignLkeOut)
def campaign_lke(session: SessionDep, principal: ReadAny, campaign_id: int):
    """Which LKE answers of the campaign's year come from this campaign, or why not (no
    assessment, locked, another campaign)."""
    s = fill.campaign_status(session, actor=principal, campaign_id=campaign_id)
    return CampaignLkeOut(
        campaign_id=s.campaign.id, year=s.campaign.year, closed=s.closed,
        assessment_id=s.assessment.id if s.assessment else None, editable=s.editable,
        locked_reason=s.locked_reason, uses=[h.ref for h in s.uses],
        others=[_hasil(h) for h in s.others],
    )


class WindowOut(BaseModel):
    campaigns: list[str] = Field(description="Period labels pooled")
    respondents: int
    ikm: str
    grade: str | None


class ServiceChangeOut(BaseModel):
    service: str
    service_id: int
    launched_on: date
    before: WindowOut
    after: WindowOut
    change: str


def _window(w: inno.WindowIndex) -> WindowOut:
    grade = w.result.ikm.grade.letter if w.result.ikm else None
    return WindowOut(campaigns=[c.period_label for c in w.campaigns], respondents=w.respondents,
                     ikm=report_json.dec2(w.value), grade=grade)


@router.get("/innovations/{innovation_id}/survey-change", response_model=list[ServiceChangeOut])
def survey_change(session: SessionDep, principal: ReadAny, innovation_id: int):
    """Per service of the innovation: its IKM over the closed campaigns before the launch
    and after it, and the change (only services with data on both sides)."""
    return [
        ServiceChangeOut(
            service=c.service.name, service_id=c.service.id,
            launched_on=c.window.launched_on, before=_window(c.before),
            after=_window(c.after), change=report_json.dec2(c.change),
        )
        for c in inno.service_index_changes(session, actor=principal,
                                            innovation_id=innovation_id)
    ]
