"""The unit's ZI journey page (timeline) and the programme cards of the unit dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.domain.programme import ChangeArea, Stage
from app.security.principal import Principal
from app.services import units
from app.services.demo import programme as demo_programme
from app.services.integration import timeline
from app.services.programme import overview
from app.web.templating import render
from app.web.units import DASHBOARD_PANELS, PANEL_ORDER

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]

assert demo_programme.load_programme_demo  # the programme demo step registers on import

# Pages of the programme capability the dashboard cards link to (suffix under /units/{id}).
PROGRAMME_LINKS = {
    "innovations": "/innovations",
    "team": "/team",
    "plan": "/action-plan",
    "partnerships": "/partnerships",
}


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


def programme_panel(session, unit) -> dict:
    """The programme cards: innovations, team commitment, pillars, overdue actions, partners."""
    return {
        "template": "pages/programme/dashboard_cards.html",
        "order": PANEL_ORDER["programme"],
        "slot": "programme",
        "context": {
            "o": overview.unit_overview(session, unit=unit),
            "stages": list(Stage),
            "area_labels": {a.value: a.label for a in ChangeArea},
            "links": {k: f"/units/{unit.id}{v}" for k, v in PROGRAMME_LINKS.items()},
        },
    }


DASHBOARD_PANELS.append(programme_panel)
