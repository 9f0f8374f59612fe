"""Surveys over JSON: service types, campaigns, responses (one or a batch), results, trend.

Indices are given exactly (``"exact": "700/9"``, a fraction) and rounded half-up to two
decimals (``"rounded": "77.78"``), so a client can recompute or just print.
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.deps import SessionDep, requires
from app.domain.surveys.indices import round_half_up
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from app.services.surveys import review as survey_review

router = APIRouter(tags=["surveys"])

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("surveys.write"))]
WriteAny = Annotated[Principal, Depends(requires("surveys.write", unit_param=None))]
ManageAny = Annotated[Principal, Depends(requires("surveys.manage", unit_param=None))]


def exact(value: Fraction | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"exact": f"{value.numerator}/{value.denominator}"
            if value.denominator != 1 else str(value.numerator),
            "rounded": str(round_half_up(value, 2))}


class ExactNumber(BaseModel):
    exact: str = Field(description="Exact value: an integer or a fraction 'p/q'.")
    rounded: str = Field(description="Half-up to 2 decimals, dot separator.")


# --------------------------------------------------------------------------- instruments


class InstrumentItemOut(BaseModel):
    code: str
    name: str
    question: str


class InstrumentOut(BaseModel):
    id: int
    code: str
    version: int
    kind: str
    title: str
    scale_min: int
    scale_max: int
    items: list[InstrumentItemOut]
    profile: dict[str, list[str]]


@router.get("/survey-instruments", response_model=list[InstrumentOut])
def list_instruments(session: SessionDep, principal: ReadAny):
    """The newest version of every survey instrument, with item codes and profile options."""
    out = []
    for row in survey_instruments.latest(session):
        inst = survey_instruments.parsed(row)
        out.append(InstrumentOut(
            id=row.id, code=row.code, version=row.version, kind=row.kind, title=inst.title.id,
            scale_min=inst.scale_min, scale_max=inst.scale_max,
            items=[InstrumentItemOut(code=i.code, name=i.name.id, question=i.question.id)
                   for i in inst.items],
            profile={f.code: list(f.option_codes) for f in inst.profile},
        ))
    return out


# --------------------------------------------------------------------------- services


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    code: str
    name: str
    description: str
    active: bool


class ServiceIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    active: bool = True
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"code": "sp2d", "name": "Pencairan dana (penerbitan SP2D)", "description": "",
         "active": True}]})


class ServicePatch(BaseModel):
    code: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    active: bool | None = None
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})


@router.get("/units/{unit_id}/survey-services", response_model=list[ServiceOut])
def list_services(session: SessionDep, principal: ReadUnit, unit_id: int):
    """The unit's service types (jenis layanan), active and inactive."""
    units.get(session, unit_id=unit_id)
    return survey_catalogue.list_services(session, unit_id=unit_id)


@router.post("/units/{unit_id}/survey-services", response_model=ServiceOut, status_code=201)
def create_service(session: SessionDep, principal: WriteUnit, unit_id: int, body: ServiceIn):
    units.get(session, unit_id=unit_id)
    return survey_catalogue.create_service(session, actor=principal, unit_id=unit_id, **body.model_dump())


@router.patch("/survey-services/{service_id}", response_model=ServiceOut)
def update_service(session: SessionDep, principal: WriteAny, service_id: int, body: ServicePatch):
    return survey_catalogue.update_service(
        session, actor=principal, service_id=service_id, **body.model_dump()
    )


@router.delete("/survey-services/{service_id}", status_code=204)
def delete_service(session: SessionDep, principal: ManageAny, service_id: int):
    survey_catalogue.delete_service(session, actor=principal, service_id=service_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- campaigns


class CampaignIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    instruments: list[str] = Field(min_length=1, max_length=3)
    period_kind: Literal["quarter", "semester", "year"]
    period_label: str = Field(min_length=4, max_length=10)
    opens_on: date
    closes_on: date
    population: StrictInt = Field(ge=1)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "Survei Kepuasan dan Persepsi Semester I 2019",
        "instruments": ["ikm-2017", "spkp", "spak"], "period_kind": "semester",
        "period_label": "2019-S1", "opens_on": "2019-01-02", "closes_on": "2019-06-28",
        "population": 1200}]})

    def data(self) -> survey_campaigns.CampaignInput:
        return survey_campaigns.CampaignInput(
            title=self.title, instrument_codes=self.instruments, period_kind=self.period_kind,
            period_label=self.period_label, opens_on=self.opens_on, closes_on=self.closes_on,
            population=self.population,
        )


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


class StatusIn(BaseModel):
    status: Literal["open", "closed"]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "closed"}]})


@router.get("/units/{unit_id}/survey-campaigns", response_model=list[CampaignOut])
def list_campaigns(session: SessionDep, principal: ReadUnit, unit_id: int,
                   year: int | None = None):
    """The unit's campaigns, newest period first."""
    units.get(session, unit_id=unit_id)
    return [campaign_out(session, c) for c in survey_campaigns.list_campaigns(session, unit_id=unit_id,
                                                                      year=year)]


@router.post("/units/{unit_id}/survey-campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(session: SessionDep, principal: WriteUnit, unit_id: int, body: CampaignIn):
    """Create an open campaign with a fresh public link /s/{code}."""
    campaign = survey_campaigns.create_campaign(session, actor=principal, unit_id=unit_id, data=body.data())
    return campaign_out(session, campaign)


@router.get("/survey-campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(session: SessionDep, principal: ReadAny, campaign_id: int):
    campaign = survey_campaigns.campaign_for(session, actor=principal, campaign_id=campaign_id)
    return campaign_out(session, campaign)


@router.put("/survey-campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(session: SessionDep, principal: WriteAny, campaign_id: int, body: CampaignIn):
    """Replace a campaign's settings (instruments are fixed once it has responses)."""
    campaign = survey_campaigns.update_campaign(
        session, actor=principal, campaign_id=campaign_id, data=body.data()
    )
    return campaign_out(session, campaign)


@router.post("/survey-campaigns/{campaign_id}/status", response_model=CampaignOut)
def set_status(session: SessionDep, principal: ManageAny, campaign_id: int, body: StatusIn):
    """Close a campaign (or reopen it)."""
    campaign = survey_campaigns.set_campaign_status(
        session, actor=principal, campaign_id=campaign_id, status=body.status
    )
    return campaign_out(session, campaign)


@router.delete("/survey-campaigns/{campaign_id}", status_code=204)
def delete_campaign(session: SessionDep, principal: ManageAny, campaign_id: int):
    survey_campaigns.delete_campaign(session, actor=principal, campaign_id=campaign_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- responses

Answers = dict[str, dict[str, StrictInt]]
ANSWERS_EXAMPLE = {
    "ikm-2017": {f"U{n}": 4 for n in range(1, 10)},
}


class ResponseIn(BaseModel):
    answers: Answers = Field(description="instrument code -> item code -> value")
    service_id: StrictInt | None = None
    source: str | None = Field(default=None, max_length=40)
    profile: dict[str, str] | None = None
    suggestion: str | None = Field(default=None, max_length=5000)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=100)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "answers": ANSWERS_EXAMPLE, "service_id": None, "source": "loket-1",
        "profile": {"gender": "P", "age_group": "30-39"},
        "suggestion": "Antrian sudah cepat.", "idempotency_key": "kiosk-7-000123"}]})


class BatchItemIn(BaseModel):
    idempotency_key: str = Field(min_length=1, max_length=100)
    answers: Answers
    service_id: StrictInt | None = None
    source: str | None = Field(default=None, max_length=40)
    profile: dict[str, str] | None = None
    suggestion: str | None = Field(default=None, max_length=5000)
    submitted_at: datetime | None = Field(
        default=None, description="When the respondent answered (offline kiosks); default now."
    )
    model_config = ConfigDict(extra="forbid")


class BatchIn(BaseModel):
    items: list[BatchItemIn] = Field(min_length=1, max_length=survey_responses.MAX_BATCH)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"items": [
        {"idempotency_key": "portal-2019-000001", "answers": ANSWERS_EXAMPLE}]}]})


class RecordedOut(BaseModel):
    id: int
    campaign_id: int
    submitted_at: datetime
    duplicate: bool = Field(description="True when this idempotency key was already stored.")


class BatchOut(BaseModel):
    created: int
    duplicates: int
    items: list[RecordedOut]


def _pairs(answers: Answers) -> dict[tuple[str, str], int]:
    return {(inst, item): v for inst, items in answers.items() for item, v in items.items()}


def _recorded(r: survey_responses.RecordedResponse) -> RecordedOut:
    return RecordedOut(id=r.id, campaign_id=r.campaign_id, submitted_at=r.submitted_at,
                       duplicate=r.duplicate)


@router.post("/survey-campaigns/{campaign_id}/responses", response_model=RecordedOut,
             status_code=201)
def submit_response(
    session: SessionDep, principal: WriteAny, campaign_id: int, body: ResponseIn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
):
    """Submit one response (kiosk, portal). A repeated idempotency key returns 200 and the
    first response; nothing is stored twice. The key may also be sent as the
    ``Idempotency-Key`` header."""
    campaign = survey_campaigns.campaign_for(
        session, actor=principal, campaign_id=campaign_id, permission="surveys.write"
    )
    key = body.idempotency_key or idempotency_key
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise Invalid("Kunci idempotensi di header dan di isi permintaan berbeda.")
    recorded = survey_responses.record_response(
        session, campaign=campaign, answers=_pairs(body.answers), service_id=body.service_id,
        source=body.source, profile=body.profile, suggestion=body.suggestion,
        meta=survey_responses.ResponseMeta(idempotency_key=key), channel="api",
    )
    if recorded.duplicate:
        response.status_code = 200
    return _recorded(recorded)


@router.post("/survey-campaigns/{campaign_id}/responses/batch", response_model=BatchOut,
             status_code=200)
def submit_batch(session: SessionDep, principal: WriteAny, campaign_id: int, body: BatchIn):
    """Submit up to 500 responses at once, all or nothing; each needs its own idempotency key,
    so re-sending a batch (after a timeout) never counts a response twice."""
    campaign = survey_campaigns.campaign_for(
        session, actor=principal, campaign_id=campaign_id, permission="surveys.write"
    )
    result = survey_responses.record_batch(
        session, actor=principal, campaign=campaign,
        items=[survey_responses.BatchItem(
            answers=_pairs(i.answers), idempotency_key=i.idempotency_key,
            service_id=i.service_id, source=i.source, profile=i.profile,
            suggestion=i.suggestion, submitted_at=i.submitted_at,
        ) for i in body.items],
    )
    return BatchOut(created=result.created, duplicates=result.duplicates,
                    items=[_recorded(r) for r in result.results])


class ResponseOut(BaseModel):
    id: int
    submitted_at: datetime
    service_id: int | None
    source: str | None
    channel: str
    profile: dict[str, Any] | None
    suggestion: str | None
    fill_seconds: int | None
    suspect: bool
    suspect_reasons: list[str] | None
    review_decision: str | None
    reportable: bool
    answers: dict[str, dict[str, int]]


class ResponsePageOut(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ResponseOut]


@router.get("/survey-campaigns/{campaign_id}/responses", response_model=ResponsePageOut)
def list_responses(
    session: SessionDep, principal: ReadAny, campaign_id: int,
    service_id: int | None = None, source: str | None = None, suspect: bool | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
):
    """A campaign's responses, newest first (no IP or device hashes)."""
    survey_campaigns.campaign_for(session, actor=principal, campaign_id=campaign_id)
    result = survey_review.list_responses(
        session, campaign_id=campaign_id, service_id=service_id, source=source,
        suspect=suspect, page=page, per_page=per_page,
    )
    items = []
    for r in result.responses:
        nested: dict[str, dict[str, int]] = {}
        for (inst, item), v in result.answers[r.id].items():
            nested.setdefault(inst, {})[item] = v
        items.append(ResponseOut(
            id=r.id, submitted_at=r.submitted_at, service_id=r.service_id,
            source=r.source_tag, channel=r.channel, profile=r.profile,
            suggestion=r.suggestion, fill_seconds=r.fill_seconds, suspect=r.suspect,
            suspect_reasons=r.suspect_reasons, review_decision=r.review_decision,
            reportable=r.reportable, answers=nested,
        ))
    return ResponsePageOut(total=result.total, page=result.page, per_page=result.per_page,
                           items=items)


class ReviewIn(BaseModel):
    decision: Literal["include", "exclude"]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "include"}]})


@router.post("/survey-responses/{response_id}/review", response_model=ResponseOut)
def review(session: SessionDep, principal: ManageAny, response_id: int, body: ReviewIn):
    """Include a suspect response in the indices, or exclude a response; audited."""
    r = survey_review.review_response(
        session, actor=principal, response_id=response_id, decision=body.decision
    )
    nested: dict[str, dict[str, int]] = {}
    for (inst, item), v in survey_review.answers_of(session, response_ids=[r.id])[r.id].items():
        nested.setdefault(inst, {})[item] = v
    return ResponseOut(
        id=r.id, submitted_at=r.submitted_at, service_id=r.service_id, source=r.source_tag,
        channel=r.channel, profile=r.profile, suggestion=r.suggestion,
        fill_seconds=r.fill_seconds, suspect=r.suspect, suspect_reasons=r.suspect_reasons,
        review_decision=r.review_decision, reportable=r.reportable, answers=nested,
    )


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
        session, campaign=campaign, service_id=service_id, source=source
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
    rows = survey_results.unit_trend(session, unit_id=unit_id, kind=kind, service_id=service_id)
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
    found = survey_results.year_indices(session, unit_id=unit_id, year=year)
    return {
        kind: [YearIndexOut(
            kind=y.kind, index_name=y.index_name, campaign_id=y.campaign_id,
            campaign_title=y.campaign_title, period=y.period, closed=y.closed,
            respondents=y.respondents, value=exact(y.value), value_1_4=exact(y.value_1_4),
        ) for y in rows]
        for kind, rows in found.items()
    }
