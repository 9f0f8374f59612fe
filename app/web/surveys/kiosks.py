"""Survey kiosks in the browser: the coordinator's kiosk list (register, pairing link and QR,
revoke), the tablet's one-time pairing page, and the kiosk form itself (offline first: its
service worker and manifest). docs/surveys-kiosk.md tells the whole story.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from app.deps import SessionDep, public, requires
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.errors import Conflict, Invalid, NotFound
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import kiosks as survey_kiosks
from app.services.surveys.qr import qr_svg
from app.web.confirm import Step, confirmation_step
from app.web.templating import render

router = APIRouter(tags=["pages"])

ManageUnit = Annotated[Principal, Depends(requires("surveys.manage"))]
BASE = "/units/{unit_id}/surveys/campaigns/{campaign_id}/kiosks"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
LIST = "pages/surveys/kiosks.html"
PAIR = "pages/surveys/kiosk/pair.html"
FORM = "pages/surveys/kiosk/form.html"
STATUS = "pages/surveys/kiosk/status.html"


def _list_context(session, principal: Principal, unit_id: int, campaign_id: int) -> dict:
    campaign = survey_campaigns.campaign_for(
        session, actor=principal, campaign_id=campaign_id, unit_id=unit_id,
        permission="surveys.manage",
    )
    unit = units.get(session, unit_id=unit_id)
    services = survey_catalogue.active_services(session, unit_id=unit_id)
    return {
        "unit": unit, "ancestors": units.ancestors(session, unit=unit), "campaign": campaign,
        "kiosks": survey_kiosks.list_for_campaign(
            session, actor=principal, campaign_id=campaign.id),
        "services": services, "service_names": {s.id: s.name for s in services},
        "sources": survey_catalogue.list_sources(session, campaign_id=campaign.id,
                                                 actor=principal),
        "issued": None, "errors": {}, "values": {},
    }


@router.get(BASE)
def kiosk_list(request: Request, session: SessionDep, principal: ManageUnit, unit_id: int,
               campaign_id: int, revoked: int | None = None) -> Response:
    """A campaign's kiosks: last sync, queue reported by the device, refusals; register one.
    After a revoke (``?revoked=<id>``) it says the revoke is final."""
    ctx = _list_context(session, principal, unit_id, campaign_id)
    gone = next((k for k in ctx["kiosks"] if k.id == revoked and k.revoked_at), None)
    if gone is not None:
        ctx["flash"] = (_("Dicabut: kiosk") + f" '{gone.name}'. " + _(
            "Pencabutan tidak dapat dibatalkan; daftarkan kiosk baru bila perlu."))
    return render(request, LIST, ctx)


def _int(value) -> int | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise Invalid("Isian angka tidak sah.")
    return int(text)


@router.post(BASE)
async def kiosk_create(request: Request, session: SessionDep, principal: ManageUnit,
                       unit_id: int, campaign_id: int) -> Response:
    """Register a kiosk: the page shows its one-time pairing link and QR code once."""
    ctx = _list_context(session, principal, unit_id, campaign_id)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        issued = survey_kiosks.create(
            session, actor=principal, campaign_id=ctx["campaign"].id,
            name=values.get("name", "")[:200], service_id=_int(values.get("service_id")),
            source_tag=(values.get("source_tag") or "").strip()[:40] or None,
            expires_in_days=_int(values.get("expires_in_days")),
            pairing_hours=request.app.state.settings.survey_kiosk_pairing_hours,
        )
    except Invalid as exc:
        ctx.update(errors={e.field: _(e.message) for e in exc.errors} or {"name": _(str(exc))},
                   values=values)
        return render(request, LIST, ctx, status_code=422)
    link = f"{request.app.state.settings.base_url.rstrip('/')}/kiosk/pair/{issued.secret}"
    ctx.update(
        kiosks=survey_kiosks.list_for_campaign(session, actor=principal,
                                               campaign_id=ctx["campaign"].id),
        issued={"kiosk": issued.kiosk, "link": link,
                "qr": Markup(qr_svg(link, title=_("Kode QR pemasangan kiosk")).decode())},
    )
    return render(request, LIST, ctx, status_code=201)


@router.post(BASE + "/{kiosk_id}/revoke")
async def kiosk_revoke(request: Request, session: SessionDep, principal: ManageUnit,
                       unit_id: int, campaign_id: int, kiosk_id: int) -> Response:
    """Revoke a kiosk at once: its credential and unused pairing link stop working. Asks
    first (it cannot be undone)."""
    campaign = survey_campaigns.campaign_for(
        session, actor=principal, campaign_id=campaign_id, unit_id=unit_id,
        permission="surveys.manage",
    )
    kiosk = survey_kiosks.get(session, actor=principal, kiosk_id=kiosk_id,
                              campaign_id=campaign.id)
    back = f"/units/{unit_id}/surveys/campaigns/{campaign.id}/kiosks"
    step = await confirmation_step(request, Step(
        title=_("Cabut kiosk") + f" '{kiosk.name}'?",
        consequence=_("Perangkat ini langsung tidak dapat mengirim jawaban lagi, dan tautan "
                      "pemasangannya tidak berlaku. Pencabutan tidak dapat dibatalkan; "
                      "daftarkan kiosk baru bila perlu."),
        action=_("Ya, cabut"), cancel=back,
    ), context={"unit": units.get(session, unit_id=unit_id)})
    if step is not None:
        return step
    survey_kiosks.revoke(session, actor=principal, kiosk_id=kiosk.id, campaign_id=campaign.id)
    return RedirectResponse(f"{back}?revoked={kiosk.id}", status_code=303)


# --- the tablet ---------------------------------------------------------------------------


@router.get("/kiosk/sw.js", dependencies=[Depends(public())])
def kiosk_service_worker() -> Response:
    """The kiosk's service worker, served from /kiosk/ so its scope covers the kiosk pages
    (the file itself is app/static/kiosk-sw.js, checked by SHA256SUMS)."""
    return Response((STATIC_DIR / "kiosk-sw.js").read_bytes(),
                    media_type="text/javascript", headers={"Cache-Control": "no-store"})


@router.get("/kiosk/pair/{secret}", dependencies=[Depends(public())])
def kiosk_pair_page(request: Request, session: SessionDep, secret: str) -> Response:
    """The one-time pairing link: asks to confirm (a link preview never spends it)."""
    state, kiosk = survey_kiosks.pairing_state(session, secret=secret[:100])
    if state != "ready":
        return render(request, PAIR, {
            "state": state, "message": _(survey_kiosks.PAIRING_REFUSALS[state]),
        }, status_code=404 if state == "unknown" else 410)
    return render(request, PAIR, {"state": state, "kiosk": kiosk, "secret": secret})


@router.post("/kiosk/pair/{secret}", dependencies=[Depends(public())])
def kiosk_pair(request: Request, session: SessionDep, secret: str) -> Response:
    """Spend the link: the page hands the kiosk credential to the tablet's script, once."""
    try:
        paired = survey_kiosks.pair(session, secret=secret[:100])
    except NotFound as exc:
        return render(request, PAIR, {"state": "unknown", "message": _(str(exc))},
                      status_code=404)
    except Conflict as exc:
        return render(request, PAIR, {"state": "used", "message": _(str(exc))},
                      status_code=409)
    return render(request, PAIR, {
        "state": "paired", "kiosk": paired.kiosk, "token": paired.token,
        "campaign": paired.campaign,
    })


def _kiosk_form(session, kiosk_id: int):
    try:
        return survey_kiosks.form_of(session, kiosk_id=kiosk_id)
    except NotFound:
        return None


@router.get("/kiosk/{kiosk_id}/manifest.webmanifest", dependencies=[Depends(public())])
def kiosk_manifest(session: SessionDep, kiosk_id: int) -> Response:
    """The installable web app of one kiosk (full screen, starts on its form)."""
    found = _kiosk_form(session, kiosk_id)
    if found is None:
        return Response(status_code=404)
    kiosk, campaign = found
    body = {
        "name": f"Zona kiosk · {campaign.title}"[:100], "short_name": "Zona kiosk",
        "start_url": f"/kiosk/{kiosk.id}", "scope": "/kiosk/", "display": "fullscreen",
        "orientation": "any", "background_color": "#ffffff", "theme_color": "#0b5394",
        "icons": [{"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(body), media_type="application/manifest+json")


@router.get("/kiosk/{kiosk_id}", dependencies=[Depends(public())])
def kiosk_form(request: Request, session: SessionDep, kiosk_id: int) -> Response:
    """The kiosk form: both languages in the page (switched per respondent, offline too);
    answers go to the device's queue, never straight to the server."""
    found = _kiosk_form(session, kiosk_id)
    if found is None:
        return render(request, STATUS, {"message": _("Kiosk tidak ditemukan.")},
                      status_code=404)
    kiosk, campaign = found
    state = survey_campaigns.campaign_state(campaign)
    if kiosk.revoked_at is not None:
        return render(request, STATUS, {"message": _("Kiosk ini sudah dicabut oleh koordinator."),
                                        "kiosk": kiosk})
    instruments = survey_campaigns.instruments_of(session, campaign)
    services = [] if kiosk.service_id else survey_catalogue.active_services(
        session, unit_id=campaign.unit_id)
    profile = {}
    for instrument in instruments:
        for f in instrument.profile:
            profile.setdefault(f.code, f)
    suggestions = [i.suggestion for i in instruments if i.suggestion]
    settings = request.app.state.settings
    return render(request, FORM, {
        "kiosk": kiosk, "campaign": campaign, "unit": units.get(session, unit_id=campaign.unit_id),
        "instruments": instruments, "services": services, "profile": list(profile.values()),
        "suggestion": min(suggestions, key=lambda f: f.max_length) if suggestions else None,
        "open": state == "open", "min_fill": settings.survey_kiosk_min_fill_seconds,
        # Not open (yet, or any more): no new answers, but the page still sends the queue.
        "closed_message": None if state == "open" else survey_campaigns.STATE_MESSAGES[state],
    })
