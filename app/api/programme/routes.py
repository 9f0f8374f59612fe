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
from app.deps import SessionDep, requires
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
    unit_today,
)
from app.services.units import get as get_unit

router = APIRouter(tags=["programme"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("programme.write"))]
ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
WriteAny = Annotated[Principal, Depends(requires("programme.write", unit_param=None))]
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


@router.post("/units/{unit_id}/innovations", response_model=s.InnovationOut, status_code=201)
def create_innovation(session: SessionDep, principal: WriteUnit, unit_id: int,
                      body: s.InnovationIn):
    """Register an innovation. 422 (nothing stored) for dates out of order, a parent in another
    unit or started later, a lineage cycle, or a WBBM on WBK without its pembeda."""
    get_unit(session, unit_id=unit_id)
    return innovations.create_innovation(session, actor=principal, unit_id=unit_id,
                                         data=body)


@router.get("/innovations/{innovation_id}", response_model=s.InnovationOut)
def get_innovation(session: SessionDep, principal: ReadAny, innovation_id: int):
    return innovations.get_innovation(session, actor=principal, innovation_id=innovation_id)


@router.patch("/innovations/{innovation_id}", response_model=s.InnovationOut)
def update_innovation(session: SessionDep, principal: WriteAny, innovation_id: int,
                      body: s.InnovationPatch):
    """Change some fields; the whole result (and the innovations built on it) must stay valid."""
    return innovations.update_innovation(session, actor=principal, innovation_id=innovation_id,
                                         changes=body)


@router.delete("/innovations/{innovation_id}", response_model=s.InnovationOut)
def delete_innovation(session: SessionDep, principal: WriteAny, innovation_id: int):
    """Soft delete (kept in the database and the audit log); 409 while others build on it."""
    return innovations.delete_innovation(session, actor=principal, innovation_id=innovation_id)


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
                  body: s.ImpactIn):
    """Add a measure; 422 for a unit that does not fit the kind (e.g. 'rupiah' for time),
    fractional steps, an index out of its scale, or an after date before the before date."""
    row = innovations.create_impact(session, actor=principal, innovation_id=innovation_id,
                                    data=body)
    return _impact_out(innovations.impact_view(row))


@router.get("/innovation-impacts/{impact_id}", response_model=s.ImpactOut)
def get_impact(session: SessionDep, principal: ReadAny, impact_id: int):
    row = innovations.get_impact(session, actor=principal, impact_id=impact_id)
    return _impact_out(innovations.impact_view(row))


@router.patch("/innovation-impacts/{impact_id}", response_model=s.ImpactOut)
def update_impact(session: SessionDep, principal: WriteAny, impact_id: int,
                  body: s.ImpactPatch):
    row = innovations.update_impact(session, actor=principal, impact_id=impact_id,
                                    changes=body)
    return _impact_out(innovations.impact_view(row))


@router.delete("/innovation-impacts/{impact_id}", response_model=s.ImpactOut)
def delete_impact(session: SessionDep, principal: WriteAny, impact_id: int):
    row = innovations.delete_impact(session, actor=principal, impact_id=impact_id)
    return _impact_out(innovations.impact_view(row))


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


@router.post("/units/{unit_id}/pillars", response_model=s.PillarOut, status_code=201)
def create_pillar(session: SessionDep, principal: WriteUnit, unit_id: int, body: s.PillarIn):
    get_unit(session, unit_id=unit_id)
    return pillars.create_pillar(session, actor=principal, unit_id=unit_id,
                                 data=body)


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


@router.get("/pillars/{pillar_id}", response_model=s.PillarOut)
def get_pillar(session: SessionDep, principal: ReadAny, pillar_id: int):
    return pillars.get_pillar(session, actor=principal, pillar_id=pillar_id)


@router.patch("/pillars/{pillar_id}", response_model=s.PillarOut)
def update_pillar(session: SessionDep, principal: WriteAny, pillar_id: int,
                  body: s.PillarPatch):
    return pillars.update_pillar(session, actor=principal, pillar_id=pillar_id,
                                 changes=body)


@router.delete("/pillars/{pillar_id}", response_model=s.PillarOut)
def delete_pillar(session: SessionDep, principal: WriteAny, pillar_id: int):
    """Soft delete; 409 while items are still tagged with the pillar."""
    return pillars.delete_pillar(session, actor=principal, pillar_id=pillar_id)


# --- team -----------------------------------------------------------------------------------

@router.get("/units/{unit_id}/team/decrees", response_model=s.PageOut[s.DecreeOut])
def list_decrees(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                 offset: Offset = 0):
    get_unit(session, unit_id=unit_id)
    return _page(team.list_decrees(session, actor=principal, unit_id=unit_id, limit=limit,
                                   offset=offset), s.DecreeOut)


@router.post("/units/{unit_id}/team/decrees", response_model=s.DecreeOut, status_code=201)
def create_decree(session: SessionDep, principal: WriteUnit, unit_id: int, body: s.DecreeIn):
    get_unit(session, unit_id=unit_id)
    return team.create_decree(session, actor=principal, unit_id=unit_id,
                              data=body)


@router.get("/team-decrees/{decree_id}", response_model=s.DecreeOut)
def get_decree(session: SessionDep, principal: ReadAny, decree_id: int):
    return team.get_decree(session, actor=principal, decree_id=decree_id)


@router.patch("/team-decrees/{decree_id}", response_model=s.DecreeOut)
def update_decree(session: SessionDep, principal: WriteAny, decree_id: int,
                  body: s.DecreePatch):
    return team.update_decree(session, actor=principal, decree_id=decree_id,
                              changes=body)


@router.delete("/team-decrees/{decree_id}", response_model=s.DecreeOut)
def delete_decree(session: SessionDep, principal: WriteAny, decree_id: int):
    return team.delete_decree(session, actor=principal, decree_id=decree_id)


@router.get("/units/{unit_id}/team/members", response_model=s.PageOut[s.MemberOut])
def list_members(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                 offset: Offset = 0, level: str | None = None, active: bool | None = None):
    get_unit(session, unit_id=unit_id)
    return _page(team.list_members(session, actor=principal, unit_id=unit_id, level=level,
                                   active=active, limit=limit, offset=offset), s.MemberOut)


@router.post("/units/{unit_id}/team/members", response_model=s.MemberOut, status_code=201)
def create_member(session: SessionDep, principal: WriteUnit, unit_id: int, body: s.MemberIn):
    """Add a person (any level from pimpinan to cleaning service and PPNPN)."""
    get_unit(session, unit_id=unit_id)
    return team.create_member(session, actor=principal, unit_id=unit_id,
                              data=body)


@router.get("/team-members/{member_id}", response_model=s.MemberOut)
def get_member(session: SessionDep, principal: ReadAny, member_id: int):
    return team.get_member(session, actor=principal, member_id=member_id)


@router.patch("/team-members/{member_id}", response_model=s.MemberOut)
def update_member(session: SessionDep, principal: WriteAny, member_id: int,
                  body: s.MemberPatch):
    return team.update_member(session, actor=principal, member_id=member_id,
                              changes=body)


@router.delete("/team-members/{member_id}", response_model=s.MemberOut)
def delete_member(session: SessionDep, principal: WriteAny, member_id: int):
    return team.delete_member(session, actor=principal, member_id=member_id)


@router.get("/units/{unit_id}/team/pacts", response_model=s.PageOut[s.PactOut])
def list_pacts(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
               offset: Offset = 0, member_id: int | None = None):
    get_unit(session, unit_id=unit_id)
    return _page(team.list_pacts(session, actor=principal, unit_id=unit_id, member_id=member_id,
                                 limit=limit, offset=offset), s.PactOut)


@router.post("/units/{unit_id}/team/pacts", response_model=s.PactOut, status_code=201)
def create_pact(session: SessionDep, principal: WriteUnit, unit_id: int, body: s.PactIn):
    """Record a member's signed pakta integritas."""
    get_unit(session, unit_id=unit_id)
    return team.create_pact(session, actor=principal, unit_id=unit_id,
                            data=body)


@router.get("/integrity-pacts/{pact_id}", response_model=s.PactOut)
def get_pact(session: SessionDep, principal: ReadAny, pact_id: int):
    return team.get_pact(session, actor=principal, pact_id=pact_id)


@router.patch("/integrity-pacts/{pact_id}", response_model=s.PactOut)
def update_pact(session: SessionDep, principal: WriteAny, pact_id: int, body: s.PactPatch):
    return team.update_pact(session, actor=principal, pact_id=pact_id,
                            changes=body)


@router.delete("/integrity-pacts/{pact_id}", response_model=s.PactOut)
def delete_pact(session: SessionDep, principal: WriteAny, pact_id: int):
    return team.delete_pact(session, actor=principal, pact_id=pact_id)


def _activity_out(session, row) -> s.ActivityOut:
    out = s.ActivityOut.model_validate(row)
    out.member_ids = team.attendee_ids(session, activity_id=row.id)
    return out


@router.get("/units/{unit_id}/team/activities", response_model=s.PageOut[s.ActivityOut])
def list_activities(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                    offset: Offset = 0, kind: str | None = None, area: str | None = None,
                    pillar_id: int | None = None, year: int | None = None):
    get_unit(session, unit_id=unit_id)
    page = team.list_activities(session, actor=principal, unit_id=unit_id, kind=kind, area=area,
                                pillar_id=pillar_id, year=year, limit=limit, offset=offset)
    return _page(page, s.ActivityOut, lambda r: _activity_out(session, r))


@router.post("/units/{unit_id}/team/activities", response_model=s.ActivityOut,
             status_code=201)
def create_activity(session: SessionDep, principal: WriteUnit, unit_id: int,
                    body: s.ActivityIn):
    """Record an activity with who took part (members of the same unit only)."""
    get_unit(session, unit_id=unit_id)
    row = team.create_activity(session, actor=principal, unit_id=unit_id,
                               data=body)
    return _activity_out(session, row)


@router.get("/team-activities/{activity_id}", response_model=s.ActivityOut)
def get_activity(session: SessionDep, principal: ReadAny, activity_id: int):
    return _activity_out(session, team.get_activity(session, actor=principal,
                                                    activity_id=activity_id))


@router.patch("/team-activities/{activity_id}", response_model=s.ActivityOut)
def update_activity(session: SessionDep, principal: WriteAny, activity_id: int,
                    body: s.ActivityPatch):
    row = team.update_activity(session, actor=principal, activity_id=activity_id,
                               changes=body)
    return _activity_out(session, row)


@router.delete("/team-activities/{activity_id}", response_model=s.ActivityOut)
def delete_activity(session: SessionDep, principal: WriteAny, activity_id: int):
    row = team.delete_activity(session, actor=principal, activity_id=activity_id)
    return s.ActivityOut.model_validate(row)


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


@router.post("/units/{unit_id}/action-items", response_model=s.ActionItemOut, status_code=201)
def create_action_item(session: SessionDep, principal: WriteUnit, unit_id: int,
                       body: s.ActionItemIn):
    get_unit(session, unit_id=unit_id)
    row = action_plan.create_action_item(session, actor=principal, unit_id=unit_id,
                                         data=body)
    return _action_out(row, unit_today(session, unit_id))


@router.get("/action-items/{item_id}", response_model=s.ActionItemOut)
def get_action_item(session: SessionDep, principal: ReadAny, item_id: int):
    row = action_plan.get_action_item(session, actor=principal, item_id=item_id)
    return _action_out(row, unit_today(session, row.unit_id))


@router.patch("/action-items/{item_id}", response_model=s.ActionItemOut)
def update_action_item(session: SessionDep, principal: WriteAny, item_id: int,
                       body: s.ActionItemPatch):
    row = action_plan.update_action_item(session, actor=principal, item_id=item_id,
                                         changes=body)
    return _action_out(row, unit_today(session, row.unit_id))


@router.delete("/action-items/{item_id}", response_model=s.ActionItemOut)
def delete_action_item(session: SessionDep, principal: WriteAny, item_id: int):
    return s.ActionItemOut.model_validate(
        action_plan.delete_action_item(session, actor=principal, item_id=item_id))


# --- partnerships ---------------------------------------------------------------------------

def _partnership_out(session, row, today: date | None) -> s.PartnershipOut:
    out = s.PartnershipOut.model_validate(row)
    out.innovation_ids = partnerships.innovation_ids(session, partnership_id=row.id)
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
    return _page(page, s.PartnershipOut, lambda r: _partnership_out(session, r, today))


@router.post("/units/{unit_id}/partnerships", response_model=s.PartnershipOut,
             status_code=201)
def create_partnership(session: SessionDep, principal: WriteUnit, unit_id: int,
                       body: s.PartnershipIn):
    get_unit(session, unit_id=unit_id)
    row = partnerships.create_partnership(session, actor=principal, unit_id=unit_id,
                                          data=body)
    return _partnership_out(session, row, unit_today(session, unit_id))


@router.get("/partnerships/{partnership_id}", response_model=s.PartnershipOut)
def get_partnership(session: SessionDep, principal: ReadAny, partnership_id: int):
    row = partnerships.get_partnership(session, actor=principal, partnership_id=partnership_id)
    return _partnership_out(session, row, unit_today(session, row.unit_id))


@router.patch("/partnerships/{partnership_id}", response_model=s.PartnershipOut)
def update_partnership(session: SessionDep, principal: WriteAny, partnership_id: int,
                       body: s.PartnershipPatch):
    row = partnerships.update_partnership(session, actor=principal,
                                          partnership_id=partnership_id,
                                          changes=body)
    return _partnership_out(session, row, unit_today(session, row.unit_id))


@router.delete("/partnerships/{partnership_id}", response_model=s.PartnershipOut)
def delete_partnership(session: SessionDep, principal: WriteAny, partnership_id: int):
    row = partnerships.delete_partnership(session, actor=principal,
                                          partnership_id=partnership_id)
    return _partnership_out(session, row, None)


# --- milestones -----------------------------------------------------------------------------

@router.get("/units/{unit_id}/milestones", response_model=s.PageOut[s.MilestoneOut])
def list_milestones(session: SessionDep, principal: ReadUnit, unit_id: int, limit: Limit = 50,
                    offset: Offset = 0, kind: str | None = None, year: int | None = None):
    get_unit(session, unit_id=unit_id)
    return _page(milestones.list_milestones(session, actor=principal, unit_id=unit_id,
                                            kind=kind, year=year, limit=limit, offset=offset),
                 s.MilestoneOut)


@router.post("/units/{unit_id}/milestones", response_model=s.MilestoneOut, status_code=201)
def create_milestone(session: SessionDep, principal: WriteUnit, unit_id: int,
                     body: s.MilestoneIn):
    """422 when the order is broken (e.g. a WBK award without an earlier WBK proposal)."""
    get_unit(session, unit_id=unit_id)
    return milestones.create_milestone(session, actor=principal, unit_id=unit_id,
                                       data=body)


@router.get("/milestones/{milestone_id}", response_model=s.MilestoneOut)
def get_milestone(session: SessionDep, principal: ReadAny, milestone_id: int):
    return milestones.get_milestone(session, actor=principal, milestone_id=milestone_id)


@router.patch("/milestones/{milestone_id}", response_model=s.MilestoneOut)
def update_milestone(session: SessionDep, principal: WriteAny, milestone_id: int,
                     body: s.MilestonePatch):
    return milestones.update_milestone(session, actor=principal, milestone_id=milestone_id,
                                       changes=body)


@router.delete("/milestones/{milestone_id}", response_model=s.MilestoneOut)
def delete_milestone(session: SessionDep, principal: WriteAny, milestone_id: int):
    return milestones.delete_milestone(session, actor=principal, milestone_id=milestone_id)
