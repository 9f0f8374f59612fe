"""Home, the list of units a person may see, and the unit dashboard."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, requires
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.lke import review_page
from app.web.dashboard_panels import (
    PANEL_ORDER,
    lke_panel,
    programme_panel,
    season_panel,
    survey_panel,
)
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"])

ReadAnyUnit = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
ManageUnit = Annotated[Principal, Depends(requires("unit.manage"))]

# The dashboard's cards (app.web.dashboard_panels), asked in this order and then placed by
# their "order". The reserved slots show an honest empty card when no panel fills them.
DASHBOARD_PANELS = [lke_panel, season_panel, programme_panel, survey_panel]
RESERVED_SLOTS = ("lke", "surveys")


@router.get("/")
def home(request: Request, session: SessionDep, principal: ReadAnyUnit) -> Response:
    # A reviewer's work is the review queue, not a unit's dashboard.
    queue_unit = review_page.reviewer_home(session, actor=principal)
    if queue_unit is not None:
        return RedirectResponse(f"/units/{queue_unit}/reviews", status_code=303)
    visible = units.list_units(session, actor=principal)
    own = [u for u in visible if u.level == "unit"] or visible
    if len(own) == 1:
        return RedirectResponse(f"/units/{own[0].id}", status_code=303)
    return RedirectResponse("/units", status_code=303)


@router.get("/units")
def unit_list(request: Request, session: SessionDep, principal: ReadAnyUnit) -> Response:
    visible = units.list_units(session, actor=principal)
    # Single sign-on: the person's own SSO link and, for administrators, the access requests.
    sso_enabled = getattr(request.app.state, "oidc", None) is not None
    return render(request, "pages/units/list.html", {"units": visible, "sso_enabled": sso_enabled})


def _dashboard_context(session, principal: Principal, unit_id: int) -> dict:
    unit = units.get(session, unit_id=unit_id, actor=principal)
    read: dict = {}  # what one panel read and a later one needs (dashboard_panels)
    panels = [p for p in (panel(session, principal, unit, read) for panel in DASHBOARD_PANELS)
              if p]
    filled = {p.get("slot") for p in panels}
    pending = [slot for slot in RESERVED_SLOTS if slot not in filled]
    if pending:  # one quiet strip says what will appear there, in place of the first one
        panels.append({"template": "pages/units/slots_pending.html",
                       "context": {"slots": pending}, "order": PANEL_ORDER[pending[0]]})
    panels.sort(key=lambda p: p.get("order", PANEL_ORDER["other"]))
    awards = units.predicate_history(session, unit_id=unit_id, actor=principal)
    held = [a for a in awards if a.revoked_on is None]
    return {
        "unit": unit,
        "ancestors": units.ancestors(session, unit=unit),
        "awards": awards,
        "current_predicate": held[-1] if held else None,
        "panels": panels,
    }


@router.get("/units/{unit_id}")
def unit_dashboard(
    request: Request, session: SessionDep, principal: ReadUnit, unit_id: int
) -> Response:
    return render(request, "pages/units/dashboard.html", _dashboard_context(session, principal, unit_id))


@router.post("/units/{unit_id}/predicates")
def add_predicate(
    request: Request,
    session: SessionDep,
    principal: ManageUnit,
    unit_id: int,
    predicate: Annotated[str, Form(max_length=10)],
    year: Annotated[int, Form()],
    decree_number: Annotated[str, Form(max_length=120)],
    decree_date: Annotated[date, Form()],
) -> Response:
    units.add_predicate(
        session, actor=principal, unit_id=unit_id, predicate=predicate, year=year,
        decree_number=decree_number, decree_date=decree_date,
    )
    context = _dashboard_context(session, principal, unit_id)
    context["flash"] = _("Predikat tersimpan.")
    if is_htmx(request):
        return render(request, "pages/units/dashboard.html", context, block="predicates")
    return RedirectResponse(f"/units/{unit_id}", status_code=303)
