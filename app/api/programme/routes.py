"""The ZI programme over JSON: innovations and impacts, pillars, team, action plan,
partnerships and milestones. Lists are paginated (limit/offset, with the total).

Read with the ``read`` scope (unit.read); write with ``write:programme`` (programme.write).
Collections live under ``/units/{unit_id}/...``; one row is addressed by its own id and the
service checks the row's unit (403 for another unit's row).
"""

from datetime import date
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.programme import schemas as s
from app.api.programme._crud import ReadAny, WriteAny, rows
from app.deps import IdempotencyKey, SessionDep, requires
from app.domain.display import round_half_up
from app.security.principal import Principal
from app.services.integration import lke_from_innovations
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
from app.services.units import get as get_unit

router = APIRouter(tags=["programme"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]
Today = Annotated[date | None, Query(description="Judge overdue/expiry on this day "
                                                 "(default: today in the unit's time zone).")]


def _page(page, out, convert=None):
    items = [convert(r) if convert else out.model_validate(r) for r in page.items]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


def _fraction(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _percent(value: Fraction | None) -> object:
    return None if value is None else round_half_up(value * 100, 2)


# --- innovations ----------------------------------------------------------------------------

@router.get("/units/{unit_id}/innovations", response_model=s.PageOut[s.InnovationOut])
def list_innovations(
    session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
    offset: Offset = 0, phase: str | None = None, stage: str | None = None,
    change_area: str | None = None, status: str | None = None, pillar_id: int | None = None,
    q: str | None = Query(None, description="Words in the title."),
):
    """The unit's innovation registry, newest first; filter by phase, stage, area, status."""
    get_unit(session, unit_id=unit_id)
    page = innovations.list_innovations(
        session, actor=principal, unit_id=unit_id, phase=phase, stage=stage,
        change_area=change_area, status=status, pillar_id=pillar_id, q=q, limit=limit,
        offset=offset)
    return _page(page, s.InnovationOut)


rows(router, innovations, "innovation", collection="/units/{unit_id}/innovations",
     item="/innovations", out=s.InnovationOut, body_in=s.InnovationIn,
     body_patch=s.InnovationPatch, docs={
         "create": "Register an innovation. 422 (nothing stored) for dates out of order, a "
                   "parent in another\n    unit or started later, a lineage cycle, or a WBBM on "
                   "WBK without its pembeda.",
         "update": "Change some fields; the whole result (and the innovations built on it) "
                   "must stay valid.",
         "delete": "Soft delete (kept in the database and the audit log); 409 while others "
                   "build on it.",
     })


@router.get("/innovations/{innovation_id}/lineage", response_model=list[s.InnovationOut])
def innovation_lineage(session: SessionDep, principal: ReadAny, innovation_id: int):
    """From the oldest ancestor down to this innovation."""
    return innovations.lineage(session, actor=principal, innovation_id=innovation_id)


def _impact_out(view: innovations.ImpactView) -> s.ImpactOut:
    out = s.ImpactOut.model_validate(view.impact)
    imp = view.improvement
    if imp is not None:
        out.improvement = s.ImprovementOut(
            change=imp.change, gain=imp.gain, relative_gain=_fraction(imp.relative_gain),
            relative_gain_percent=_percent(imp.relative_gain), improved=imp.improved)
    return out


@router.get("/innovations/{innovation_id}/impacts", response_model=list[s.ImpactOut])
def list_impacts(session: SessionDep, principal: ReadAny, innovation_id: int):
    """Before/after measures with their exact improvement."""
    return [_impact_out(v) for v in
            innovations.list_impacts(session, actor=principal, innovation_id=innovation_id)]


@router.post("/innovations/{innovation_id}/impacts", response_model=s.ImpactOut,
             status_code=201)
def create_impact(session: SessionDep, principal: WriteAny, innovation_id: int,
                  body: s.ImpactIn, _key: IdempotencyKey = None):
    """Add a measure; 422 for a unit that does not fit the kind (e.g. 'rupiah' for time),
    fractional steps, an index out of its scale, or an after date before the before date."""
    row = innovations.create_impact(session, actor=principal, innovation_id=innovation_id,
                                    data=body)
    return _impact_out(innovations.impact_view(row))


rows(router, innovations, "impact", collection=None, item="/innovation-impacts",
     out=s.ImpactOut, body_in=s.ImpactIn, body_patch=s.ImpactPatch,
     convert=lambda _session, row: _impact_out(innovations.impact_view(row)))


@router.get("/units/{unit_id}/lke-suggestions", response_model=s.LkeSuggestionsOut)
def lke_suggestions(
    session: SessionDep, principal: ReadUnit, unit_id: int,
    service: Annotated[list[str] | None, Query(
        description="Registered services of the unit (repeat the parameter); without it "
        "and `simplified`, the unit's active survey service types.")] = None,
    simplified: Annotated[list[str] | None, Query(
        description="Registered services declared simplified (PRF1B).")] = None,
):
    """Suggested answers for PPF2F, PRF1A and PRF1B with the innovations as evidence
    (a suggestion only: nothing is written to the LKE)."""
    get_unit(session, unit_id=unit_id)
    if service is None and simplified is None:  # the unit's registered survey services
        view = lke_from_innovations.suggestions(session, actor=principal, unit_id=unit_id)
    else:
        view = innovations.suggest_lke(session, actor=principal, unit_id=unit_id,
                                       services_registered=service,
                                       services_simplified=simplified or ())
    sug = view.suggestions
    return s.LkeSuggestionsOut(services_known=view.services_known, suggestions=[
        s.SuggestionOut(ref=x.ref, option=x.option, reasons=view.reasons(x.ref),
                        evidence_innovation_ids=list(x.evidence_ids))
        for x in (sug.ppf2f, sug.prf1a)
    ] + [s.SuggestionOut(
        ref="PRF1B", numerator=sug.prf1b.numerator, denominator=sug.prf1b.denominator,
        ratio=_fraction(sug.prf1b.ratio), reasons=view.reasons("PRF1B"),
        evidence_innovation_ids=list(sug.prf1b.evidence_ids))])


@router.get("/units/{unit_id}/service-windows", response_model=list[s.ServiceWindowOut])
def service_windows(session: SessionDep, principal: ReadUnit, unit_id: int,
                    days: Annotated[int, Query(ge=1, le=1830)] = 365):
    """Per service and launched innovation: the before/after windows in which to compare the
    service's survey index."""
    get_unit(session, unit_id=unit_id)
    return [s.ServiceWindowOut(**w.__dict__) for w in
            innovations.service_windows(session, actor=principal, unit_id=unit_id, days=days)]


# --- pillars --------------------------------------------------------------------------------

@router.get("/units/{unit_id}/pillars", response_model=s.PageOut[s.PillarOut])
def list_pillars(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                 offset: Offset = 0):
    get_unit(session, unit_id=unit_id)
    return _page(pillars.list_pillars(session, actor=principal, unit_id=unit_id, limit=limit,
                                      offset=offset), s.PillarOut)


rows(router, pillars, "pillar", collection="/units/{unit_id}/pillars", item="/pillars",
     out=s.PillarOut, body_in=s.PillarIn, body_patch=s.PillarPatch,
     docs={"delete": "Soft delete; 409 while items are still tagged with the pillar."})


@router.get("/units/{unit_id}/pillar-progress", response_model=list[s.PillarProgressOut])
def pillar_progress(session: SessionDep, principal: ReadUnit, unit_id: int,
                    today: Today = None):
    """Each pillar with the action items, innovations, activities and partnerships tagged."""
    get_unit(session, unit_id=unit_id)
    today = today or unit_today(session, unit_id)
    return [s.PillarProgressOut(
        pillar=s.PillarOut.model_validate(p.pillar), action_items=p.actions.items,
        action_items_done=p.actions.done, action_items_overdue=p.actions.overdue,
        mean_progress_percent=(None if p.actions.mean_progress is None
                               else round_half_up(p.actions.mean_progress, 2)),
        innovations=p.innovations, innovations_in_operation=p.innovations_in_operation,
        activities=p.activities, partnerships=p.partnerships,
        partnerships_active=p.partnerships_active,
    ) for p in pillars.pillar_progress(session, actor=principal, unit_id=unit_id, today=today)]


# --- team -----------------------------------------------------------------------------------

@router.get("/units/{unit_id}/team/decrees", response_model=s.PageOut[s.DecreeOut])
def list_decrees(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                 offset: Offset = 0):
    get_unit(session, unit_id=unit_id)
    return _page(team.list_decrees(session, actor=principal, unit_id=unit_id, limit=limit,
                                   offset=offset), s.DecreeOut)


rows(router, team, "decree", collection="/units/{unit_id}/team/decrees",
     item="/team-decrees", out=s.DecreeOut, body_in=s.DecreeIn, body_patch=s.DecreePatch)


@router.get("/units/{unit_id}/team/members", response_model=s.PageOut[s.MemberOut])
def list_members(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                 offset: Offset = 0, level: str | None = None, active: bool | None = None):
    get_unit(session, unit_id=unit_id)
    return _page(team.list_members(session, actor=principal, unit_id=unit_id, level=level,
                                   active=active, limit=limit, offset=offset), s.MemberOut)


rows(router, team, "member", collection="/units/{unit_id}/team/members",
     item="/team-members", out=s.MemberOut, body_in=s.MemberIn, body_patch=s.MemberPatch,
     docs={"create": "Add a person (any level from pimpinan to cleaning service and PPNPN)."})


@router.get("/units/{unit_id}/team/pacts", response_model=s.PageOut[s.PactOut])
def list_pacts(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
               offset: Offset = 0, member_id: int | None = None):
    get_unit(session, unit_id=unit_id)
    return _page(team.list_pacts(session, actor=principal, unit_id=unit_id, member_id=member_id,
                                 limit=limit, offset=offset), s.PactOut)


rows(router, team, "pact", collection="/units/{unit_id}/team/pacts", item="/integrity-pacts",
     out=s.PactOut, body_in=s.PactIn, body_patch=s.PactPatch,
     docs={"create": "Record a member's signed pakta integritas."})


def _activity_out(session, row, member_ids: list[int] | None = None) -> s.ActivityOut:
    out = s.ActivityOut.model_validate(row)
    out.member_ids = (member_ids if member_ids is not None
                      else team.attendee_ids(session, activity_id=row.id))
    return out


@router.get("/units/{unit_id}/team/activities", response_model=s.PageOut[s.ActivityOut])
def list_activities(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                    offset: Offset = 0, kind: str | None = None, area: str | None = None,
                    pillar_id: int | None = None, year: int | None = None):
    get_unit(session, unit_id=unit_id)
    page = team.list_activities(session, actor=principal, unit_id=unit_id, kind=kind, area=area,
                                pillar_id=pillar_id, year=year, limit=limit, offset=offset)
    present = team.attendee_ids_of(session, activity_ids=[r.id for r in page.items])
    return _page(page, s.ActivityOut, lambda r: _activity_out(session, r, present[r.id]))


rows(router, team, "activity", collection="/units/{unit_id}/team/activities",
     item="/team-activities", out=s.ActivityOut, body_in=s.ActivityIn,
     body_patch=s.ActivityPatch, convert=_activity_out,
     deleted=lambda _session, row: s.ActivityOut.model_validate(row),
     docs={"create": "Record an activity with who took part (members of the same unit only)."})


def _level_out(item) -> s.LevelCommitmentOut:
    return s.LevelCommitmentOut(
        level=item.level.value if item.level else None, people=item.people,
        signed=item.signed, signed_share=_fraction(item.signed_share),
        signed_percent=_percent(item.signed_share), took_part=item.took_part,
        took_part_share=_fraction(item.took_part_share),
        took_part_percent=_percent(item.took_part_share))


@router.get("/units/{unit_id}/team/commitment", response_model=s.CommitmentOut)
def commitment(session: SessionDep, principal: ReadUnit, unit_id: int,
               year: int | None = Query(None, description="Pacts and activities of one year.")):
    """Per level (pimpinan ... PPNPN): active members, who signed a pact, who took part."""
    get_unit(session, unit_id=unit_id)
    summary = team.commitment(session, actor=principal, unit_id=unit_id, year=year)
    return s.CommitmentOut(levels=[_level_out(x) for x in summary.levels],
                           overall=_level_out(summary.overall),
                           every_level_signed=summary.every_level_signed)


# --- action plan ----------------------------------------------------------------------------

@router.get("/units/{unit_id}/action-items", response_model=s.PageOut[s.ActionItemOut])
def list_action_items(session: SessionDep, principal: ReadUnit, unit_id: int,
                      limit: Limit = 50, offset: Offset = 0, area: str | None = None,
                      status: str | None = None, pillar_id: int | None = None,
                      overdue: bool = Query(False, description="Only overdue items."),
                      today: Today = None):
    """The action plan by area and due date; each item says whether it is overdue."""
    get_unit(session, unit_id=unit_id)
    today = today or unit_today(session, unit_id)
    page = action_plan.list_action_items(
        session, actor=principal, unit_id=unit_id, area=area, status=status,
        pillar_id=pillar_id, overdue_on=today if overdue else None, limit=limit, offset=offset)
    return _page(page, s.ActionItemOut, lambda r: _action_out(r, today))


def _action_out(row, today: date) -> s.ActionItemOut:
    out = s.ActionItemOut.model_validate(row)
    out.overdue = action_plan.is_overdue(row, today)
    return out


rows(router, action_plan, "action_item", id_name="item_id",
     collection="/units/{unit_id}/action-items", item="/action-items", out=s.ActionItemOut,
     body_in=s.ActionItemIn, body_patch=s.ActionItemPatch,
     convert=lambda session, row: _action_out(row, unit_today(session, row.unit_id)),
     deleted=lambda _session, row: s.ActionItemOut.model_validate(row))


# --- partnerships ---------------------------------------------------------------------------

def _partnership_out(session, row, today: date | None,
                     innovation_ids: list[int] | None = None) -> s.PartnershipOut:
    out = s.PartnershipOut.model_validate(row)
    out.innovation_ids = (innovation_ids if innovation_ids is not None
                          else partnerships.innovation_ids(session, partnership_id=row.id))
    if today is not None:
        out.state = partnerships.state(row, today).value
    return out


@router.get("/units/{unit_id}/partnerships", response_model=s.PageOut[s.PartnershipOut])
def list_partnerships(session: SessionDep, principal: ReadUnit, unit_id: int,
                      limit: Limit = 50, offset: Offset = 0, kind: str | None = None,
                      pillar_id: int | None = None,
                      expiring: bool = Query(False, description="Only those expiring soon."),
                      today: Today = None):
    """Agreements with their state (expiring soon = 90 days or fewer left)."""
    get_unit(session, unit_id=unit_id)
    today = today or unit_today(session, unit_id)
    page = partnerships.list_partnerships(
        session, actor=principal, unit_id=unit_id, kind=kind, pillar_id=pillar_id,
        expiring_on=today if expiring else None, limit=limit, offset=offset)
    linked = partnerships.innovation_ids_of(session, partnership_ids=[r.id for r in page.items])
    return _page(page, s.PartnershipOut,
                 lambda r: _partnership_out(session, r, today, linked[r.id]))


rows(router, partnerships, "partnership", collection="/units/{unit_id}/partnerships",
     item="/partnerships", out=s.PartnershipOut, body_in=s.PartnershipIn,
     body_patch=s.PartnershipPatch,
     convert=lambda session, row: _partnership_out(session, row,
                                                   unit_today(session, row.unit_id)),
     deleted=lambda session, row: _partnership_out(session, row, None))


# --- milestones -----------------------------------------------------------------------------

@router.get("/units/{unit_id}/milestones", response_model=s.PageOut[s.MilestoneOut])
def list_milestones(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                    offset: Offset = 0, kind: str | None = None, year: int | None = None):
    get_unit(session, unit_id=unit_id)
    return _page(milestones.list_milestones(session, actor=principal, unit_id=unit_id,
                                            kind=kind, year=year, limit=limit, offset=offset),
                 s.MilestoneOut)


rows(router, milestones, "milestone", collection="/units/{unit_id}/milestones",
     item="/milestones", out=s.MilestoneOut, body_in=s.MilestoneIn,
     body_patch=s.MilestonePatch,
     docs={"create": "422 when the order is broken (e.g. a WBK award without an earlier WBK "
                     "proposal)."})


# --- undo a delete --------------------------------------------------------------------------

WriteUnitPath = Annotated[Principal, Depends(requires("programme.write"))]


@router.post("/units/{unit_id}/deleted/{kind}/{row_id}/restore", response_model=s.RestoredOut)
def restore_deleted(session: SessionDep, principal: WriteUnitPath, unit_id: int, kind: str,
                    row_id: int):
    """Undo a soft delete of a programme row of the unit (the same use case as the page's
    *Batalkan penghapusan*). 404 when no deleted row of that kind and id is in the unit; 422
    (nothing changed) when the row would now clash with a live one."""
    back = undo.restore(session, actor=principal, unit_id=unit_id, kind=kind, row_id=row_id)
    return s.RestoredOut(kind=back.kind, id=back.row_id, what=back.what, name=back.name)
