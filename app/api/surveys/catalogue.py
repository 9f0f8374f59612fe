"""Survey instruments and service types over JSON.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from app.api.surveys._common import (
    DeleteAny,
    ReadAny,
    ReadUnit,
    WriteAny,
    WriteUnit,
)
from app.deps import IdempotencyKey, SessionDep
from app.services import units
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import instruments as survey_instruments
from app.services.surveys.inputs import ServiceIn, ServicePatch

router = APIRouter(tags=["surveys"])


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


@router.get("/units/{unit_id}/survey-services", response_model=list[ServiceOut])
def list_services(session: SessionDep, principal: ReadUnit, unit_id: int):
    """The unit's service types (jenis layanan), active and inactive."""
    units.get(session, unit_id=unit_id)
    return survey_catalogue.list_services(session, unit_id=unit_id, actor=principal)


@router.post("/units/{unit_id}/survey-services", response_model=ServiceOut, status_code=201)
def create_service(session: SessionDep, principal: WriteUnit, unit_id: int, body: ServiceIn,
                   _key: IdempotencyKey = None):
    units.get(session, unit_id=unit_id)
    return survey_catalogue.create_service(session, actor=principal, unit_id=unit_id, **body.model_dump())


@router.patch("/survey-services/{service_id}", response_model=ServiceOut)
def update_service(session: SessionDep, principal: WriteAny, service_id: int, body: ServicePatch):
    return survey_catalogue.update_service(
        session, actor=principal, service_id=service_id, **body.model_dump()
    )


@router.delete("/survey-services/{service_id}", status_code=204)
def delete_service(session: SessionDep, principal: DeleteAny, service_id: int):
    survey_catalogue.delete_service(session, actor=principal, service_id=service_id)
    return Response(status_code=204)


@router.post("/survey-services/{service_id}/restore", response_model=ServiceOut)
def restore_service(session: SessionDep, principal: DeleteAny, service_id: int):
    """Undo a delete (the page's *Batalkan penghapusan*): the service is live again, active
    as it was. 404 when no deleted service has that id; 422 (nothing changed) when another
    live service of the unit now has its code."""
    return survey_catalogue.restore_service(session, actor=principal, service_id=service_id)
