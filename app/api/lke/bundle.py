"""An assessment's evidence bundle (ZIP) for the desk evaluation (JSON API).

Up to ZONA_BUNDLE_INLINE_MAX_BYTES of evidence the ZIP streams at once
(``GET /assessments/{id}/evidence-bundle.zip``); any size can be built in the background
(``POST /assessments/{id}/evidence-bundle/jobs`` -> 202 and a status resource to poll, then
its ``download_url``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from app.api.lke.evidence import STORE_UNAVAILABLE
from app.api.problems import PROBLEM_MEDIA_TYPE
from app.api.types import Timestamp
from app.deps import SessionDep, SettingsDep, requires, stored_file_response
from app.models.lke.bundle import EvidenceBundleJob
from app.security.principal import Principal
from app.services.errors import Conflict
from app.services.lke import bundle, bundle_jobs
from app.services.storage import from_settings as store_from_settings

router = APIRouter(tags=["evidence"])
Reader = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]

_PROBLEM = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ZIP = {"content": {bundle.ZIP_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}


class BundleSummaryOut(BaseModel):
    assessment_id: int
    filename: str = Field(description="Name of the ZIP, e.g. Eviden-LKE-KPPN-TJP-2025.zip")
    questions: int
    questions_with_evidence: int
    files: int = Field(description="Evidence files packed (one per question they support)")
    links: int = Field(description="Link-type evidence listed (TAUTAN.txt and the index)")
    total_bytes: int = Field(description="Bytes of evidence to pack")
    inline_max_bytes: int = Field(description="Above this, build it in the background")
    inline: bool = Field(description="true: GET evidence-bundle.zip streams it at once")
    fingerprint: str = Field(description="sha256 naming the content; the same content, the "
                                         "same fingerprint")


class BundleJobOut(BaseModel):
    id: int
    assessment_id: int
    status: str = Field(description="queued | running | done | failed | expired")
    percent: int = Field(description="0-100, by evidence bytes packed")
    total_files: int
    done_files: int
    total_bytes: int
    done_bytes: int
    size: int | None = Field(description="Bytes of the built ZIP (done)")
    sha256: str | None = Field(description="sha256 of the built ZIP (done)")
    filename: str
    attempts: int
    requested_by: str
    created_at: Timestamp
    finished_at: Timestamp | None
    expires_at: Timestamp | None = Field(description="The built ZIP is removed after this")
    last_error: str | None
    status_url: str
    download_url: str | None = Field(description="Set once the ZIP is ready (done)")


def _job(job: EvidenceBundleJob) -> BundleJobOut:
    ready = job.status == bundle_jobs.DONE and bundle_jobs.is_live(job)
    return BundleJobOut(
        id=job.id, assessment_id=job.assessment_id, status=job.status,
        percent=bundle_jobs.percent(job), total_files=job.total_files,
        done_files=job.done_files, total_bytes=job.total_bytes, done_bytes=job.done_bytes,
        size=job.size, sha256=job.sha256, filename=job.filename, attempts=job.attempts,
        requested_by=job.requested_by_label, created_at=job.created_at,
        finished_at=job.finished_at, expires_at=job.expires_at, last_error=job.last_error,
        status_url=f"/api/v1/evidence-bundle-jobs/{job.id}",
        download_url=f"/api/v1/evidence-bundle-jobs/{job.id}/download" if ready else None,
    )


def _inline_max(request: Request) -> int:
    return request.app.state.settings.bundle_inline_max_bytes


@router.get("/assessments/{assessment_id}/evidence-bundle", response_model=BundleSummaryOut)
def get_evidence_bundle(request: Request, session: SessionDep, principal: Reader,
                        assessment_id: int):
    """What the assessment's evidence bundle holds, and whether it streams at once."""
    plan = bundle.plan(session, actor=principal, assessment_id=assessment_id)
    return BundleSummaryOut(
        assessment_id=plan.assessment_id, filename=plan.filename, questions=plan.questions,
        questions_with_evidence=plan.questions_with_evidence, files=len(plan.files),
        links=plan.link_count, total_bytes=plan.total_bytes,
        inline_max_bytes=_inline_max(request),
        inline=plan.total_bytes <= _inline_max(request), fingerprint=plan.fingerprint)


@router.get(
    "/assessments/{assessment_id}/evidence-bundle.zip",
    response_class=StreamingResponse,
    responses={
        200: {**_ZIP, "description": "The bundle: folders per part/area/sub-indicator/"
                                     "question, index.xlsx, index.html, manifest.json"},
        409: {**_PROBLEM, "description": "Too big to stream at once: POST "
                                         "evidence-bundle/jobs"},
    },
)
def download_evidence_bundle(request: Request, session: SessionDep, settings: SettingsDep,
                             principal: Reader, assessment_id: int):
    """The evidence bundle as a ZIP, streamed (up to ZONA_BUNDLE_INLINE_MAX_BYTES of
    evidence; a bigger one answers 409: build it with POST .../evidence-bundle/jobs)."""
    plan = bundle.plan(session, actor=principal, assessment_id=assessment_id)
    if plan.total_bytes > _inline_max(request):
        raise Conflict(
            f"Bundel eviden terlalu besar untuk diunduh langsung ({plan.total_bytes} byte; "
            f"batas {_inline_max(request)}). Siapkan di latar belakang: POST "
            f"/api/v1/assessments/{assessment_id}/evidence-bundle/jobs.")
    chunks = bundle.stream(plan, bind=request.app.state.engine, actor=principal,
                           store=store_from_settings(settings), generated_by=principal.label)
    return StreamingResponse(chunks, media_type=bundle.ZIP_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{plan.filename}"',
        "Cache-Control": "private, no-store"})


@router.post("/assessments/{assessment_id}/evidence-bundle/jobs", response_model=BundleJobOut,
             status_code=202)
def request_evidence_bundle(session: SessionDep, principal: Reader, assessment_id: int,
                            response: Response):
    """Build the evidence bundle in the background (any size): 202 with the job to poll
    (``Location``); the same content already queued, running or ready is that job again."""
    job = bundle_jobs.request(session, actor=principal, assessment_id=assessment_id)
    response.headers["Location"] = f"/api/v1/evidence-bundle-jobs/{job.id}"
    return _job(job)


@router.get("/evidence-bundle-jobs/{job_id}", response_model=BundleJobOut)
def get_evidence_bundle_job(session: SessionDep, principal: Reader, job_id: int):
    """A background bundle: its status and progress, and its download_url once done."""
    return _job(bundle_jobs.get(session, actor=principal, job_id=job_id))


@router.get(
    "/evidence-bundle-jobs/{job_id}/download",
    response_class=FileResponse,
    responses={
        200: {**_ZIP, "description": "The built bundle (streamed from the file store)"},
        307: {"description": "With S3 storage and ZONA_S3_PRESIGNED_DOWNLOADS on: a redirect "
                             "to a pre-signed URL of the ZIP, valid for "
                             "ZONA_S3_PRESIGN_SECONDS, served as an attachment"},
        409: {**_PROBLEM, "description": "Not built yet (queued or running)"},
        503: STORE_UNAVAILABLE,
    },
)
def download_evidence_bundle_job(session: SessionDep, settings: SettingsDep,
                                 principal: Reader, job_id: int):
    """The ZIP of a finished background bundle (404 once expired: request it again)."""
    built = bundle_jobs.download(session, actor=principal, job_id=job_id,
                                 store=store_from_settings(settings))
    return stored_file_response(built)
