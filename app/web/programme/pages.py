"""Programme pages: innovation registry and detail, team and commitment, action plan,
partnerships, pillars and milestones. Thin: parse the form, call a service, render.

Forms are plain POST forms (they work without JavaScript; hx-boost is not used because
htmx's boosted swaps apply inline styles that the Content-Security-Policy blocks). The
registry filter is htmx: it swaps only the table block. Bad input re-renders the same page
with the problems and the values typed, status 422; success redirects back (303).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, requires
from app.domain import programme as dom
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid, NotFound
from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    partnerships,
    pillars,
    team,
    unit_today,
)
from app.web.integration import lke as integration_pages
from app.web.templating import render

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("programme.write"))]


# --- helpers --------------------------------------------------------------------------------

async def _form(request: Request, specs: dict, *, lists: tuple[str, ...] = (),
                bools: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The posted fields that the service knows; lists from repeated fields or lines."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in list(specs) + list(extra):
        if key in lists:
            values = [str(v) for v in form.getlist(key)]
            data[key] = values[0] if len(values) == 1 and "\n" in values[0] else values
        elif key in bools:
            data[key] = key in form
        elif key in form:
            data[key] = str(form.get(key))
    return data


def _back(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _redo(request: Request, page: Callable[..., Response], exc: Invalid, form: dict,
          **kwargs) -> Response:
    return page(request, problems=[exc.message, *exc.problems], form=form, status=422, **kwargs)


def _own(row, unit_id: int):
    if row.unit_id != unit_id:
        raise NotFound("Data tidak ditemukan di unit ini.")
    return row


# --- innovations ----------------------------------------------------------------------------

def _extra(session, principal, unit_id: int, innovation=None) -> dict:
    """The LKE suggestions and survey changes of the innovation pages."""
    return integration_pages.innovation_context(session, principal, unit_id, innovation)


def _registry(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
              status: int = 200) -> Response:
    q = request.query_params
    filters = {k: q.get(k) or None for k in ("phase", "stage", "change_area")}
    try:
        offset = max(int(q.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    unit = units.get(session, unit_id=unit_id)
    page = innovations.list_innovations(session, actor=principal, unit_id=unit_id,
                                        limit=25, offset=offset, **filters)
    ctx = {
        "unit": unit, "page": page, "filters": filters,
        "counts": innovations.counts_by_phase_stage(session, actor=principal, unit_id=unit_id),
        "all": innovations.all_innovations(session, unit_id=unit_id),
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
        "suggest": innovations.suggest_lke(session, actor=principal, unit_id=unit_id),
        "problems": list(problems), "form": form or {},
        **_extra(session, principal, unit_id),
    }
    if request.headers.get("hx-target") == "innovation-table":
        return render(request, "pages/programme/innovations.html", ctx, block="table")
    return render(request, "pages/programme/innovations.html", ctx, status_code=status)


@router.get("/units/{unit_id}/innovations")
def innovation_registry(request: Request, session: SessionDep, principal: ReadUnit,
                        unit_id: int) -> Response:
    return _registry(request, session, principal, unit_id)


@router.post("/units/{unit_id}/innovations")
async def innovation_create(request: Request, session: SessionDep, principal: WriteUnit,
                            unit_id: int) -> Response:
    data = await _form(request, innovations.FIELDS, lists=("services",),
                       bools=("differs_from_other_units", "brings_service_closer"))
    try:
        row = innovations.create_innovation(session, actor=principal, unit_id=unit_id, data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _registry(r, session, principal, unit_id, **kw),
                     exc, data)
    return _back(f"/units/{unit_id}/innovations/{row.id}")


def _detail(request: Request, session, principal, unit_id: int, innovation_id: int, *,
            problems=(), form=None, status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    row = _own(innovations.get_innovation(session, actor=principal,
                                          innovation_id=innovation_id), unit_id)
    ctx = {
        "unit": unit, "inn": row,
        "lineage": innovations.lineage(session, actor=principal, innovation_id=row.id),
        "children": innovations.children(session, actor=principal, innovation_id=row.id),
        "impacts": innovations.list_impacts(session, actor=principal, innovation_id=row.id),
        "partners": innovations.partners_of(session, actor=principal, innovation_id=row.id),
        "all": [i for i in innovations.all_innovations(session, unit_id=unit_id)
                if i.id != row.id],
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
        "pillar_names": pillars.pillar_names(session, unit_id=unit_id),
        "suggest": innovations.suggest_lke(session, actor=principal, unit_id=unit_id),
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
        **_extra(session, principal, unit_id, row),
    }
    return render(request, "pages/programme/innovation.html", ctx, status_code=status)


@router.get("/units/{unit_id}/innovations/{innovation_id}")
def innovation_detail(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                      innovation_id: int) -> Response:
    return _detail(request, session, principal, unit_id, innovation_id)


@router.post("/units/{unit_id}/innovations/{innovation_id}")
async def innovation_update(request: Request, session: SessionDep, principal: WriteUnit,
                            unit_id: int, innovation_id: int) -> Response:
    _own(innovations.get_innovation(session, actor=principal, innovation_id=innovation_id),
         unit_id)
    data = await _form(request, innovations.FIELDS, lists=("services",),
                       bools=("differs_from_other_units", "brings_service_closer"))
    try:
        innovations.update_innovation(session, actor=principal, innovation_id=innovation_id,
                                      changes=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _detail(r, session, principal, unit_id,
                                                      innovation_id, **kw), exc, data)
    return _back(f"/units/{unit_id}/innovations/{innovation_id}")


@router.post("/units/{unit_id}/innovations/{innovation_id}/delete")
def innovation_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                      innovation_id: int) -> Response:
    _own(innovations.get_innovation(session, actor=principal, innovation_id=innovation_id),
         unit_id)
    innovations.delete_innovation(session, actor=principal, innovation_id=innovation_id)
    return _back(f"/units/{unit_id}/innovations")


@router.post("/units/{unit_id}/innovations/{innovation_id}/impacts")
async def impact_create(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, innovation_id: int) -> Response:
    _own(innovations.get_innovation(session, actor=principal, innovation_id=innovation_id),
         unit_id)
    data = await _form(request, innovations.IMPACT_FIELDS)
    try:
        innovations.create_impact(session, actor=principal, innovation_id=innovation_id,
                                  data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _detail(r, session, principal, unit_id,
                                                      innovation_id, **kw),
                     exc, {"impact": data})
    return _back(f"/units/{unit_id}/innovations/{innovation_id}#dampak")


@router.post("/units/{unit_id}/innovation-impacts/{impact_id}/delete")
def impact_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                  impact_id: int) -> Response:
    row = _own(innovations.get_impact(session, actor=principal, impact_id=impact_id), unit_id)
    innovations.delete_impact(session, actor=principal, impact_id=impact_id)
    return _back(f"/units/{unit_id}/innovations/{row.innovation_id}#dampak")


# --- team -----------------------------------------------------------------------------------

def _team(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
          status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    members = team.all_members(session, unit_id=unit_id)
    activities = team.list_activities(session, actor=principal, unit_id=unit_id, limit=50)
    ctx = {
        "unit": unit, "decree": team.current_decree(session, unit_id=unit_id),
        "decrees": team.list_decrees(session, actor=principal, unit_id=unit_id).items,
        "members": members, "pacts": team.pacts_by_member(session, unit_id=unit_id),
        "activities": activities.items,
        "attendance": {a.id: team.attendee_ids(session, activity_id=a.id)
                       for a in activities.items},
        "names": {m.id: m.name for m in members},
        "summary": team.commitment(session, actor=principal, unit_id=unit_id),
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
    }
    return render(request, "pages/programme/team.html", ctx, status_code=status)


@router.get("/units/{unit_id}/team")
def team_page(request: Request, session: SessionDep, principal: ReadUnit,
              unit_id: int) -> Response:
    return _team(request, session, principal, unit_id)


async def _team_post(request, session, principal, unit_id, specs, create, **form_opts):
    data = await _form(request, specs, **form_opts)
    try:
        create(session, actor=principal, unit_id=unit_id, data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _team(r, session, principal, unit_id, **kw),
                     exc, data)
    return _back(f"/units/{unit_id}/team")


@router.post("/units/{unit_id}/team/decrees")
async def decree_create(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int) -> Response:
    return await _team_post(request, session, principal, unit_id, team.DECREE_FIELDS,
                            team.create_decree)


@router.post("/units/{unit_id}/team/members")
async def member_create(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int) -> Response:
    return await _team_post(request, session, principal, unit_id,
                            {k: v for k, v in team.MEMBER_FIELDS.items() if k != "active"},
                            team.create_member, lists=("roles",))


@router.post("/units/{unit_id}/team/pacts")
async def pact_create(request: Request, session: SessionDep, principal: WriteUnit,
                      unit_id: int) -> Response:
    return await _team_post(request, session, principal, unit_id, team.PACT_FIELDS,
                            team.create_pact)


@router.post("/units/{unit_id}/team/activities")
async def activity_create(request: Request, session: SessionDep, principal: WriteUnit,
                          unit_id: int) -> Response:
    return await _team_post(request, session, principal, unit_id, team.ACTIVITY_FIELDS,
                            team.create_activity, lists=("member_ids",), extra=("member_ids",))


@router.post("/units/{unit_id}/team/members/{member_id}/delete")
def member_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                  member_id: int) -> Response:
    _own(team.get_member(session, actor=principal, member_id=member_id), unit_id)
    team.delete_member(session, actor=principal, member_id=member_id)
    return _back(f"/units/{unit_id}/team")


@router.post("/units/{unit_id}/team/activities/{activity_id}/delete")
def activity_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                    activity_id: int) -> Response:
    _own(team.get_activity(session, actor=principal, activity_id=activity_id), unit_id)
    team.delete_activity(session, actor=principal, activity_id=activity_id)
    return _back(f"/units/{unit_id}/team")


# --- action plan ----------------------------------------------------------------------------

def _plan(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
          status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    today = unit_today(session, unit_id)
    area = request.query_params.get("area") or None
    items = action_plan.all_action_items(session, unit_id=unit_id)
    if area:
        items = [i for i in items if i.area == area]
    by_area: dict[str, list] = {a.value: [] for a in dom.ChangeArea}
    for item in items:
        by_area.setdefault(item.area, []).append(item)
    ctx = {
        "unit": unit, "today": today, "area": area, "by_area": by_area,
        "overdue": {i.id for i in items if action_plan.is_overdue(i, today)},
        "progress": action_plan.progress_by_area(session, actor=principal, unit_id=unit_id,
                                                 today=today),
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
        "pillar_names": pillars.pillar_names(session, unit_id=unit_id),
        # Suggestions from the whole plan, whatever area filter is shown.
        "plan_suggestions": dom.suggest_plan_answers(
            [action_plan.to_domain(i) for i in action_plan.all_action_items(
                session, unit_id=unit_id)], today),
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
    }
    return render(request, "pages/programme/action_plan.html", ctx, status_code=status)


@router.get("/units/{unit_id}/action-plan")
def action_plan_page(request: Request, session: SessionDep, principal: ReadUnit,
                     unit_id: int) -> Response:
    return _plan(request, session, principal, unit_id)


@router.post("/units/{unit_id}/action-plan")
async def action_create(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int) -> Response:
    data = await _form(request, action_plan.FIELDS)
    try:
        action_plan.create_action_item(session, actor=principal, unit_id=unit_id, data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _plan(r, session, principal, unit_id, **kw),
                     exc, data)
    return _back(f"/units/{unit_id}/action-plan")


@router.post("/units/{unit_id}/action-plan/{item_id}")
async def action_update(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, item_id: int) -> Response:
    _own(action_plan.get_action_item(session, actor=principal, item_id=item_id), unit_id)
    data = await _form(request, {"status": None, "progress": None, "evidence_url": None})
    try:
        action_plan.update_action_item(session, actor=principal, item_id=item_id, changes=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _plan(r, session, principal, unit_id, **kw),
                     exc, {})
    return _back(f"/units/{unit_id}/action-plan#item-{item_id}")


@router.post("/units/{unit_id}/action-plan/{item_id}/delete")
def action_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                  item_id: int) -> Response:
    _own(action_plan.get_action_item(session, actor=principal, item_id=item_id), unit_id)
    action_plan.delete_action_item(session, actor=principal, item_id=item_id)
    return _back(f"/units/{unit_id}/action-plan")


# --- partnerships ---------------------------------------------------------------------------

def _partners(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
              status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    today = unit_today(session, unit_id)
    rows = partnerships.all_partnerships(session, unit_id=unit_id)
    all_inn = innovations.all_innovations(session, unit_id=unit_id)
    ctx = {
        "unit": unit, "today": today, "rows": rows,
        "states": {p.id: partnerships.state(p, today) for p in rows},
        "links": {p.id: partnerships.innovation_ids(session, partnership_id=p.id) for p in rows},
        "titles": {i.id: i.title for i in all_inn}, "all": all_inn,
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
    }
    return render(request, "pages/programme/partnerships.html", ctx, status_code=status)


@router.get("/units/{unit_id}/partnerships")
def partnerships_page(request: Request, session: SessionDep, principal: ReadUnit,
                      unit_id: int) -> Response:
    return _partners(request, session, principal, unit_id)


@router.post("/units/{unit_id}/partnerships")
async def partnership_create(request: Request, session: SessionDep, principal: WriteUnit,
                             unit_id: int) -> Response:
    data = await _form(request, partnerships.FIELDS, lists=("services", "innovation_ids"),
                       extra=("innovation_ids",))
    try:
        partnerships.create_partnership(session, actor=principal, unit_id=unit_id, data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _partners(r, session, principal, unit_id, **kw),
                     exc, data)
    return _back(f"/units/{unit_id}/partnerships")


@router.post("/units/{unit_id}/partnerships/{partnership_id}/delete")
def partnership_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                       partnership_id: int) -> Response:
    _own(partnerships.get_partnership(session, actor=principal, partnership_id=partnership_id),
         unit_id)
    partnerships.delete_partnership(session, actor=principal, partnership_id=partnership_id)
    return _back(f"/units/{unit_id}/partnerships")


# --- pillars --------------------------------------------------------------------------------

def _pillars(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
             status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    ctx = {
        "unit": unit,
        "progress": pillars.pillar_progress(session, actor=principal, unit_id=unit_id,
                                            today=unit_today(session, unit_id)),
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
    }
    return render(request, "pages/programme/pillars.html", ctx, status_code=status)


@router.get("/units/{unit_id}/pillars")
def pillars_page(request: Request, session: SessionDep, principal: ReadUnit,
                 unit_id: int) -> Response:
    return _pillars(request, session, principal, unit_id)


@router.post("/units/{unit_id}/pillars")
async def pillar_create(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int) -> Response:
    data = await _form(request, pillars.FIELDS)
    try:
        pillars.create_pillar(session, actor=principal, unit_id=unit_id, data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _pillars(r, session, principal, unit_id, **kw),
                     exc, data)
    return _back(f"/units/{unit_id}/pillars")


@router.post("/units/{unit_id}/pillars/{pillar_id}/delete")
def pillar_delete(session: SessionDep, principal: WriteUnit, unit_id: int,
                  pillar_id: int) -> Response:
    _own(pillars.get_pillar(session, actor=principal, pillar_id=pillar_id), unit_id)
    pillars.delete_pillar(session, actor=principal, pillar_id=pillar_id)
    return _back(f"/units/{unit_id}/pillars")


# --- milestones -----------------------------------------------------------------------------

def _milestones(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
                status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    ctx = {
        "unit": unit, "rows": milestones.all_milestones(session, unit_id=unit_id),
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
    }
    return render(request, "pages/programme/milestones.html", ctx, status_code=status)


@router.get("/units/{unit_id}/milestones")
def milestones_page(request: Request, session: SessionDep, principal: ReadUnit,
                    unit_id: int) -> Response:
    return _milestones(request, session, principal, unit_id)


@router.post("/units/{unit_id}/milestones")
async def milestone_create(request: Request, session: SessionDep, principal: WriteUnit,
                           unit_id: int) -> Response:
    data = await _form(request, milestones.FIELDS)
    try:
        milestones.create_milestone(session, actor=principal, unit_id=unit_id, data=data)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _milestones(r, session, principal, unit_id, **kw),
                     exc, data)
    return _back(f"/units/{unit_id}/milestones")


@router.post("/units/{unit_id}/milestones/{milestone_id}/delete")
async def milestone_delete(request: Request, session: SessionDep, principal: WriteUnit,
                           unit_id: int, milestone_id: int) -> Response:
    _own(milestones.get_milestone(session, actor=principal, milestone_id=milestone_id), unit_id)
    try:
        milestones.delete_milestone(session, actor=principal, milestone_id=milestone_id)
    except Invalid as exc:
        session.rollback()
        return _redo(request, lambda r, **kw: _milestones(r, session, principal, unit_id, **kw),
                     exc, {})
    return _back(f"/units/{unit_id}/milestones")
