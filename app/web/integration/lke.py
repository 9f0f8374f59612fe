"""Pages joining domains: "Isi dari hasil survei" on the worksheet, the LKE status of a
survey campaign, and applying the innovation registry's suggestions to the LKE.

The worksheet (app.web.lke.worksheet) and the innovation pages (app.web.programme.pages) call
:func:`worksheet_context` and :func:`innovation_context` for the parts of their pages that
come from the other domain.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, SettingsDep, requires
from app.security.principal import Principal
from app.services import units
from app.services.integration import lke_from_innovations as inno
from app.services.integration import lke_from_surveys as fill
from app.services.programme import innovations
from app.services.surveys import campaigns as survey_campaigns
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("indicators.write"))]
WriteAny = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]


def _go(request: Request, location: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


# --- worksheet ----------------------------------------------------------------------------


def _source_labels(session, principal, assessment) -> dict:
    """Campaign id -> 'title (period)' for the sources shown on the worksheet."""
    labels = {}
    for c in survey_campaigns.list_campaigns(session, actor=principal, unit_id=assessment.unit_id):
        labels[c.id] = f"{c.title} ({c.period_label})"
    return labels


def area_context(session, principal, assessment, rows) -> dict:
    """What the questions of one area need from the surveys: the names of the campaigns
    their shown answers (``rows``, by ref) came from (no query when none did)."""
    if not any((r.source or "").startswith("survey:") for r in rows.values()):
        return {"survey_labels": {}}
    return {"survey_labels": _source_labels(session, principal, assessment)}


def worksheet_context(session, principal, assessment, rows) -> dict:
    """The worksheet's Hasil-from-surveys plan and the names of the campaigns its shown
    answers (``rows``, by ref) came from."""
    return {
        "survey_plan": fill.plan(session, actor=principal, assessment_id=assessment.id),
        **area_context(session, principal, assessment, rows),
    }


@router.post("/assessments/{assessment_id}/fill-from-surveys")
def fill_from_surveys(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WriteAny,
    assessment_id: int,
) -> Response:
    fill.fill_from_surveys(session, actor=principal, assessment_id=assessment_id,
                           base_url=settings.base_url)
    return _go(request, f"/assessments/{assessment_id}#hasil-survei")


@router.post("/assessments/{assessment_id}/apply-survey-count")
def apply_survey_count(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WriteAny,
    assessment_id: int,
) -> Response:
    fill.apply_survey_count(session, actor=principal, assessment_id=assessment_id,
                            base_url=settings.base_url)
    return _go(request, f"/assessments/{assessment_id}#hasil-survei")


# --- a campaign's place in the LKE ------------------------------------------------------


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}/lke")
def campaign_lke(
    request: Request, session: SessionDep, principal: ReadUnit, unit_id: int, campaign_id: int
) -> Response:
    status = fill.campaign_status(session, actor=principal, campaign_id=campaign_id,
                                  unit_id=unit_id)
    ctx = {"unit": units.get(session, unit_id=unit_id), "lke": status,
           "can_fill": principal.can("indicators.write", unit_id)}
    if is_htmx(request):
        return render(request, "pages/integration/campaign_lke.html", ctx, block="card")
    return render(request, "pages/integration/campaign_lke.html", ctx)


# --- innovations --------------------------------------------------------------------------


def innovation_context(session, principal, unit_id, innovation=None) -> dict:
    """Suggestions with the unit's registered services, the editable assessments, and (on an
    innovation's page) its services' IKM before and after the launch."""
    extra = {
        "suggest": inno.suggestions(session, actor=principal, unit_id=unit_id),
        "lke_targets": inno.editable_assessments(session, unit_id=unit_id)
        if principal.can("indicators.write", unit_id) else [],
        "registered_services": inno.registered_services(session, unit_id=unit_id),
    }
    if innovation is not None:
        extra["survey_changes"] = inno.service_index_changes(
            session, actor=principal, innovation_id=innovation.id
        )
    return extra


@router.post("/units/{unit_id}/lke/apply-innovations")
async def apply_innovations(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WriteUnit,
    unit_id: int,
) -> Response:
    form = await request.form()
    try:
        assessment_id = int(str(form.get("assessment_id", "")))
    except ValueError:
        assessment_id = -1
    refs = [str(r) for r in form.getlist("ref")]
    result = inno.apply_to_lke(session, actor=principal, assessment_id=assessment_id,
                               refs=refs, base_url=settings.base_url, unit_id=unit_id)
    back = str(form.get("back", ""))
    innovation = None
    if back.isdigit():
        innovation = innovations.get_innovation(session, actor=principal,
                                                innovation_id=int(back))
    return render(request, "pages/integration/applied.html", {
        "unit": units.get(session, unit_id=unit_id), "result": result,
        "innovation": innovation if innovation and innovation.unit_id == unit_id else None,
    })
