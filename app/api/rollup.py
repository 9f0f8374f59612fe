"""Roll-ups over JSON: what an office above the units (eselon I, regional office, ministry)
reads over all its work units. For a reviewer of that office or an administrator (permission
``review.write`` at the office; no token scope grants it). The unit list is paged like every
list of the API (limit/offset, with the total). Numbers are strings rounded half-up to two
places (``*_exact``: the exact value, "263/3" when the decimal does not end)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from app.api.programme.schemas import PageOut
from app.deps import SessionDep, requires
from app.domain import rollup as domain
from app.domain.lke import report_json as rj
from app.domain.lke.review import exact_text
from app.security.principal import Principal
from app.services import rollup
from app.services.rollup import export as rollup_export
from app.services.rollup.inputs import UnitFilter
from app.services.rollup.table import UnitRow

router = APIRouter(tags=["rollup"])

Reviewer = Annotated[Principal, Depends(requires(rollup.overview.PERMISSION))]
Filters = Annotated[UnitFilter, Query()]


class OfficeOut(BaseModel):
    id: int
    code: str
    name: str
    level: str


class StepOut(BaseModel):
    step: str = Field(description="not_started, self_assessment, regional_review, "
                                  "tpi_review or national_proposal")
    name: str
    name_en: str
    units: int


class BandOut(BaseModel):
    band: str = Field(description="Range of the total score, e.g. '60-<75', '>=85'")
    lower: int
    assessments: int


class TargetOut(BaseModel):
    target: str
    passed: int
    failed: int


class YearOut(BaseModel):
    year: int
    assessments: int
    mean_total: str | None
    mean_total_exact: str | None
    bands: list[BandOut]
    targets: list[TargetOut]


class IndexOut(BaseModel):
    index: str = Field(description="IKM, IPKP or IPAK")
    value: str | None = Field(description="Pooled index (IKM 25-100; IPKP/IPAK on the "
                                          "instrument's scale); null when an item has no answer")
    answers: int


class SurveyGroupOut(BaseModel):
    key: str | None = Field(description="Regional office id or service code; null/empty: "
                                        "units without a regional office / answers without "
                                        "a service")
    label: str
    indices: list[IndexOut]


class SurveysOut(BaseModel):
    year: int
    index_names: list[str] = Field(description="The indices present, in IKM, IPKP, IPAK order")
    by_region: list[SurveyGroupOut]
    by_service: list[SurveyGroupOut]


class StageOut(BaseModel):
    stage: str
    wbk: int
    wbbm: int
    total: int


class RollupOut(BaseModel):
    unit: OfficeOut
    year: int
    years: list[int] = Field(description="Years with at least one assessment, newest first")
    work_units: int
    offices: list[OfficeOut] = Field(description="Offices below (their own roll-ups)")
    steps: list[StepOut]
    scores_by_year: list[YearOut]
    innovations: list[StageOut]


class BlockerOut(BaseModel):
    code: str = Field(description="The failed requirement: total, area:<ref>, wbk_held, ...")
    label: str
    value: str | None
    threshold: str | None
    missing: str | None


class RollupUnitOut(BaseModel):
    unit_id: int
    code: str
    name: str
    region_id: int | None
    region: str | None
    eselon1: str | None
    assessment_id: int | None
    status: str | None
    step: str
    target: str | None
    total: str | None
    total_exact: str | None
    passed: bool | None
    missing: str | None = Field(description="Points missing over the failed requirements")
    blocking: list[BlockerOut]


def _exact(value) -> str | None:
    return None if value is None else exact_text(value)


def _office(o) -> OfficeOut:
    return OfficeOut(id=o.id, code=o.code, name=o.name, level=o.level)


def _unit(r: UnitRow) -> RollupUnitOut:
    return RollupUnitOut(
        unit_id=r.unit_id, code=r.code, name=r.name, region_id=r.region_id, region=r.region,
        eselon1=r.eselon1, assessment_id=r.assessment_id, status=r.status, step=r.step,
        target=r.target, total=rj.dec2(r.total), total_exact=_exact(r.total), passed=r.passed,
        missing=rj.dec2(r.missing),
        blocking=[BlockerOut(code=b.code, label=b.label, value=rj.dec2(b.value),
                             threshold=rj.dec2(b.threshold), missing=rj.dec2(b.missing))
                  for b in r.blocking],
    )


def _groups(rows, names) -> list[SurveyGroupOut]:
    return [
        SurveyGroupOut(
            key=None if row.key is None else str(row.key), label=row.label,
            indices=[IndexOut(index=n, value=rj.dec2(c.value), answers=c.answers)
                     for n in names if (c := row.cell(n)) is not None],
        )
        for row in rows
    ]


@router.get("/units/{unit_id}/rollup", response_model=RollupOut)
def get_rollup(session: SessionDep, principal: Reviewer, unit_id: int,
                year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    """The office's roll-up for a year (default: the newest with assessments): units per
    season step, score and verdict distribution per year, innovations per stage. The unit
    list is ``/units/{unit_id}/rollup/units``, the survey indices
    ``/units/{unit_id}/rollup/surveys``."""
    data = rollup.read(session, actor=principal, unit_id=unit_id,
                       filters=UnitFilter(year=year), with_units=False)
    return RollupOut(
        unit=OfficeOut(id=data.scope.unit.id, code=data.scope.unit.code,
                       name=data.scope.unit.name, level=data.scope.unit.level),
        year=data.scope.year, years=list(data.scope.years), work_units=data.scope.work_units,
        offices=[_office(o) for o in data.scope.offices],
        steps=[StepOut(step=s.step, name=domain.STEP_NAMES[s.step][0],
                       name_en=domain.STEP_NAMES[s.step][1], units=s.units)
               for s in data.steps],
        scores_by_year=[
            YearOut(year=y.year, assessments=y.assessments, mean_total=rj.dec2(y.mean),
                    mean_total_exact=_exact(y.mean),
                    bands=[BandOut(band=domain.band_label(edge), lower=edge, assessments=n)
                           for edge, n in y.bands],
                    targets=[TargetOut(target=t.target, passed=t.passed, failed=t.failed)
                             for t in y.targets])
            for y in data.years
        ],
        innovations=[StageOut(stage=s.stage, wbk=s.wbk, wbbm=s.wbbm, total=s.total)
                     for s in data.innovations],
    )


@router.get("/units/{unit_id}/rollup/surveys", response_model=SurveysOut)
def get_rollup_surveys(session: SessionDep, principal: Reviewer, unit_id: int,
                       year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    """IKM, IPKP and IPAK of the year's campaigns pooled per regional office and per service
    type (service code): every reportable answer of the group's units counts once."""
    scope, found = rollup.surveys(session, actor=principal, unit_id=unit_id, year=year)
    names = found.index_names
    return SurveysOut(year=scope.year, index_names=list(names),
                      by_region=_groups(found.by_region, names),
                      by_service=_groups(found.by_service, names))


@router.get("/units/{unit_id}/rollup/units", response_model=PageOut[RollupUnitOut])
def list_units(session: SessionDep, principal: Reviewer, unit_id: int,
                      filters: Filters):
    """The work units below the office with their assessment of the year: filter by
    regional / eselon I office, step, target, verdict or name; sort (default: most points
    missing first, i.e. the furthest from their target); paged with limit/offset."""
    _scope, page = rollup.units_page(session, actor=principal, unit_id=unit_id,
                                     filters=filters)
    return {"items": [_unit(r) for r in page.items], "total": page.total,
            "limit": page.limit, "offset": page.offset}


@router.get(
    "/units/{unit_id}/rollup/units/export",
    response_class=Response,
    responses={200: {"content": {media: {} for media in rollup_export.MEDIA_TYPES.values()},
                     "description": "Every unit matching the filters, as CSV or XLSX"}},
)
def export_units(session: SessionDep, principal: Reviewer, unit_id: int,
                        filters: Filters,
                        format: Annotated[Literal["csv", "xlsx"], Query()] = "csv"):
    """The unit list (all pages, same filters and order) as a file."""
    scope, lines = rollup_export.rows(session, actor=principal, unit_id=unit_id,
                                      filters=filters)
    return Response(
        rollup_export.render(lines, format), media_type=rollup_export.MEDIA_TYPES[format],
        headers={"Content-Disposition":
                 f'attachment; filename="rekap-{scope.unit.code}-{scope.year}.{format}"',
                 "Cache-Control": "no-store"},
    )
