"""Pages: export an assessment as XLSX, import answers from one (dry run, then confirm)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.models.lke.assessments import Assessment
from app.security.principal import Principal
from app.services import units
from app.services.errors import Forbidden, Invalid, Locked, NotFound, ServiceError
from app.services.lke import assessments
from app.services.lke import xlsx as lke_xlsx
from app.services.storage import from_settings as store_from_settings
from app.web.templating import render

router = APIRouter(tags=["pages"])
Reader = Annotated[Principal, Depends(requires("unit.read"))]
Writer = Annotated[Principal, Depends(requires("indicators.write"))]
TEMPLATE = "pages/lke/xlsx.html"


def _assessment(session, principal: Principal, unit_id: int, assessment_id: int,
                permission: str = "unit.read") -> Assessment:
    return assessments.get(
        session, actor=principal, assessment_id=assessment_id, permission=permission,
        unit_id=unit_id,
    )


def _stage_store(request: Request):
    """Where a dry run's file waits for its confirmation: the file store (S3 is shared by
    every replica, so the confirmation may reach another one)."""
    return store_from_settings(request.app.state.settings)


def _max_bytes(request: Request) -> int:
    return request.app.state.settings.max_xlsx_import_mb * 1024 * 1024


def _page(request: Request, session, principal: Principal, assessment: Assessment, *,
          status_code: int = 200, **extra) -> Response:
    unit = units.get(session, unit_id=assessment.unit_id)
    locked_reason = None
    try:
        assessments.assert_editable(assessment)
    except Locked as exc:
        locked_reason = exc.message
    context = {
        "unit": unit,
        "assessment": assessment,
        "status_label": assessments.STATUS_LABELS.get(assessment.status, assessment.status),
        "can_import": principal.can("indicators.write", unit.id),
        "locked_reason": locked_reason,
        "max_mb": request.app.state.settings.max_xlsx_import_mb,
        "plan": None,
        "applied": None,
        "error": None,
        "problems": [],
    }
    context.update(extra)
    return render(request, TEMPLATE, context, status_code=status_code)


@router.get("/units/{unit_id}/assessments/{assessment_id}/xlsx")
def xlsx_page(
    request: Request, session: SessionDep, principal: Reader, unit_id: int, assessment_id: int
) -> Response:
    assessment = _assessment(session, principal, unit_id, assessment_id)
    return _page(request, session, principal, assessment)


@router.get("/units/{unit_id}/assessments/{assessment_id}/export.xlsx")
def xlsx_download(
    session: SessionDep, principal: Reader, unit_id: int, assessment_id: int
) -> Response:
    _assessment(session, principal, unit_id, assessment_id)
    result = lke_xlsx.export(session, actor=principal, assessment_id=assessment_id)
    return Response(
        result.content, media_type=result.media_type,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"',
                 "Cache-Control": "no-store"},
    )


@router.post("/units/{unit_id}/assessments/{assessment_id}/xlsx/dry-run")
async def xlsx_dry_run(
    request: Request,
    session: SessionDep,
    principal: Writer,
    unit_id: int,
    assessment_id: int,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    assessment = _assessment(session, principal, unit_id, assessment_id, "indicators.write")
    max_bytes = _max_bytes(request)
    data = await file.read(max_bytes + 1) if file is not None else b""
    try:
        if not data:
            raise Invalid("Pilih berkas XLSX yang akan diimpor.")
        plan = lke_xlsx.dry_run(
            session, actor=principal, assessment_id=assessment.id, data=data,
            max_bytes=max_bytes,
        )
    except (Invalid, Locked) as exc:
        return _page(request, session, principal, assessment, status_code=exc.status_code,
                     error=exc.message, problems=exc.problems)
    if plan.ok and plan.changes:
        lke_xlsx.stage_upload(
            store=_stage_store(request), assessment_id=assessment.id, data=data,
            sha256=plan.file_sha256,
        )
    filename = (file.filename or "") if file is not None else ""
    return _page(request, session, principal, assessment, plan=plan,
                 filename=filename[-120:])


@router.post("/units/{unit_id}/assessments/{assessment_id}/xlsx/apply")
def xlsx_apply(
    request: Request,
    session: SessionDep,
    principal: Writer,
    unit_id: int,
    assessment_id: int,
    file_sha256: Annotated[str, Form(max_length=64)] = "",
    plan_hash: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    assessment = _assessment(session, principal, unit_id, assessment_id, "indicators.write")
    stage_store = _stage_store(request)
    try:
        if not plan_hash:
            raise Invalid("Konfirmasi impor tidak lengkap; jalankan uji coba lagi.")
        data = lke_xlsx.read_staged(
            store=stage_store, assessment_id=assessment.id, sha256=file_sha256
        )
        result = lke_xlsx.apply(
            session, actor=principal, assessment_id=assessment.id, data=data,
            plan_hash=plan_hash, max_bytes=_max_bytes(request),
        )
    except ServiceError as exc:
        if isinstance(exc, Forbidden | NotFound) and not exc.message.startswith("Berkas"):
            raise
        return _page(request, session, principal, assessment, status_code=exc.status_code,
                     error=exc.message, problems=exc.problems)
    lke_xlsx.discard_staged(store=stage_store, assessment_id=assessment.id,
                            sha256=file_sha256)
    session.refresh(assessment)
    return _page(request, session, principal, assessment, applied=result)
