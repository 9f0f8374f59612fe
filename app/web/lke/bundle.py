"""Pages: an assessment's evidence bundle (ZIP) for the desk evaluation, streamed at once or
built in the background with its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from app.deps import SessionDep, requires, stored_file_response
from app.i18n import format_number
from app.security.principal import Principal
from app.services import units
from app.services.lke import assessments, bundle, bundle_jobs
from app.services.storage import FileStore
from app.services.storage import from_settings as store_from_settings
from app.web.templating import render

router = APIRouter(tags=["pages"])
Reader = Annotated[Principal, Depends(requires("unit.read"))]
TEMPLATE = "pages/lke/bundle.html"
JOB_TEMPLATE = "pages/lke/bundle_job.html"
#: Seconds between refreshes of a job page (htmx, or the page itself without JavaScript).
REFRESH_SECONDS = 3


_SIZE_UNITS = ("byte", "KB", "MB", "GB", "TB")


def size_text(n: int | None) -> str:
    """A size as people read it, in the page's language: '330 byte', '20,1 KB', '1,5 GB'
    (binary multiples, one decimal)."""
    value, unit = float(n or 0), 0
    while value >= 1024 and unit < len(_SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{int(value)} byte"
    return f"{format_number(value, 1)} {_SIZE_UNITS[unit]}"


def _base(unit_id: int, assessment_id: int) -> str:
    return f"/units/{unit_id}/assessments/{assessment_id}/bundle"


def _inline_max(request: Request) -> int:
    return request.app.state.settings.bundle_inline_max_bytes


def _store(request: Request) -> FileStore:
    return store_from_settings(request.app.state.settings)


@router.get("/units/{unit_id}/assessments/{assessment_id}/bundle")
def bundle_page(request: Request, session: SessionDep, principal: Reader, unit_id: int,
                assessment_id: int) -> Response:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id,
                                 unit_id=unit_id)
    plan = bundle.plan(session, actor=principal, assessment_id=assessment.id)
    jobs = bundle_jobs.list_for_assessment(session, actor=principal,
                                           assessment_id=assessment.id)
    return render(request, TEMPLATE, {
        "unit": units.get(session, unit_id=assessment.unit_id),
        "assessment": assessment,
        "plan": plan,
        "inline_max": _inline_max(request),
        "inline": plan.total_bytes <= _inline_max(request),
        "jobs": jobs,
        "job_labels": bundle_jobs.STATUS_LABELS,
        "is_live": bundle_jobs.is_live,
        "percent": bundle_jobs.percent,
        "size": size_text,
        "base": _base(assessment.unit_id, assessment.id),
    })


@router.get("/units/{unit_id}/assessments/{assessment_id}/bundle.zip")
def bundle_download(request: Request, session: SessionDep, principal: Reader, unit_id: int,
                    assessment_id: int) -> Response:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id,
                                 unit_id=unit_id)
    plan = bundle.plan(session, actor=principal, assessment_id=assessment.id)
    if plan.total_bytes > _inline_max(request):
        # Too big to stream in one request: the page offers the background build.
        return RedirectResponse(_base(assessment.unit_id, assessment.id) + "?too_big=1",
                                status_code=303)
    chunks = bundle.stream(plan, bind=request.app.state.engine, actor=principal,
                           store=_store(request), generated_by=principal.label)
    return StreamingResponse(chunks, media_type=bundle.ZIP_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{plan.filename}"',
        "Cache-Control": "private, no-store"})


@router.post("/units/{unit_id}/assessments/{assessment_id}/bundle/jobs")
def bundle_request(session: SessionDep, principal: Reader, unit_id: int,
                   assessment_id: int) -> Response:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id,
                                 unit_id=unit_id)
    job = bundle_jobs.request(session, actor=principal, assessment_id=assessment.id)
    return RedirectResponse(f"{_base(assessment.unit_id, assessment.id)}/jobs/{job.id}",
                            status_code=303)


@router.get("/units/{unit_id}/assessments/{assessment_id}/bundle/jobs/{job_id}")
def bundle_job_page(request: Request, session: SessionDep, principal: Reader, unit_id: int,
                    assessment_id: int, job_id: int) -> Response:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id,
                                 unit_id=unit_id)
    job = bundle_jobs.get(session, actor=principal, job_id=job_id,
                          assessment_id=assessment.id)
    working = job.status in (bundle_jobs.QUEUED, bundle_jobs.RUNNING)
    context = {
        "unit": units.get(session, unit_id=assessment.unit_id),
        "assessment": assessment,
        "job": job,
        "label": bundle_jobs.STATUS_LABELS.get(job.status, job.status),
        "percent": bundle_jobs.percent(job),
        "live": bundle_jobs.is_live(job),
        "working": working,
        "refresh": REFRESH_SECONDS,
        "size": size_text,
        "base": _base(assessment.unit_id, assessment.id),
    }
    if request.headers.get("HX-Request"):
        return render(request, JOB_TEMPLATE, context, block="progress")
    return render(request, JOB_TEMPLATE, context)


@router.get("/units/{unit_id}/assessments/{assessment_id}/bundle/jobs/{job_id}/download")
def bundle_job_download(request: Request, session: SessionDep, principal: Reader,
                        unit_id: int, assessment_id: int, job_id: int) -> Response:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id,
                                 unit_id=unit_id)
    built = bundle_jobs.download(session, actor=principal, job_id=job_id,
                                 assessment_id=assessment.id, store=_store(request))
    return stored_file_response(built)
