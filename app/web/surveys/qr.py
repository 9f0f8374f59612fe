"""QR codes (SVG, PNG) and the printable A4 poster of a campaign's public link.

For the unit team (``unit.read`` at the campaign's unit: the link itself is public, the
page only gathers it for printing). ``?src=<tag>`` makes the code carry one source tag.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.models.surveys.records import SurveyCampaign, SurveySource
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid, NotFound
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import publication
from app.services.surveys.qr import PNG_SCALES, public_link, qr_png, qr_svg, results_link
from app.web.templating import render

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
BASE = "/units/{unit_id}/surveys/campaigns/{campaign_id}"
#: QR images change only when the campaign's code or a tag changes: cache for a day.
IMAGE_HEADERS = {"Cache-Control": "private, max-age=86400"}


def public_base(request: Request) -> str:
    """ZONA_BASE_URL, always: a printed code must not carry whatever Host header the request
    that made it sent (a forged one would send citizens to another site)."""
    return request.app.state.settings.base_url


def _campaign_and_source(
    session, actor: Principal, unit_id: int, campaign_id: int, src: str | None
) -> tuple[SurveyCampaign, SurveySource | None]:
    campaign = survey_campaigns.campaign_for(
        session, actor=actor, campaign_id=campaign_id, unit_id=unit_id
    )
    source = None
    if src:
        source = survey_catalogue.source_by_tag(session, campaign_id=campaign.id, tag=src[:40])
        if source is None:
            raise NotFound(f"Sumber '{src[:40]}' tidak ada pada survei ini.")
    return campaign, source


def _filename(campaign: SurveyCampaign, source: SurveySource | None, ext: str) -> str:
    tail = f"-{source.tag}" if source else ""
    return f"qr-survei-{campaign.public_code}{tail}.{ext}"


@router.get(BASE + "/qr.svg")
def campaign_qr_svg(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                    campaign_id: int, src: str | None = None) -> Response:
    """The campaign's QR code as SVG (scales to any print size)."""
    campaign, source = _campaign_and_source(session, principal, unit_id, campaign_id, src)
    link = public_link(public_base(request), campaign.public_code, source.tag if source else None)
    headers = {**IMAGE_HEADERS,
               "Content-Disposition": f'inline; filename="{_filename(campaign, source, "svg")}"'}
    return Response(qr_svg(link, title=link), media_type="image/svg+xml", headers=headers)


@router.get(BASE + "/qr.png")
def campaign_qr_png(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                    campaign_id: int, src: str | None = None, scale: int = 10) -> Response:
    """The campaign's QR code as PNG (``scale`` pixels per module, 2-40), e.g. for chat apps."""
    if scale not in PNG_SCALES:
        raise Invalid(f"Skala PNG harus {PNG_SCALES.start}-{PNG_SCALES.stop - 1}.")
    campaign, source = _campaign_and_source(session, principal, unit_id, campaign_id, src)
    link = public_link(public_base(request), campaign.public_code, source.tag if source else None)
    headers = {**IMAGE_HEADERS,
               "Content-Disposition": f'inline; filename="{_filename(campaign, source, "png")}"'}
    return Response(qr_png(link, scale=scale), media_type="image/png", headers=headers)


RESULTS_QR = "/units/{unit_id}/surveys/results-qr"


@router.get(RESULTS_QR + ".svg")
def results_qr_svg(request: Request, session: SessionDep, principal: ReadUnit,
                   unit_id: int) -> Response:
    """The QR code of the unit's public results page as SVG (print at any size)."""
    unit = units.get(session, unit_id=unit_id, actor=principal)
    link = results_link(public_base(request), unit.code)
    headers = {**IMAGE_HEADERS,
               "Content-Disposition": f'inline; filename="qr-hasil-survei-{unit.id}.svg"'}
    return Response(qr_svg(link, title=link), media_type="image/svg+xml", headers=headers)


@router.get(RESULTS_QR + ".png")
def results_qr_png(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                   scale: int = 10) -> Response:
    """The QR code of the unit's public results page as PNG (``scale`` 2-40)."""
    if scale not in PNG_SCALES:
        raise Invalid(f"Skala PNG harus {PNG_SCALES.start}-{PNG_SCALES.stop - 1}.")
    unit = units.get(session, unit_id=unit_id, actor=principal)
    link = results_link(public_base(request), unit.code)
    headers = {**IMAGE_HEADERS,
               "Content-Disposition": f'inline; filename="qr-hasil-survei-{unit.id}.png"'}
    return Response(qr_png(link, scale=scale), media_type="image/png", headers=headers)


@router.get(BASE + "/poster")
def campaign_poster(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                    campaign_id: int, src: str | None = None) -> Response:
    """A printable A4 poster: unit, service, QR code, short link, a call to action."""
    campaign, source = _campaign_and_source(session, principal, unit_id, campaign_id, src)
    unit = units.get(session, unit_id=unit_id)
    link = public_link(public_base(request), campaign.public_code, source.tag if source else None)
    service = None
    if source is not None and source.service_id is not None:
        found = [s for s in survey_catalogue.list_services(session, unit_id=unit_id, actor=principal)
                 if s.id == source.service_id]
        service = found[0] if found else None
    query = f"?src={source.tag}" if source else ""
    results = None
    if publication.is_published(session, unit_id=unit_id, actor=principal):
        shown = results_link(public_base(request), unit.code)
        results = {"qr_src": RESULTS_QR.format(unit_id=unit_id) + ".svg", "link": shown,
                   "short_link": shown.split("://", 1)[-1]}
    return render(request, "pages/surveys/public/poster.html", {
        "results": results,
        "unit": unit, "campaign": campaign, "source": source, "service": service,
        "link": link, "short_link": link.split("://", 1)[-1],
        "qr_src": f"/units/{unit_id}/surveys/campaigns/{campaign.id}/qr.svg{query}",
        "sources": survey_catalogue.list_sources(session, campaign_id=campaign.id, actor=principal),
        "state": survey_campaigns.campaign_state(campaign),
    })
