"""XLSX export and import of an LKE assessment (JSON API)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services.errors import Invalid
from app.services.lke import xlsx as lke_xlsx
from app.services.lke.xlsx_layout import ImportPlan

router = APIRouter(tags=["lke-xlsx"])
Reader = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
Writer = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]


class ChangeOut(BaseModel):
    ref: str = Field(description="Question ref, e.g. PPA1A")
    row: int = Field(description="Row of the question in the LKE sheet (as Excel numbers it)")
    answer_changed: bool
    old_answer: str = Field(description="As shown to people: 'A', 'Ya', '3,65', '' if none")
    new_answer: str
    penjelasan_changed: bool
    old_penjelasan: str
    new_penjelasan: str


class ProblemOut(BaseModel):
    row: int = Field(description="Row in the LKE sheet; 0 for a problem of the whole file")
    ref: str
    message: str = Field(description="Indonesian, for people")


class ImportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assessment_id": 7, "dry_run": True, "ok": True, "applied": 0,
                    "file_sha256": "9f2c...", "plan_hash": "41ab...",
                    "questions_in_file": 113, "unchanged": 112,
                    "changes": [{
                        "ref": "PPA1B", "row": 12, "answer_changed": True,
                        "old_answer": "B", "new_answer": "A", "penjelasan_changed": False,
                        "old_penjelasan": "SK tim 2024", "new_penjelasan": "SK tim 2024",
                    }],
                    "problems": [], "notes": [],
                },
                {
                    "assessment_id": 7, "dry_run": True, "ok": False, "applied": 0,
                    "file_sha256": "77e0...", "plan_hash": "c3d1...",
                    "questions_in_file": 113, "unchanged": 111, "changes": [],
                    "problems": [{"row": 14, "ref": "PPA2B",
                                  "message": "Pilihan 'F' tidak tersedia untuk PPA2B "
                                             "(pilihan: A, B, C)."}],
                    "notes": [],
                },
            ]
        }
    )
    assessment_id: int
    dry_run: bool
    ok: bool = Field(description="True when no row has a problem (the file can be applied)")
    applied: int = Field(description="Questions changed (0 in a dry run)")
    file_sha256: str
    plan_hash: str = Field(
        description="Send it back with dry_run=false to apply exactly this plan"
    )
    questions_in_file: int
    unchanged: int
    changes: list[ChangeOut]
    problems: list[ProblemOut]
    notes: list[str]


def plan_out(plan: ImportPlan, *, dry_run: bool, applied: int = 0) -> ImportOut:
    return ImportOut(
        assessment_id=plan.assessment_id,
        dry_run=dry_run,
        ok=plan.ok,
        applied=applied,
        file_sha256=plan.file_sha256,
        plan_hash=plan.plan_hash,
        questions_in_file=plan.questions_in_file,
        unchanged=plan.unchanged,
        changes=[
            ChangeOut(
                ref=c.ref, row=c.row, answer_changed=c.answer_changed,
                old_answer=c.old_answer, new_answer=c.new_answer,
                penjelasan_changed=c.explanation_changed,
                old_penjelasan=c.old_explanation, new_penjelasan=c.new_explanation,
            )
            for c in plan.changes
        ],
        problems=[ProblemOut(row=p.row, ref=p.ref, message=p.message) for p in plan.problems],
        notes=list(plan.notes),
    )


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded bytes, reading at most one byte past the limit (the service refuses it)."""
    data = await upload.read(max_bytes + 1)
    if not data:
        raise Invalid("Berkas kosong.")
    return data


def max_bytes_of(request: Request) -> int:
    return request.app.state.settings.max_xlsx_import_mb * 1024 * 1024


@router.get(
    "/assessments/{assessment_id}/export.xlsx",
    response_class=Response,
    responses={200: {"content": {lke_xlsx.XLSX_MEDIA_TYPE: {}},
                     "description": "The worksheet as XLSX (sheets LKE, Ringkasan)"}},
)
def export_xlsx(
    session: SessionDep, principal: Reader, assessment_id: int,
    layout: Annotated[Literal["standard", "official"], Query(
        description='"official": the printed worksheet\'s numbering (A.I.1.i.a) beside the '
                    "refs, A4 landscape print setup and a signature area; imports the same "
                    "way")] = "standard",
) -> Response:
    """The assessment as an XLSX file in the layout units and evaluators use."""
    result = lke_xlsx.export(session, actor=principal, assessment_id=assessment_id,
                             layout=layout)
    return Response(
        result.content, media_type=result.media_type,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"',
                 "Cache-Control": "no-store"},
    )


@router.post("/assessments/{assessment_id}/import.xlsx", response_model=ImportOut)
async def import_xlsx(
    request: Request,
    session: SessionDep,
    principal: Writer,
    assessment_id: int,
    file: Annotated[UploadFile, File(description="An LKE XLSX (as exported)")],
    dry_run: Annotated[bool, Query(description="true (default): only show what would "
                                               "change; false: apply, all or nothing")] = True,
    plan_hash: Annotated[str | None, Query(
        description="With dry_run=false: the plan_hash of the dry run; if the plan differs "
                    "now, nothing is applied (409)", max_length=64)] = None,
) -> ImportOut:
    """Import answers and penjelasan from an XLSX: a dry run first, then apply."""
    max_bytes = max_bytes_of(request)
    data = await read_upload(file, max_bytes)
    if dry_run:
        plan = lke_xlsx.dry_run(
            session, actor=principal, assessment_id=assessment_id, data=data,
            max_bytes=max_bytes,
        )
        return plan_out(plan, dry_run=True)
    result = lke_xlsx.apply(
        session, actor=principal, assessment_id=assessment_id, data=data,
        plan_hash=plan_hash or None, max_bytes=max_bytes,
    )
    return plan_out(result.plan, dry_run=False, applied=result.applied)
