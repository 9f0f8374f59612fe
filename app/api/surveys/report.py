"""The SKM report (laporan SKM) of a campaign or of a period as PDF or DOCX; ``lang=en`` for
English (Indonesian by default)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app.api.surveys._common import ReadAny, ReadUnit
from app.deps import SessionDep
from app.services import units
from app.services.surveys import report_files

router = APIRouter(tags=["surveys"])

Lang = Annotated[Literal["id", "en"], Query(description="id (default) or en")]
Period = Annotated[str, Path(min_length=4, max_length=10, pattern=r"^\d{4}(-[QqSs]\d)?$",
                              description="2019, 2019-S1 or 2019-Q3")]


def _binary(fmt: str) -> dict:
    media = report_files.MEDIA_TYPES[fmt]
    return {200: {"content": {media: {"schema": {"type": "string", "format": "binary"}}},
                  "description": f"The SKM report as {fmt.upper()}"}}


def _file(result: report_files.ReportFile) -> Response:
    return Response(result.content, media_type=result.media_type, headers={
        "Content-Disposition": f'attachment; filename="{result.filename}"',
        "Cache-Control": "no-store"})


@router.get("/survey-campaigns/{campaign_id}/report.pdf", response_class=Response,
            responses=_binary("pdf"))
def campaign_report_pdf(session: SessionDep, principal: ReadAny, campaign_id: int,
                        lang: Lang = "id") -> Response:
    """The campaign's SKM report (PermenPANRB 14/2017 structure) as PDF."""
    return _file(report_files.campaign_report_file(session, actor=principal,
                                                   campaign_id=campaign_id, fmt="pdf",
                                                   lang=lang))


@router.get("/survey-campaigns/{campaign_id}/report.docx", response_class=Response,
            responses=_binary("docx"))
def campaign_report_docx(session: SessionDep, principal: ReadAny, campaign_id: int,
                         lang: Lang = "id") -> Response:
    """The campaign's SKM report as DOCX, to edit the wording before signing."""
    return _file(report_files.campaign_report_file(session, actor=principal,
                                                   campaign_id=campaign_id, fmt="docx",
                                                   lang=lang))


@router.get("/units/{unit_id}/survey-reports/{period}.pdf", response_class=Response,
            responses=_binary("pdf"))
def period_report_pdf(session: SessionDep, principal: ReadUnit, unit_id: int, period: Period,
                      lang: Lang = "id") -> Response:
    """The SKM report of the unit's campaign of a period as PDF (409 when several campaigns
    share the period: ask per campaign)."""
    units.get(session, unit_id=unit_id)
    return _file(report_files.period_report_file(session, actor=principal, unit_id=unit_id,
                                                 period=period, fmt="pdf", lang=lang))


@router.get("/units/{unit_id}/survey-reports/{period}.docx", response_class=Response,
            responses=_binary("docx"))
def period_report_docx(session: SessionDep, principal: ReadUnit, unit_id: int,
                       period: Period, lang: Lang = "id") -> Response:
    """The SKM report of the unit's campaign of a period as DOCX."""
    units.get(session, unit_id=unit_id)
    return _file(report_files.period_report_file(session, actor=principal, unit_id=unit_id,
                                                 period=period, fmt="docx", lang=lang))
