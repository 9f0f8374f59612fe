"""Page route: the LKE self-assessment report of an assessment as a PDF download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services.lke import report as lke_report

router = APIRouter(tags=["pages"])
Reader = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]


@router.get("/assessments/{assessment_id}/report.pdf")
def report_pdf(
    request: Request, session: SessionDep, principal: Reader, assessment_id: int
) -> Response:
    """The report in the page's language (Indonesian, or English with ?lang=en)."""
    result = lke_report.render(session, actor=principal, assessment_id=assessment_id,
                               lang=getattr(request.state, "language", "id"))
    return Response(
        result.content, media_type=result.media_type,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"',
                 "Cache-Control": "no-store"},
    )
