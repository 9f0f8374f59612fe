"""Review chain API: submit an assessment, the reviewer's queue, reviewer values and
decisions (immutable), and the self / regional / TPI comparison.

Submitting needs a coordinator's session (`indicators.submit`; API tokens cannot submit).
Reviewing needs a signed-in reviewer of the level the assessment waits for (session cookie,
with the X-CSRF-Token header on writes). Reading reviews and the comparison needs `read`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.api.lke.assessments import StoredAnswerOut
from app.api.lke.schemas import ScoreSnapshotOut
from app.api.types import Timestamp
from app.deps import IdempotencyKey, SessionDep, SettingsDep, requires
from app.domain.lke import report_json
from app.domain.lke import review as rv
from app.models.lke.review import LkeReview, LkeReviewItem, LkeSubmission
from app.security.principal import Principal
from app.services.form_input import TextInput
from app.services.lke import assessments, review_records
from app.services.lke import review as svc
from app.services.lke import submission as lke_submission
from app.services.lke.inputs import DecisionFields, SubmitFields

router = APIRouter(tags=["reviews"])

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
SubmitAny = Annotated[Principal, Depends(requires("indicators.submit", unit_param=None))]
ReviewAny = Annotated[Principal, Depends(requires("review.write", unit_param=None))]

NumberLike = int | float | str


def _fraction_text(value) -> str | None:
    return report_json.dec2(value) if value is not None else None


class SubmitIn(SubmitFields):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Siap direviu."}]}
    )


class ReadinessOut(BaseModel):
    status: str
    ready: bool
    levels: list[str] = Field(description="Review levels in order: regional, tpi")
    message: str | None
    missing: list[str] = Field(description="'REF: what is missing', every question")


class SubmissionOut(BaseModel):
    id: int
    assessment_id: int
    round: int
    levels: list[str]
    submitted_by: str
    submitted_at: Timestamp
    note: str | None
    status: str

    @classmethod
    def of(cls, row: LkeSubmission, status: str) -> SubmissionOut:
        return cls(
            id=row.id, assessment_id=row.assessment_id, round=row.round,
            levels=row.levels.split(), submitted_by=row.submitted_by_label,
            submitted_at=row.submitted_at, note=row.note, status=status,
        )


class QueueOut(BaseModel):
    assessment_id: int
    unit_id: int
    unit_name: str
    year: int
    target: str
    status: str
    level: str
    round: int | None
    submitted_at: Timestamp | None


class ReviewValueIn(TextInput):
    """The reviewer's value for one question (the same shapes as the unit's answers).
    No option/inputs/index: the reviewer agrees with the unit's answer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"ref": "PPA1B", "option": "B", "note": "SK belum ditandatangani kepala unit",
             "flagged": True},
            {"ref": "PPA1A", "flagged": False},
        ]},
    )
    ref: str = Field(min_length=1, max_length=20)
    option: str | None = Field(None, max_length=10)
    inputs: dict[str, NumberLike] | None = None
    index: NumberLike | None = None
    note: str | None = Field(None, max_length=lke_submission.MAX_NOTE)
    flagged: bool | None = Field(None, description="Must be fixed by the unit (a return)")

    def change(self) -> svc.DraftChange:
        return svc.DraftChange(
            ref=self.ref, option=self.option, inputs=self.inputs, index=self.index,
            note=self.note, flagged=self.flagged,
        )


class ReviewValuesIn(TextInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"items": [
            {"ref": "PPA1B", "option": "B", "note": "SK belum ditandatangani", "flagged": True}
        ]}]},
    )
    items: list[ReviewValueIn] = Field(min_length=1, max_length=500)


class DecisionIn(DecisionFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"decision": "return", "note": "Perbaiki eviden PPA1B.",
             "items": [{"ref": "PPA1B", "option": "B", "note": "SK belum ditandatangani",
                        "flagged": True}]},
            {"decision": "accept", "note": "Sesuai.", "items": []},
        ]},
    )
    items: list[ReviewValueIn] = Field(
        default_factory=list, max_length=500,
        description="Values/notes/flags to save before deciding (optional).",
    )


class DraftOut(BaseModel):
    ref: str
    answer: StoredAnswerOut | None = Field(description="Null: agrees with the unit's answer")
    note: str | None
    flagged: bool


class ReviewItemOut(BaseModel):
    ref: str
    self_answer: StoredAnswerOut | None
    self_value: str | None = Field(description="Exact value 0..1 ('0.67' or '1/3')")
    answer: StoredAnswerOut | None
    value: str | None
    changed: bool
    flagged: bool
    note: str | None

    @classmethod
    def of(cls, row: LkeReviewItem) -> ReviewItemOut:
        return cls(
            ref=row.question_ref, self_answer=row.self_answer, self_value=row.self_value,
            answer=row.answer, value=row.value, changed=row.changed, flagged=row.flagged,
            note=row.note,
        )


class ReviewOut(BaseModel):
    id: int
    assessment_id: int
    submission_id: int
    level: str
    decision: str
    note: str | None
    reviewer: str
    reviewer_unit_id: int
    decided_at: Timestamp
    status_before: str
    status_after: str
    self_total: str = Field(description="Exact total of the unit's answers")
    review_total: str = Field(description="Exact total of the reviewer's values")
    self_snapshot: ScoreSnapshotOut | None = Field(
        description="Score tree and verdict of the unit's answers at the decision"
    )
    review_snapshot: ScoreSnapshotOut | None = Field(
        description="Score tree and verdict of the reviewer's values at the decision"
    )
    items: list[ReviewItemOut] | None = None

    @classmethod
    def of(cls, row: LkeReview, items: list[LkeReviewItem] | None = None) -> ReviewOut:
        return cls(
            id=row.id, assessment_id=row.assessment_id, submission_id=row.submission_id,
            level=row.level, decision=row.decision, note=row.note,
            reviewer=row.reviewer_label, reviewer_unit_id=row.reviewer_unit_id,
            decided_at=row.decided_at, status_before=row.status_before,
            status_after=row.status_after, self_total=row.self_total,
            review_total=row.review_total, self_snapshot=row.self_snapshot,
            review_snapshot=row.review_snapshot,
            items=[ReviewItemOut.of(i) for i in items] if items is not None else None,
        )


class ComparisonRowOut(BaseModel):
    ref: str
    level: str
    name: str
    weight: str
    self_score: str | None = Field(description="Self-assessment")
    regional: str | None
    tpi: str | None
    differs: bool


class ComparisonOut(BaseModel):
    assessment_id: int
    status: str
    levels: list[str]
    decisions: dict[str, int | None] = Field(description="level -> latest decision id")
    rows: list[ComparisonRowOut]


@router.get("/assessments/{assessment_id}/submission", response_model=ReadinessOut)
def readiness(session: SessionDep, settings: SettingsDep, principal: ReadAny,
              assessment_id: int):
    """Can it be submitted now? Every missing answer is listed (and, when the deployment
    requires evidence on submit, every question that expects evidence and has none)."""
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id)
    r = lke_submission.readiness(session, assessment=assessment,
                                 require_evidence=settings.require_evidence_on_submit)
    return ReadinessOut(status=assessment.status, ready=r.ready, levels=list(r.levels),
                        message=r.message, missing=list(r.missing))


@router.post("/assessments/{assessment_id}/submit", response_model=SubmissionOut)
def submit(session: SessionDep, settings: SettingsDep, principal: SubmitAny,
           assessment_id: int, body: SubmitIn):
    """Submit for review (coordinator). 422 listing every unanswered question (and, with
    ZONA_REQUIRE_EVIDENCE_ON_SUBMIT, every question still without evidence); 409 when it is
    already under review or final."""
    row = lke_submission.submit(session, actor=principal, assessment_id=assessment_id,
                                note=body.note,
                                require_evidence=settings.require_evidence_on_submit)
    status = assessments.get(session, actor=principal, assessment_id=assessment_id,
                             permission="indicators.submit").status
    return SubmissionOut.of(row, status)


@router.get("/reviews/queue", response_model=list[QueueOut])
def review_queue(session: SessionDep, principal: ReviewAny):
    """Assessments waiting for the caller's review (at each level where it is a reviewer)."""
    return [
        QueueOut(
            assessment_id=e.assessment.id, unit_id=e.unit.id, unit_name=e.unit.name,
            year=e.assessment.year, target=e.assessment.target, status=e.assessment.status,
            level=e.level, round=e.submission.round if e.submission else None,
            submitted_at=e.submission.submitted_at if e.submission else None,
        )
        for e in lke_submission.queue(session, actor=principal)
    ]


@router.put("/assessments/{assessment_id}/review/values", response_model=list[DraftOut])
def save_review_values(
    session: SessionDep, principal: ReviewAny, assessment_id: int, body: ReviewValuesIn
):
    """Save the reviewer's own values, notes and flags (all or nothing; until the decision)."""
    drafts = svc.save_values(
        session, actor=principal, assessment_id=assessment_id,
        changes=[i.change() for i in body.items],
    )
    wanted = {i.ref for i in body.items}
    return [
        DraftOut(ref=d.question_ref, answer=d.answer, note=d.note, flagged=d.flagged)
        for d in drafts.values() if d.question_ref in wanted
    ]


@router.post("/assessments/{assessment_id}/reviews", response_model=ReviewOut,
             status_code=201, response_model_exclude_unset=True)
def decide(session: SessionDep, principal: ReviewAny, assessment_id: int, body: DecisionIn,
           _key: IdempotencyKey = None):
    """Accept or return at the level the assessment waits for (an immutable record).
    A return needs at least one flagged question, each with a note."""
    review = svc.decide(
        session, actor=principal, assessment_id=assessment_id, decision=body.decision,
        note=body.note, changes=[i.change() for i in body.items],
    )
    return ReviewOut.of(review, review_records.items_of(session, review_id=review.id))


@router.get("/assessments/{assessment_id}/reviews", response_model=list[ReviewOut],
            response_model_exclude_unset=True)
def list_reviews(
    session: SessionDep, principal: ReadAny, assessment_id: int, items: bool = False
):
    """Every decision, oldest first; `?items=true` adds each question's values and notes."""
    rows = review_records.reviews(session, actor=principal, assessment_id=assessment_id)
    return [
        ReviewOut.of(r, review_records.items_of(session, review_id=r.id) if items else None)
        for r in rows
    ]


@router.get("/assessments/{assessment_id}/comparison", response_model=ComparisonOut)
def comparison(session: SessionDep, principal: ReadAny, assessment_id: int):
    """Self-assessment, regional office and TPI scores side by side (2 places), for the
    total, every part, area, sub-indicator and question; `differs` when two disagree."""
    sbs = review_records.side_by_side(session, actor=principal, assessment_id=assessment_id)
    rows = []
    for row in sbs.comparison.rows:
        rows.append(
            ComparisonRowOut(
                ref=row.ref, level=row.level, name=row.name,
                weight=report_json.dec2(row.weight),
                self_score=_fraction_text(row.scores.get("self")),
                regional=_fraction_text(row.scores.get(rv.REGIONAL)),
                tpi=_fraction_text(row.scores.get(rv.TPI)),
                differs=row.differs,
            )
        )
    return ComparisonOut(
        assessment_id=sbs.assessment.id, status=sbs.assessment.status,
        levels=list(sbs.levels),
        decisions={lvl: (d.id if d else None) for lvl, d in sbs.decisions.items()},
        rows=rows,
    )
