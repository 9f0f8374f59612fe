"""Evidence API: a unit's library of files and links, and their links to LKE questions.

Files are identified by their content (PDF, PNG, JPEG, docx/xlsx/pptx, doc/xls/ppt) and
refused otherwise; the size limit is ZONA_MAX_UPLOAD_MB (413 above it). Downloads are
attachments, for callers who may read the evidence's unit.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from app.api.problems import PROBLEM_MEDIA_TYPE
from app.api.types import Timestamp
from app.deps import IdempotencyKey, SessionDep, SettingsDep, requires, stored_file_response
from app.models.lke.evidence import Evidence, EvidenceLink
from app.security.principal import Principal
from app.services.lke import assessments, evidence_links
from app.services.lke import evidence as svc
from app.services.lke.inputs import EvidenceLinkIn, LinkIn, ValidityIn
from app.services.storage import from_settings as store_from_settings

#: The file store (an S3 endpoint) did not answer: nothing was stored or changed.
STORE_UNAVAILABLE = {
    "description": "The file store did not answer; nothing was changed. Try again later.",
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}

router = APIRouter(tags=["evidence"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
WriteUnit = Annotated[Principal, Depends(requires("indicators.write"))]
WriteAny = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]


class EvidenceOut(BaseModel):
    id: int
    unit_id: int
    kind: str = Field(description="file | link")
    title: str
    url: str | None = Field(None, description="Links only")
    original_name: str | None = Field(None, description="Files only, sanitised")
    media_type: str | None = Field(None, description="From the file's content")
    size: int | None
    sha256: str | None
    uploaded_by: str
    uploaded_at: Timestamp
    download_url: str | None
    valid_until: date | None = Field(
        None, description="The last day the evidence is valid; null: valid without end")

    @classmethod
    def of(cls, row: Evidence) -> EvidenceOut:
        return cls(valid_until=row.valid_until,
            id=row.id, unit_id=row.unit_id, kind=row.kind, title=row.title, url=row.url,
            original_name=row.original_name, media_type=row.media_type, size=row.size,
            sha256=row.sha256, uploaded_by=row.uploaded_by_label, uploaded_at=row.uploaded_at,
            download_url=f"/api/v1/evidence/{row.id}/download" if row.kind == "file" else None,
        )


class EvidenceLinkOut(BaseModel):
    id: int
    evidence_id: int
    assessment_id: int
    question_ref: str
    expected_index: int | None
    expected_text: str | None
    carried_from_id: int | None
    linked_by: str
    linked_at: Timestamp
    unlinked_at: Timestamp | None

    @classmethod
    def of(cls, row: EvidenceLink) -> EvidenceLinkOut:
        return cls(
            id=row.id, evidence_id=row.evidence_id, assessment_id=row.assessment_id,
            question_ref=row.question_ref, expected_index=row.expected_index,
            expected_text=row.expected_text, carried_from_id=row.carried_from_id,
            linked_by=row.linked_by_label, linked_at=row.linked_at,
            unlinked_at=row.unlinked_at,
        )


class ExpectedItemOut(BaseModel):
    index: int
    text: str
    covered: bool
    evidence_ids: list[int]


class QuestionEvidenceOut(BaseModel):
    ref: str
    expected: list[ExpectedItemOut]
    covered: int
    links: list[EvidenceLinkOut]
    evidence: list[EvidenceOut]


class AssessmentEvidenceOut(BaseModel):
    assessment_id: int
    covered: int = Field(description="Expected-evidence items covered by a linked evidence")
    expected: int
    questions: dict[str, QuestionEvidenceOut]


class CarryOverOut(BaseModel):
    from_assessment_id: int | None
    from_year: int | None
    linked: int
    skipped_existing: int
    skipped_unknown_questions: list[str]


@router.get("/units/{unit_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(
    session: SessionDep, principal: ReadUnit, unit_id: int,
    q: Annotated[str | None, Query(max_length=200, description="Search title/name")] = None,
):
    """The unit's evidence library, newest first."""
    rows = svc.list_for_unit(session, actor=principal, unit_id=unit_id, search=q)
    return [EvidenceOut.of(r) for r in rows]


@router.post("/units/{unit_id}/evidence", response_model=EvidenceOut, status_code=201,
             responses={503: STORE_UNAVAILABLE})
def upload_evidence(
    session: SessionDep,
    settings: SettingsDep,
    principal: WriteUnit,
    unit_id: int,
    file: Annotated[UploadFile, File(description="PDF, PNG/JPEG, Office document")],
    title: Annotated[str | None, Form(max_length=svc.MAX_TITLE)] = None,
    valid_until: Annotated[date | None, Form(
        description="The last day the evidence is valid (YYYY-MM-DD, optional)")] = None,
    _key: IdempotencyKey = None,
):
    """Upload a file (multipart/form-data, field `file`, optional `title`, `valid_until`).

    The type is checked by content; an empty file, a wrong type -> 422, too large -> 413."""
    row = svc.upload_file(
        session, actor=principal, unit_id=unit_id, filename=file.filename, stream=file.file,
        store=store_from_settings(settings),
        max_bytes=settings.max_upload_mb * 1024 * 1024, title=title, valid_until=valid_until,
    )
    return EvidenceOut.of(row)


@router.post("/units/{unit_id}/evidence/links", response_model=EvidenceOut, status_code=201)
def add_link(session: SessionDep, principal: WriteUnit, unit_id: int, body: LinkIn,
             _key: IdempotencyKey = None):
    """Add an http(s) link to the unit's evidence library."""
    return EvidenceOut.of(
        svc.add_link(session, actor=principal, unit_id=unit_id, url=body.url, title=body.title,
                     valid_until=body.valid_until)
    )


@router.get("/evidence/{evidence_id}", response_model=EvidenceOut)
def get_evidence(session: SessionDep, principal: ReadAny, evidence_id: int):
    return EvidenceOut.of(svc.get(session, actor=principal, evidence_id=evidence_id))


@router.patch("/evidence/{evidence_id}", response_model=EvidenceOut)
def set_validity(session: SessionDep, principal: WriteAny, evidence_id: int, body: ValidityIn):
    """Change the last day the evidence is valid, or clear it (`null`). Audited; the daily
    season check warns 14 days ahead and once expired."""
    return EvidenceOut.of(svc.set_valid_until(
        session, actor=principal, evidence_id=evidence_id, valid_until=body.valid_until))


@router.get(
    "/evidence/{evidence_id}/download",
    response_class=FileResponse,
    responses={
        200: {"description": "The file, as an attachment (streamed from the file store)"},
        307: {"description": "With S3 storage and ZONA_S3_PRESIGNED_DOWNLOADS on: a redirect "
                             "to a pre-signed URL of the file, valid for "
                             "ZONA_S3_PRESIGN_SECONDS, served as an attachment"},
        503: STORE_UNAVAILABLE,
    },
)
def download_evidence(
    request: Request, session: SessionDep, settings: SettingsDep, principal: ReadAny,
    evidence_id: int,
):
    """The stored file, as an attachment (only for callers who may read its unit)."""
    file = svc.download(
        session, actor=principal, evidence_id=evidence_id,
        store=store_from_settings(settings),
    )
    return stored_file_response(file)


@router.delete("/evidence/{evidence_id}", response_model=EvidenceOut)
def delete_evidence(session: SessionDep, principal: WriteAny, evidence_id: int):
    """Remove from the library (kept in the database); unlinks it from editable assessments."""
    return EvidenceOut.of(svc.delete(session, actor=principal, evidence_id=evidence_id))


@router.post("/evidence/{evidence_id}/restore", response_model=EvidenceOut,
             responses={503: STORE_UNAVAILABLE})
def restore_evidence(session: SessionDep, settings: SettingsDep, principal: WriteAny,
                     evidence_id: int):
    """Undo a delete: back in the library (its links to questions are not put back). 404
    when no deleted evidence has that id; 422 when its stored file is gone."""
    return EvidenceOut.of(svc.restore(session, actor=principal, evidence_id=evidence_id,
                                      store=store_from_settings(settings)))


@router.get("/assessments/{assessment_id}/evidence", response_model=AssessmentEvidenceOut)
def assessment_evidence(session: SessionDep, principal: ReadAny, assessment_id: int):
    """Per question: the expected-evidence checklist, what covers each item, and the links."""
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id)
    per_question = evidence_links.question_evidence(session, assessment=assessment)
    questions = {}
    for ref, qe in per_question.items():
        questions[ref] = QuestionEvidenceOut(
            ref=ref,
            expected=[
                ExpectedItemOut(
                    index=item.index, text=item.text, covered=item.covered,
                    evidence_ids=[le.evidence.id for le in item.covered_by],
                )
                for item in qe.expected
            ],
            covered=qe.covered,
            links=[EvidenceLinkOut.of(le.link) for le in qe.links],
            evidence=[EvidenceOut.of(le.evidence) for le in qe.links],
        )
    return AssessmentEvidenceOut(
        assessment_id=assessment.id,
        covered=sum(q.covered for q in questions.values()),
        expected=sum(len(q.expected) for q in questions.values()),
        questions=questions,
    )


@router.post(
    "/assessments/{assessment_id}/evidence-links", response_model=EvidenceLinkOut,
    status_code=201,
)
def link_evidence(
    session: SessionDep, principal: WriteAny, assessment_id: int, body: EvidenceLinkIn,
    _key: IdempotencyKey = None,
):
    """Let an evidence of the unit support a question (optionally one expected item)."""
    row = evidence_links.link(
        session, actor=principal, assessment_id=assessment_id, evidence_id=body.evidence_id,
        question_ref=body.question_ref, expected_index=body.expected_index,
    )
    return EvidenceLinkOut.of(row)


@router.delete("/evidence-links/{link_id}", response_model=EvidenceLinkOut)
def unlink_evidence(session: SessionDep, principal: WriteAny, link_id: int):
    """Detach an evidence from a question (the link is kept as history)."""
    return EvidenceLinkOut.of(evidence_links.unlink(session, actor=principal, link_id=link_id))


@router.post("/assessments/{assessment_id}/evidence/carry-over", response_model=CarryOverOut)
def carry_over(session: SessionDep, principal: WriteAny, assessment_id: int):
    """Link the previous year's evidence to the same questions of this assessment."""
    result = evidence_links.carry_over(session, actor=principal, assessment_id=assessment_id)
    return CarryOverOut(
        from_assessment_id=result.source.id if result.source else None,
        from_year=result.source.year if result.source else None,
        linked=result.linked, skipped_existing=result.skipped_existing,
        skipped_unknown_questions=result.skipped_unknown,
    )
