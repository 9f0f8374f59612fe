"""The roll-up page of an office above the units (eselon I, regional office, ministry):
season steps, score and verdict distribution per year, the units furthest from their target
and what blocks them, survey indices per region and service type, innovations per stage;
the table sorts, filters and pages (htmx swaps only the table) and exports as CSV or XLSX."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.domain import rollup as domain
from app.security.principal import Principal
from app.services import rollup
from app.services.errors import NotFound
from app.services.rollup import export as rollup_export
from app.services.rollup.inputs import SORTS, UnitFilter
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"])

Reviewer = Annotated[Principal, Depends(requires(rollup.overview.PERMISSION))]
Filters = Annotated[UnitFilter, Query()]
PAGE = "pages/rollup/rollup.html"


@router.get("/units/{unit_id}/rollup")
def rollup_page(request: Request, session: SessionDep, principal: Reviewer, unit_id: int,
                filters: Filters) -> Response:
    if is_htmx(request) and request.headers.get("hx-target") == "rollup-units":
        scope, page = rollup.units_page(session, actor=principal, unit_id=unit_id,
                                        filters=filters)
        return render(request, PAGE, _context(scope, page, filters), block="units")
    data = rollup.read(session, actor=principal, unit_id=unit_id, filters=filters)
    ctx = _context(data.scope, data.units, filters)
    ctx.update(data=data)
    return render(request, PAGE, ctx)


@router.get("/units/{unit_id}/rollup/surveys")
def rollup_surveys(request: Request, session: SessionDep, principal: Reviewer, unit_id: int,
                   year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    """The survey indices: the page loads them with htmx; without JavaScript, a page."""
    scope, found = rollup.surveys(session, actor=principal, unit_id=unit_id, year=year)
    ctx = {"unit": scope.unit, "scope": scope, "surveys": found,
           "base": f"/units/{scope.unit.id}/rollup"}
    block = "surveys" if is_htmx(request) else None
    return render(request, "pages/rollup/surveys.html", ctx, block=block)


@router.get("/units/{unit_id}/rollup.{fmt}")
def rollup_export_file(session: SessionDep, principal: Reviewer, unit_id: int, fmt: str,
                       filters: Filters) -> Response:
    if fmt not in rollup_export.MEDIA_TYPES:
        raise NotFound("Format ekspor tidak dikenal (csv atau xlsx).")
    scope, lines = rollup_export.rows(session, actor=principal, unit_id=unit_id,
                                      filters=filters)
    name = f"rekap-{scope.unit.code}-{scope.year}.{fmt}"
    return Response(rollup_export.render(lines, fmt), media_type=rollup_export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _context(scope, page, filters: UnitFilter) -> dict:
    base = f"/units/{scope.unit.id}/rollup"
    query = filters.query(year=scope.year)

    def link(**changes) -> str:
        return base + "?" + urlencode(filters.query(year=scope.year, **changes))

    def sort_link(column: str) -> str:
        descending = not filters.is_descending if filters.sort == column else column in {
            "missing", "total"}
        return link(sort=column, descending=descending, offset=0)

    export_query = urlencode({k: v for k, v in query.items() if k not in {"limit", "offset"}})
    return {
        "unit": scope.unit, "scope": scope, "units": page, "filters": filters, "base": base,
        "link": link, "sort_link": sort_link, "sorts": SORTS,
        "export_query": export_query, "step_names": domain.STEP_NAMES,
        "step_order": domain.STEP_ORDER, "band_label": domain.band_label,
    }
