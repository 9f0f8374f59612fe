"""The LKE self-assessment report of an assessment as a PDF (JSON API's file endpoint)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services.documents.pdf import PDF_MEDIA_TYPE
from app.services.lke import report as lke_report

router = APIRouter(tags=["lke-report"])
Reader = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]


@router.get(
    "/assessments/{assessment_id}/report.pdf",
    response_class=Response,
    responses={200: {
        "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The self-assessment report (A4 PDF, fonts embedded): cover, score "
                       "tree to sub-indicators with self / regional / TPI values, WBK and "
                       "WBBM requirements, gap plan summary, review decisions, evidence "
                       "coverage per area, signature block",
    }},
)
def get_report(
    request: Request,
    session: SessionDep,
    principal: Reader,
    assessment_id: int,
    lang: Annotated[Literal["id", "en"] | None, Query(
        description="Language of the report: id (default) or en")] = None,
) -> Response:
    """The LKE self-assessment report of an assessment, as a PDF."""
    result = lke_report.render(
        session, actor=principal, assessment_id=assessment_id,
        lang=lang or getattr(request.state, "language", "id"),
    )
    return Response(
        result.content, media_type=result.media_type,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"',
                 "Cache-Control": "no-store"},
    )
