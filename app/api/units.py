"""Units and their predicate history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.deps import IdempotencyKey, SessionDep, requires
from app.models.units import Predicate
from app.security.principal import Principal
from app.services import units
from app.services.form_input import TextInput

router = APIRouter(tags=["units"])

Admin = Annotated[Principal, Depends(requires("units.manage", unit_param=None))]
ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
ManageUnit = Annotated[Principal, Depends(requires("unit.manage"))]


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    timezone: str


class UnitIn(TextInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "KPPN-PKP", "name": "KPPN Pangkalpinang",
                                         "level": "unit", "parent_id": 3}]},
    )
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(description="ministry, eselon1, regional or unit")
    parent_id: int | None = None


class PredicateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    predicate: str
    year: int
    decree_number: str
    decree_date: date
    revoked_on: date | None


class PredicateIn(TextInput):
    predicate: Predicate
    year: int = Field(ge=2000, le=2100)
    decree_number: str = Field(min_length=1, max_length=120)
    decree_date: date

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"predicate": "WBK", "year": 2018, "decree_number": "KEP-123/M.PAN-RB/12/2018",
                 "decree_date": "2018-12-10"}
            ]
        },
    )


@router.get("/units", response_model=list[UnitOut])
def list_units(session: SessionDep, principal: ReadAny):
    """Units the caller may read."""
    return units.list_units(session, actor=principal)


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(session: SessionDep, principal: Admin, body: UnitIn,
                _key: IdempotencyKey = None):
    """Add a unit under its parent (administrators)."""
    return units.create(
        session, actor=principal, code=body.code, name=body.name, level=body.level,
        parent_id=body.parent_id,
    )


@router.get("/units/{unit_id}", response_model=UnitOut)
def get_unit(session: SessionDep, principal: ReadUnit, unit_id: int):
    return units.get(session, unit_id=unit_id, actor=principal)


@router.get("/units/{unit_id}/predicates", response_model=list[PredicateOut])
def list_predicates(session: SessionDep, principal: ReadUnit, unit_id: int):
    """The unit's WBK/WBBM awards, oldest first."""
    return units.predicate_history(session, unit_id=unit_id, actor=principal)


@router.post("/units/{unit_id}/predicates", response_model=PredicateOut, status_code=201)
def add_predicate(session: SessionDep, principal: ManageUnit, unit_id: int, body: PredicateIn,
                  _key: IdempotencyKey = None):
    """Record an award (a WBBM needs a WBK held)."""
    return units.add_predicate(
        session, actor=principal, unit_id=unit_id, predicate=body.predicate.value,
        year=body.year, decree_number=body.decree_number, decree_date=body.decree_date,
    )
