"""The follow-up plan page of a campaign (rencana tindak lanjut): findings, actions, the next
period's change per element, the LKE PPF4C suggestion, and the copy into the action plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, requires
from app.domain.programme import ItemStatus
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid
from app.services.integration import survey_followups
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import followups
from app.services.surveys.inputs import FollowupIn, FollowupPatch
from app.services.surveys.results import INDEX_NAMES
from app.web.confirm import Step, confirmation_step
from app.web.templating import render
from app.web.undo import notice

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("surveys.write"))]
DeleteUnit = Annotated[Principal, Depends(requires("surveys.delete"))]

PAGE = "/units/{unit_id}/surveys/campaigns/{campaign_id}/followups"


def _page_url(unit_id: int, campaign_id: int) -> str:
    return PAGE.format(unit_id=unit_id, campaign_id=campaign_id)


def _show(request: Request, session, principal: Principal, unit_id: int, campaign_id: int,
          *, problems=None, form=None, status_code: int = 200) -> Response:
    plan = followups.followup_plan(session, actor=principal, campaign_id=campaign_id,
                                   unit_id=unit_id)
    unit = units.get(session, unit_id=unit_id)
    campaign = plan.campaign
    instruments = survey_campaigns.instruments_of(session, campaign)

    def named(row) -> str:
        return _("Tindak lanjut") + f" '{row.action}'"

    ctx = {
        "unit": unit, "ancestors": units.ancestors(session, unit=unit), "plan": plan,
        "campaign": campaign, "statuses": list(ItemStatus),
        "instruments": instruments, "problems": problems, "form": form or {},
        "suggestion": followups.suggest_lke(session, actor=principal, unit_id=unit_id,
                                            year=campaign.year),
        "can_plan": principal.can("programme.write", unit_id),
        "kind_name": lambda kind: INDEX_NAMES[kind],
    }
    ctx.update(notice(
        request,
        deleted=lambda i: named(followups.deleted_followup(
            session, actor=principal, followup_id=i, unit_id=unit_id)),
        restored=lambda i: named(followups.get_followup(
            session, actor=principal, followup_id=i, unit_id=unit_id)),
        action=lambda i: f"{_page_url(unit_id, campaign.id)}/{i}/restore"))
    return render(request, "pages/surveys/followups.html", ctx, status_code=status_code)


@router.get(PAGE)
def followups_page(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                   campaign_id: int) -> Response:
    return _show(request, session, principal, unit_id, campaign_id)


@router.post(PAGE)
async def create_followup(request: Request, session: SessionDep, principal: WriteUnit,
                          unit_id: int, campaign_id: int) -> Response:
    form = await request.form()
    try:
        row = followups.create_followup(session, actor=principal, campaign_id=campaign_id,
                                        data=FollowupIn.parse(form), unit_id=unit_id)
    except Invalid as exc:
        return _show(request, session, principal, unit_id, campaign_id,
                     problems=exc.problems or [exc.message], form=dict(form), status_code=422)
    return RedirectResponse(f"{_page_url(unit_id, campaign_id)}#followup-{row.id}",
                            status_code=303)


@router.post(PAGE + "/{followup_id}")
async def update_followup(request: Request, session: SessionDep, principal: WriteUnit,
                          unit_id: int, campaign_id: int, followup_id: int) -> Response:
    """The row form: status and evidence."""
    form = await request.form()
    followups.get_followup(session, actor=principal, followup_id=followup_id,
                           unit_id=unit_id)
    try:
        followups.update_followup(session, actor=principal, followup_id=followup_id,
                                  changes=FollowupPatch.parse(form), unit_id=unit_id)
    except Invalid as exc:
        return _show(request, session, principal, unit_id, campaign_id,
                     problems=exc.problems or [exc.message], status_code=422)
    return RedirectResponse(f"{_page_url(unit_id, campaign_id)}#followup-{followup_id}",
                            status_code=303)


@router.post(PAGE + "/{followup_id}/delete")
async def delete_followup(request: Request, session: SessionDep, principal: DeleteUnit,
                          unit_id: int, campaign_id: int, followup_id: int) -> Response:
    row = followups.get_followup(session, actor=principal, followup_id=followup_id,
                                 permission="surveys.delete", unit_id=unit_id)
    back = _page_url(unit_id, campaign_id)
    unit = units.get(session, unit_id=unit_id)
    step = await confirmation_step(request, Step(
        title=_("Hapus tindak lanjut") + f" '{row.action}'?",
        consequence=_("Tindakan ini hilang dari rencana tindak lanjut dan laporan. Anda dapat "
                      "membatalkan penghapusan sesudahnya."),
        action=_("Ya, hapus"), cancel=back),
        context={"unit": unit, "ancestors": units.ancestors(session, unit=unit)})
    if step is not None:
        return step
    followups.delete_followup(session, actor=principal, followup_id=followup_id,
                              unit_id=unit_id)
    return RedirectResponse(f"{back}?deleted={followup_id}", status_code=303)


@router.post(PAGE + "/{followup_id}/restore")
def restore_followup(session: SessionDep, principal: DeleteUnit, unit_id: int,
                     campaign_id: int, followup_id: int) -> Response:
    """Undo a delete."""
    followups.restore_followup(session, actor=principal, followup_id=followup_id,
                               unit_id=unit_id)
    return RedirectResponse(
        f"{_page_url(unit_id, campaign_id)}?restored={followup_id}#followup-{followup_id}",
        status_code=303)


@router.post(PAGE + "/{followup_id}/action-plan")
def add_to_action_plan(session: SessionDep, principal: WriteUnit, unit_id: int,
                       campaign_id: int, followup_id: int) -> Response:
    """Copy the action into the unit's action plan (PPF4C); needs programme.write too."""
    survey_followups.add_to_action_plan(session, actor=principal, followup_id=followup_id,
                                        unit_id=unit_id)
    return RedirectResponse(f"{_page_url(unit_id, campaign_id)}#followup-{followup_id}",
                            status_code=303)
