"""The unit's ZI journey page (timeline)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services import units
from app.services.integration import timeline
from app.web.templating import render

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]


@router.get("/units/{unit_id}/timeline")
def unit_timeline(
    request: Request, session: SessionDep, principal: ReadUnit, unit_id: int
) -> Response:
    unit = units.get(session, unit_id=unit_id)
    return render(
        request,
        "pages/programme/timeline.html",
        {"unit": unit, "timeline": timeline.unit_timeline(session, unit=unit)},
    )
