"""The SKM report of a campaign or of a period, as PDF or DOCX (in the page's language, or
``?lang=en``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services import units
from app.services.surveys import report_files

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]


def _file(result: report_files.ReportFile) -> Response:
    return Response(result.content, media_type=result.media_type, headers={
        "Content-Disposition": f'attachment; filename="{result.filename}"',
        "Cache-Control": "no-store"})


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "id")


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}/report.pdf")
def campaign_report_pdf(request: Request, session: SessionDep, principal: ReadUnit,
                        unit_id: int, campaign_id: int) -> Response:
    return _file(report_files.campaign_report_file(
        session, actor=principal, campaign_id=campaign_id, unit_id=unit_id, fmt="pdf",
        lang=_lang(request)))


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}/report.docx")
def campaign_report_docx(request: Request, session: SessionDep, principal: ReadUnit,
                         unit_id: int, campaign_id: int) -> Response:
    return _file(report_files.campaign_report_file(
        session, actor=principal, campaign_id=campaign_id, unit_id=unit_id, fmt="docx",
        lang=_lang(request)))


@router.get("/units/{unit_id}/surveys/reports/{period}.pdf")
def period_report_pdf(request: Request, session: SessionDep, principal: ReadUnit,
                      unit_id: int, period: str) -> Response:
    units.get(session, unit_id=unit_id)
    return _file(report_files.period_report_file(
        session, actor=principal, unit_id=unit_id, period=period, fmt="pdf",
        lang=_lang(request)))


@router.get("/units/{unit_id}/surveys/reports/{period}.docx")
def period_report_docx(request: Request, session: SessionDep, principal: ReadUnit,
                       unit_id: int, period: str) -> Response:
    units.get(session, unit_id=unit_id)
    return _file(report_files.period_report_file(
        session, actor=principal, unit_id=unit_id, period=period, fmt="docx",
        lang=_lang(request)))
