"""Programme pages: innovation registry and detail, team and commitment, action plan,
partnerships, pillars and milestones. Thin: parse the form, call a service, render.

Forms are plain POST forms (they work without JavaScript; hx-boost is not used because
htmx's boosted swaps apply inline styles that the Content-Security-Policy blocks). The
registry filter is htmx: it swaps only the table block. Bad input re-renders the same page
with the problems and the values typed, status 422; success redirects back (303).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, requires
from app.domain import programme as dom
from app.i18n import gettext as _
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
    undo,
    unit_today,
)
from app.services.programme.inputs import (
    ActionItemIn,
    ActionItemPatch,
    ActivityIn,
    DecreeIn,
    ImpactIn,
    InnovationIn,
    InnovationPatch,
    MemberIn,
    MilestoneIn,
    PactIn,
    PartnershipIn,
    PillarIn,
    ProgrammeInput,
)
from app.services.surveys import followups as survey_followups
from app.web.confirm import Step, confirmation_step
from app.web.integration import lke as integration_pages
from app.web.templating import render

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("programme.write"))]


# --- helpers --------------------------------------------------------------------------------

async def _form(request: Request, names: Iterable[str], *, lists: tuple[str, ...] = (),
                bools: tuple[str, ...] = ()) -> dict[str, Any]:
    """The posted fields of an input model; lists from repeated fields or lines."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in names:
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


def _undo_notice(request: Request, session, principal, unit_id: int) -> dict[str, Any]:
    """After a delete (``?deleted=kind-id``): what was deleted and its undo form; after an
    undo (``?restored=kind-id``): what came back."""
    for param in ("deleted", "restored"):
        kind, _sep, raw = (request.query_params.get(param) or "").partition("-")
        if not raw.isdigit() or len(raw) > 12:
            continue
        try:
            if param == "deleted":
                gone = undo.deleted(session, actor=principal, unit_id=unit_id, kind=kind,
                                    row_id=int(raw))
                return {"undo": {"text": gone.text, "action":
                                 f"/units/{unit_id}/restore/{gone.kind}/{gone.row_id}"}}
            back = undo.KINDS[kind].get(session, actor=principal, unit_id=unit_id,
                                        **{undo.KINDS[kind].id_name: int(raw)})
            return {"flash": _("Dipulihkan: ") + undo.describe(back, kind).text + "."}
        except (NotFound, KeyError):
            continue
    return {}


# Where a kind's list is, for the way back after a delete or an undo.
_LIST_OF = {
    "pillar": "/pillars", "milestone": "/milestones", "partnership": "/partnerships",
    "innovation": "/innovations", "member": "/team", "activity": "/team", "decree": "/team",
    "pact": "/team", "action": "/action-plan",
}


def _list_url(unit_id: int, kind: str, row) -> tuple[str, str]:
    """(path, anchor) of the page that lists the row."""
    if kind == "impact":
        return f"/units/{unit_id}/innovations/{row.innovation_id}", "#dampak"
    return f"/units/{unit_id}{_LIST_OF[kind]}", ""


async def _delete(request: Request, session, principal, unit_id: int, kind: str, row_id: int,
                  remove: Callable[[], Any]) -> Response:
    """Every programme delete: the confirmation step (without ``confirmed`` nothing changes),
    then the service's soft delete, then back to the list with what was deleted and an
    undo."""
    spec = undo.KINDS[kind]
    row = spec.get(session, actor=principal, unit_id=unit_id, permission="programme.write",
                   **{spec.id_name: row_id})
    gone = undo.describe(row, kind)
    path, anchor = _list_url(unit_id, kind, row)
    step = await confirmation_step(request, Step(
        title=_("Hapus") + f" {gone.text}?",
        consequence=_("Data ini tidak lagi tampil dan tidak dihitung. Catatannya tetap "
                      "tersimpan di log audit, dan Anda dapat membatalkan penghapusan "
                      "sesudahnya."),
        action=_("Ya, hapus"), cancel=path + anchor,
    ), context={"unit": units.get(session, unit_id=unit_id)})
    if step is not None:
        return step
    remove()
    return _back(f"{path}?deleted={kind}-{row_id}{anchor}")


async def _submit(
    request: Request, page: Callable[..., Response],
    write: Callable[[ProgrammeInput], Any], model: type[ProgrammeInput],
    back: Callable[[Any], str], *, fields: Iterable[str] | None = None,
    lists: tuple[str, ...] = (), bools: tuple[str, ...] = (),
    shown: Callable[[dict], dict] = lambda data: data,
) -> Response:
    """One form write: the posted fields parsed into ``model`` and handed to ``write`` (a
    service call), then back to ``back(row)`` (303). Refused input shows ``page`` again with
    the problems and ``shown(typed values)`` (422). Ownership is the service's to check."""
    data = await _form(request, model.model_fields if fields is None else fields,
                       lists=lists, bools=bools)
    try:
        row = write(model.parse(data))
    except Invalid as exc:
        return page(problems=[exc.message, *exc.problems], form=shown(data), status=422)
    return _back(back(row))


def _create_route(path: str, name: str, model: type[ProgrammeInput], create: Callable[..., Any],
                  page: Callable[..., Response], *, back: str | None = None,
                  **form: Any) -> None:
    """Register POST ``path`` (under /units/{unit_id}): the form parsed into ``model`` and
    stored by the service ``create``; then back to ``back`` (default: ``path``; ``{id}`` is
    the new row's id), or ``page`` again with the problems."""

    async def route(request: Request, session: SessionDep, principal: WriteUnit,
                    unit_id: int) -> Response:
        return await _submit(
            request, partial(page, request, session, principal, unit_id),
            lambda body: create(session, actor=principal, unit_id=unit_id, data=body),
            model, lambda row: (back or path).format(unit_id=unit_id, id=row.id), **form)

    route.__name__ = route.__qualname__ = name
    router.post(path, name=name)(route)


def _show(request: Request, session, template: str, principal, unit_id: int, ctx: dict, *,
          problems=(), form=None, status: int = 200) -> Response:
    """Render a programme page: its context, the problems and values of a refused form, and
    whether the principal may write here."""
    return render(request, template, ctx | {
        "problems": list(problems), "form": form or {},
        "can_write": principal.can("programme.write", unit_id),
        **_undo_notice(request, session, principal, unit_id),
    }, status_code=status)


def _page_route(path: str, name: str, page: Callable[..., Response]) -> None:
    """Register GET ``path`` (under /units/{unit_id}) showing ``page``."""

    def route(request: Request, session: SessionDep, principal: ReadUnit,
              unit_id: int) -> Response:
        return page(request, session, principal, unit_id)

    route.__name__ = route.__qualname__ = name
    router.get(path, name=name)(route)


# --- innovations ----------------------------------------------------------------------------

INNOVATION_FORM: dict[str, Any] = {
    "lists": ("services",), "bools": ("differs_from_other_units", "brings_service_closer")}


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
        **_undo_notice(request, session, principal, unit_id),
    }
    if request.headers.get("hx-target") == "innovation-table":
        return render(request, "pages/programme/innovations.html", ctx, block="table")
    return render(request, "pages/programme/innovations.html", ctx, status_code=status)


_page_route("/units/{unit_id}/innovations", "innovation_registry", _registry)


_create_route("/units/{unit_id}/innovations", "innovation_create", InnovationIn,
              innovations.create_innovation, _registry,
              back="/units/{unit_id}/innovations/{id}", **INNOVATION_FORM)


def _detail(request: Request, session, principal, unit_id: int, innovation_id: int, *,
            problems=(), form=None, status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    row = innovations.get_innovation(session, actor=principal, innovation_id=innovation_id,
                                     unit_id=unit_id)
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
        **_extra(session, principal, unit_id, row),
    }
    return _show(request, session, "pages/programme/innovation.html", principal, unit_id, ctx,
                 problems=problems, form=form, status=status)


@router.get("/units/{unit_id}/innovations/{innovation_id}")
def innovation_detail(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                      innovation_id: int) -> Response:
    return _detail(request, session, principal, unit_id, innovation_id)


@router.post("/units/{unit_id}/innovations/{innovation_id}")
async def innovation_update(request: Request, session: SessionDep, principal: WriteUnit,
                            unit_id: int, innovation_id: int) -> Response:
    return await _submit(
        request, partial(_detail, request, session, principal, unit_id, innovation_id),
        lambda body: innovations.update_innovation(
            session, actor=principal, unit_id=unit_id, innovation_id=innovation_id,
            changes=body),
        InnovationPatch, lambda row: f"/units/{unit_id}/innovations/{row.id}",
        fields=InnovationIn.model_fields, **INNOVATION_FORM)


@router.post("/units/{unit_id}/innovations/{innovation_id}/delete")
async def innovation_delete(request: Request, session: SessionDep, principal: WriteUnit,
                            unit_id: int, innovation_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "innovation", innovation_id,
                         lambda: innovations.delete_innovation(
                             session, actor=principal, unit_id=unit_id,
                             innovation_id=innovation_id))


@router.post("/units/{unit_id}/innovations/{innovation_id}/impacts")
async def impact_create(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, innovation_id: int) -> Response:
    return await _submit(
        request, partial(_detail, request, session, principal, unit_id, innovation_id),
        lambda body: innovations.create_impact(
            session, actor=principal, unit_id=unit_id, innovation_id=innovation_id, data=body),
        ImpactIn, lambda row: f"/units/{unit_id}/innovations/{row.innovation_id}#dampak",
        shown=lambda data: {"impact": data})


@router.post("/units/{unit_id}/innovation-impacts/{impact_id}/delete")
async def impact_delete(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, impact_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "impact", impact_id,
                         lambda: innovations.delete_impact(
                             session, actor=principal, unit_id=unit_id, impact_id=impact_id))


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
        "attendance": team.attendee_ids_of(session,
                                           activity_ids=[a.id for a in activities.items]),
        "names": {m.id: m.name for m in members},
        "summary": team.commitment(session, actor=principal, unit_id=unit_id),
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
    }
    return _show(request, session, "pages/programme/team.html", principal, unit_id, ctx, problems=problems,
                 form=form, status=status)


_page_route("/units/{unit_id}/team", "team_page", _team)


TEAM = "/units/{unit_id}/team"
_create_route("/units/{unit_id}/team/decrees", "decree_create", DecreeIn, team.create_decree,
              _team, back=TEAM)
# The page form has no "active" field: a member added there is active.
_create_route("/units/{unit_id}/team/members", "member_create", MemberIn, team.create_member,
              _team, back=TEAM, fields=[k for k in MemberIn.model_fields if k != "active"],
              lists=("roles",))
_create_route("/units/{unit_id}/team/pacts", "pact_create", PactIn, team.create_pact, _team,
              back=TEAM)
_create_route("/units/{unit_id}/team/activities", "activity_create", ActivityIn,
              team.create_activity, _team, back=TEAM, lists=("member_ids",))


@router.post("/units/{unit_id}/team/members/{member_id}/delete")
async def member_delete(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, member_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "member", member_id,
                         lambda: team.delete_member(session, actor=principal, unit_id=unit_id,
                                                    member_id=member_id))


@router.post("/units/{unit_id}/team/activities/{activity_id}/delete")
async def activity_delete(request: Request, session: SessionDep, principal: WriteUnit,
                          unit_id: int, activity_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "activity", activity_id,
                         lambda: team.delete_activity(session, actor=principal, unit_id=unit_id,
                                                      activity_id=activity_id))


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
        # PPF4C from the survey follow-up plan of the year, the same way.
        "followup_suggestion": survey_followups.suggest_lke(
            session, actor=principal, unit_id=unit_id, year=today.year),
    }
    return _show(request, session, "pages/programme/action_plan.html", principal, unit_id, ctx, problems=problems,
                 form=form, status=status)


_page_route("/units/{unit_id}/action-plan", "action_plan_page", _plan)


_create_route("/units/{unit_id}/action-plan", "action_create", ActionItemIn,
              action_plan.create_action_item, _plan)


@router.post("/units/{unit_id}/action-plan/{item_id}")
async def action_update(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, item_id: int) -> Response:
    # The row form changes only these; what was typed there is not shown again on refusal.
    return await _submit(
        request, partial(_plan, request, session, principal, unit_id),
        lambda body: action_plan.update_action_item(
            session, actor=principal, unit_id=unit_id, item_id=item_id, changes=body),
        ActionItemPatch, lambda row: f"/units/{unit_id}/action-plan#item-{row.id}",
        fields=("status", "progress", "evidence_url"), shown=lambda data: {})


@router.post("/units/{unit_id}/action-plan/{item_id}/delete")
async def action_delete(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, item_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "action", item_id,
                         lambda: action_plan.delete_action_item(
                             session, actor=principal, unit_id=unit_id, item_id=item_id))


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
        "links": partnerships.innovation_ids_of(session, partnership_ids=[p.id for p in rows]),
        "titles": {i.id: i.title for i in all_inn}, "all": all_inn,
        "pillars": pillars.all_pillars(session, unit_id=unit_id),
    }
    return _show(request, session, "pages/programme/partnerships.html", principal, unit_id, ctx, problems=problems,
                 form=form, status=status)


_page_route("/units/{unit_id}/partnerships", "partnerships_page", _partners)


_create_route("/units/{unit_id}/partnerships", "partnership_create", PartnershipIn,
              partnerships.create_partnership, _partners,
              lists=("services", "innovation_ids"))


@router.post("/units/{unit_id}/partnerships/{partnership_id}/delete")
async def partnership_delete(request: Request, session: SessionDep, principal: WriteUnit,
                             unit_id: int, partnership_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "partnership", partnership_id,
                         lambda: partnerships.delete_partnership(
                             session, actor=principal, unit_id=unit_id,
                             partnership_id=partnership_id))


# --- pillars --------------------------------------------------------------------------------

def _pillars(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
             status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    ctx = {
        "unit": unit,
        "progress": pillars.pillar_progress(session, actor=principal, unit_id=unit_id,
                                            today=unit_today(session, unit_id)),
    }
    return _show(request, session, "pages/programme/pillars.html", principal, unit_id, ctx, problems=problems,
                 form=form, status=status)


_page_route("/units/{unit_id}/pillars", "pillars_page", _pillars)


_create_route("/units/{unit_id}/pillars", "pillar_create", PillarIn, pillars.create_pillar,
              _pillars)


@router.post("/units/{unit_id}/pillars/{pillar_id}/delete")
async def pillar_delete(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, pillar_id: int) -> Response:
    return await _delete(request, session, principal, unit_id, "pillar", pillar_id,
                         lambda: pillars.delete_pillar(session, actor=principal,
                                                       unit_id=unit_id, pillar_id=pillar_id))


# --- milestones -----------------------------------------------------------------------------

def _milestones(request: Request, session, principal, unit_id: int, *, problems=(), form=None,
                status: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id)
    ctx = {
        "unit": unit, "rows": milestones.all_milestones(session, unit_id=unit_id),
    }
    return _show(request, session, "pages/programme/milestones.html", principal, unit_id, ctx, problems=problems,
                 form=form, status=status)


_page_route("/units/{unit_id}/milestones", "milestones_page", _milestones)


_create_route("/units/{unit_id}/milestones", "milestone_create", MilestoneIn,
              milestones.create_milestone, _milestones)


@router.post("/units/{unit_id}/milestones/{milestone_id}/delete")
async def milestone_delete(request: Request, session: SessionDep, principal: WriteUnit,
                           unit_id: int, milestone_id: int) -> Response:
    try:
        return await _delete(request, session, principal, unit_id, "milestone", milestone_id,
                             lambda: milestones.delete_milestone(
                                 session, actor=principal, unit_id=unit_id,
                                 milestone_id=milestone_id))
    except Invalid as exc:
        return _milestones(request, session, principal, unit_id,
                           problems=[exc.message, *exc.problems], status=422)


@router.post("/units/{unit_id}/restore/{kind}/{row_id}")
def restore_deleted(session: SessionDep, principal: WriteUnit, unit_id: int, kind: str,
                    row_id: int) -> Response:
    """Undo a delete: the soft-deleted row is live again (Invalid when it now clashes)."""
    back = undo.restore(session, actor=principal, unit_id=unit_id, kind=kind, row_id=row_id)
    spec = undo.KINDS[kind]
    row = spec.get(session, actor=principal, unit_id=unit_id, **{spec.id_name: row_id})
    path, anchor = _list_url(unit_id, back.kind, row)
    return _back(f"{path}?restored={kind}-{row_id}{anchor}")
