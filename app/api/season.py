"""The evaluation season of a unit: the calendar in force and each step's countdown."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.deps import SessionDep, requires
from app.domain.season import calendar as cal
from app.security.principal import Principal
from app.services.season import calendar as season_calendar

router = APIRouter(tags=["season"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]


class SeasonStepOut(BaseModel):
    step: str = Field(description="self_assessment, regional_review, tpi_review or "
                                  "national_proposal")
    name: str = Field(description="The step's name (Indonesian)")
    name_en: str
    due: date | None = Field(description="Due date (the unit's calendar day); null: not "
                                         "scheduled")
    days_left: int | None = Field(description="due - today in whole days of the unit's time "
                                              "zone; negative: late by that many days")
    done: bool
    current: bool = Field(description="The step the unit is on now")
    overdue: bool
    days_late: int


class SurveyPeriodOut(BaseModel):
    label: str
    opens_on: date
    closes_on: date


class UnitSeasonOut(BaseModel):
    unit_id: int
    year: int
    today: date = Field(description="Today in the unit's time zone")
    calendar_id: int | None = Field(description="The calendar in force; null: none for the "
                                                "year")
    calendar_scope_unit_id: int | None = Field(
        description="The regional office whose calendar applies; null: the calendar for "
                    "the whole tree (or none)")
    assessment_status: str | None = Field(description="The year's LKE assessment status; "
                                                      "null: no assessment yet")
    next_step: str | None = Field(description="The step shown first: the current one, else "
                                              "the next not done")
    steps: list[SeasonStepOut]
    survey_periods: list[SurveyPeriodOut]


@router.get("/units/{unit_id}/season", response_model=UnitSeasonOut)
def get_unit_season(session: SessionDep, principal: ReadUnit, unit_id: int,
                    year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    """The unit's evaluation calendar for a year (default: this year): each step's due date
    and countdown; the nearest scope's calendar (its regional office's over the whole
    tree's)."""
    season = season_calendar.unit_season(session, actor=principal, unit_id=unit_id, year=year)
    row = season.calendar
    return UnitSeasonOut(
        unit_id=season.unit.id, year=season.year, today=season.today,
        calendar_id=row.id if row else None,
        calendar_scope_unit_id=row.unit_id if row else None,
        assessment_status=season.status,
        next_step=season.next.step if season.next else None,
        steps=[SeasonStepOut(step=s.step, name=cal.STEP_NAMES[s.step][0],
                             name_en=cal.STEP_NAMES[s.step][1], due=s.due,
                             days_left=s.days_left, done=s.done, current=s.current,
                             overdue=s.overdue, days_late=s.days_late)
               for s in season.states],
        survey_periods=[SurveyPeriodOut(**p) for p in (row.survey_periods or [])] if row
        else [],
    )
