"""Survey results over JSON: a campaign's indices, a unit's trend and yearly indices.

Indices are given exactly (``"exact": "700/9"``, a fraction) and rounded half-up to two
decimals (``"rounded": "77.78"``), so a client can recompute or just print.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.surveys._common import (
    ExactNumber,
    ReadAny,
    ReadUnit,
    exact,
)
from app.api.surveys.campaigns import CampaignOut, campaign_out
from app.deps import SessionDep
from app.services import units
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results

router = APIRouter(tags=["surveys"])


# --------------------------------------------------------------------------- results


class GradeOut(BaseModel):
    letter: str
    label: str


class ElementOut(BaseModel):
    code: str
    name: str
    nrr: ExactNumber
    answers: int


class InstrumentResultOut(BaseModel):
    code: str
    kind: str
    index_name: str
    scale_min: int
    scale_max: int
    has_data: bool
    value: ExactNumber | None = Field(description="IKM (25-100) or the index on its own scale")
    value_1_4: ExactNumber | None = Field(description="Mean NRR (IKM) or the index on 1-4")
    grade: GradeOut | None
    priority: str | None = Field(description="Weakest element: the priority to improve")
    elements: list[ElementOut]


class ServiceResultOut(BaseModel):
    service_id: int | None
    name: str
    respondents: int
    instruments: list[InstrumentResultOut]


class ProfileGroupOut(BaseModel):
    code: str
    label: str
    count: int
    share: ExactNumber


class ProfileOut(BaseModel):
    field: str
    label: str
    unanswered: int
    groups: list[ProfileGroupOut]


class ResultsOut(BaseModel):
    campaign: CampaignOut
    service_id: int | None
    source: str | None
    respondents: int
    stored: int
    suspect_pending: int
    excluded: int
    minimum_sample: int
    sample_reached: bool
    instruments: list[InstrumentResultOut]
    services: list[ServiceResultOut]
    profile: list[ProfileOut]


def instrument_result_out(r: survey_results.InstrumentResult) -> InstrumentResultOut:
    inst = r.instrument
    grade = r.ikm.grade if r.ikm is not None else None
    return InstrumentResultOut(
        code=inst.code, kind=inst.kind, index_name=r.index_name, scale_min=inst.scale_min,
        scale_max=inst.scale_max, has_data=r.has_data, value=exact(r.value),
        value_1_4=exact(r.value_1_4),
        grade=GradeOut(letter=grade.letter, label=grade.label_id) if grade else None,
        priority=r.priority,
        elements=[ElementOut(code=e.code, name=inst.item(e.code).name.id, nrr=exact(e.nrr),
                             answers=e.count) for e in r.elements],
    )


@router.get("/survey-campaigns/{campaign_id}/results", response_model=ResultsOut)
def results(session: SessionDep, principal: ReadAny, campaign_id: int,
            service_id: int | None = None, source: str | None = None):
    """Exact indices of a campaign over reportable responses (suspect ones left out)."""
    campaign = survey_campaigns.campaign_for(session, actor=principal, campaign_id=campaign_id)
    res = survey_results.campaign_results(
        session, campaign=campaign, service_id=service_id, source=source, actor=principal
    )
    return ResultsOut(
        campaign=campaign_out(session, campaign), service_id=service_id, source=source,
        respondents=res.respondents, stored=res.stored, suspect_pending=res.suspect_pending,
        excluded=res.excluded, minimum_sample=res.minimum_sample,
        sample_reached=res.sample_reached,
        instruments=[instrument_result_out(r) for r in res.instruments],
        services=[ServiceResultOut(
            service_id=s.service_id, name=s.name, respondents=s.respondents,
            instruments=[instrument_result_out(r) for r in s.results],
        ) for s in res.services],
        profile=[ProfileOut(
            field=p.code, label=p.label, unanswered=p.unanswered,
            groups=[ProfileGroupOut(code=g.code, label=label, count=g.count,
                                    share=exact(g.share)) for label, g in p.groups],
        ) for p in res.profile],
    )


class TrendPointOut(BaseModel):
    campaign_id: int
    period: str
    respondents: int
    value: ExactNumber
    value_1_4: ExactNumber
    grade: GradeOut | None
    change: ExactNumber | None
    direction: str | None


@router.get("/units/{unit_id}/survey-trend", response_model=list[TrendPointOut])
def unit_trend(session: SessionDep, principal: ReadUnit, unit_id: int,
               kind: Literal["ikm", "spkp", "spak"] = "ikm", service_id: int | None = None):
    """One index over the unit's campaigns, oldest period first, with the change per period."""
    units.get(session, unit_id=unit_id)
    rows = survey_results.unit_trend(session, unit_id=unit_id, kind=kind, service_id=service_id,
                                     actor=principal)
    out = []
    for r in rows:
        grade = r.result.ikm.grade if r.result.ikm else None
        out.append(TrendPointOut(
            campaign_id=r.campaign.id, period=r.period, respondents=r.respondents,
            value=exact(r.result.value), value_1_4=exact(r.result.value_1_4),
            grade=GradeOut(letter=grade.letter, label=grade.label_id) if grade else None,
            change=exact(r.step.change) if r.step and r.step.change is not None else None,
            direction=r.step.direction if r.step else None,
        ))
    return out


class YearIndexOut(BaseModel):
    kind: str
    index_name: str
    campaign_id: int
    campaign_title: str
    period: str
    closed: bool
    respondents: int
    value: ExactNumber
    value_1_4: ExactNumber


@router.get("/units/{unit_id}/survey-indices", response_model=dict[str, list[YearIndexOut]])
def year_indices(session: SessionDep, principal: ReadUnit, unit_id: int,
                 year: Annotated[int, Query(ge=2000, le=2100)]):
    """Per survey kind, the indices (on 1-4 too) of the unit's campaigns of a year."""
    units.get(session, unit_id=unit_id)
    found = survey_results.year_indices(session, unit_id=unit_id, year=year, actor=principal)
    return {
        kind: [YearIndexOut(
            kind=y.kind, index_name=y.index_name, campaign_id=y.campaign_id,
            campaign_title=y.campaign_title, period=y.period, closed=y.closed,
            respondents=y.respondents, value=exact(y.value), value_1_4=exact(y.value_1_4),
        ) for y in rows]
        for kind, rows in found.items()
    }
