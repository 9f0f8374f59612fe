"""LKE ZI worksheet API: framework versions, assessments, answers, score, verdict, gaps.

Answers are addressed by question ref (``PPA1A``); an option by its code (``A``..``E``,
``Ya``/``Tidak``), numeric questions by their inputs, Hasil survey indices by ``index``.
Scores are strings rounded half up to 2 places, with the exact value beside them as "n/d".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.lke import schemas as s
from app.api.types import Timestamp
from app.deps import IdempotencyKey, SessionDep, requires
from app.domain.lke import report_json as rj
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.models.units import Predicate
from app.security.principal import Principal
from app.services.errors import NotFound
from app.services.form_input import TextInput
from app.services.lke import answers as lke_answers
from app.services.lke import assessments as svc
from app.services.lke import frameworks, overview
from app.services.lke import scores as lke_scores
from app.services.lke.inputs import AssessmentIn

router = APIRouter(tags=["indicators"])

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("indicators.write"))]
WriteAny = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]
DeleteAny = Annotated[Principal, Depends(requires("indicators.delete", unit_param=None))]

NumberLike = int | float | str
PENJELASAN_MAX = 20000


# --- models ------------------------------------------------------------------------------


class FrameworkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    version: int
    title: str
    sha256: str
    loaded_at: Timestamp


class AssessmentOut(BaseModel):
    id: int
    unit_id: int
    year: int
    target: str
    status: str
    editable: bool
    framework: FrameworkOut
    created_at: Timestamp
    updated_at: Timestamp
    total: str = Field(description="Total score, 2 places, rounded half up", examples=["87.56"])
    total_exact: str = Field(examples=["2189/25"])
    answered: int
    questions: int
    verdict_passed: bool = Field(description="Does the worksheet meet its target predicate?")


class AnswerIn(TextInput):
    """One answer: `option`, or `inputs`, or `index` (what the question asks), + penjelasan."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"option": "B", "penjelasan": "SK Tim ZI nomor KEP-12/2025"},
                {"option": "Ya"},
                {"inputs": {"complaints_to_follow_up": 12, "complaints_in_process": 2,
                            "complaints_finished": 9}},
                {"index": "3.62", "penjelasan": "Survei IPAK semester I"},
            ]
        },
    )
    option: str | None = Field(None, max_length=10)
    inputs: dict[str, NumberLike] | None = None
    index: NumberLike | None = None
    penjelasan: str | None = Field(None, max_length=PENJELASAN_MAX)


class AnswerItemIn(AnswerIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ref": "PPA1A", "option": "Ya"}]},
    )
    ref: str = Field(min_length=1, max_length=20)


class AnswersIn(TextInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"answers": [
                    {"ref": "PPA2A", "option": "Ya"},
                    {"ref": "PPA2B", "option": "C"},
                    {"ref": "HBA1A", "index": "3.62"},
                ]}
            ]
        },
    )
    answers: list[AnswerItemIn] = Field(min_length=1, max_length=500)


class WhatIfIn(TextInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"target": "WBK", "answers": [{"ref": "PPA1B", "option": "A"},
                                              {"ref": "PPA1C"}]}
            ]
        },
    )
    target: Predicate | None = None
    answers: list[AnswerItemIn] = Field(
        min_length=1, max_length=500,
        description="Hypothetical answers; an item without a value removes that answer.",
    )


class AnswerOut(BaseModel):
    ref: str
    option: str | None
    inputs: dict[str, str] | None
    index: str | None
    penjelasan: str | None
    source: str | None = Field(description='"manual", "survey:<id>", "xlsx"...')
    revision: int
    updated_at: Timestamp
    updated_by: str
    value: str | None = Field(description="Answer value 0..1, 2 places", examples=["0.50"])
    value_exact: str | None
    score: str = Field(examples=["0.08"])
    score_exact: str = Field(examples=["1/12"])
    weight: str
    weight_exact: str


class StoredAnswerOut(BaseModel):
    """An answer as stored (decimals as text): what a revision or a review record keeps."""

    option: str | None
    inputs: dict[str, str] | None
    index: str | None
    source: str | None = Field(None, description="Revisions only: where the value came from")


class RevisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ref: str
    revision: int
    at: Timestamp
    actor: str
    old_value: StoredAnswerOut | None = Field(description="Null before the first answer")
    new_value: StoredAnswerOut | None
    old_penjelasan: str | None
    new_penjelasan: str | None


# --- helpers -----------------------------------------------------------------------------


def _assessments_out(session, items: list[Assessment]) -> list[AssessmentOut]:
    """Assessments with their total, progress and verdict from their summaries (a fixed
    number of queries for any number of assessments)."""
    listed = overview.listed(session, items)
    versions = frameworks.versions(session, framework_ids=[a.framework_id for a in items])
    return [
        AssessmentOut(
            id=a.id, unit_id=a.unit_id, year=a.year, target=a.target, status=a.status,
            editable=svc.is_editable(a),
            framework=FrameworkOut.model_validate(versions[a.framework_id]),
            created_at=a.created_at, updated_at=a.updated_at,
            total=rj.dec2(x.total), total_exact=rj.frac(x.total),
            answered=x.progress.answered, questions=x.progress.total,
            verdict_passed=x.verdict.passed,
        )
        for a, x in zip(items, listed, strict=True)
    ]


def _assessment_out(session, a: Assessment) -> AssessmentOut:
    return _assessments_out(session, [a])[0]


def _answer_out(row: LkeAnswer, report) -> AnswerOut:
    node = report.nodes.get(row.question_ref)
    return AnswerOut(
        ref=row.question_ref, option=row.option, inputs=row.inputs, index=row.index_value,
        penjelasan=row.penjelasan, source=row.source, revision=row.revision,
        updated_at=row.updated_at, updated_by=row.updated_by_label,
        value=rj.dec2(node.value) if node else None,
        value_exact=rj.frac(node.value) if node else None,
        score=rj.dec2(node.score) if node else "0.00",
        score_exact=rj.frac(node.score) if node else "0/1",
        weight=rj.dec2(node.weight) if node else "0.00",
        weight_exact=rj.frac(node.weight) if node else "0/1",
    )


def _revision_out(r: LkeAnswerRevision) -> RevisionOut:
    return RevisionOut(
        id=r.id, ref=r.question_ref, revision=r.revision, at=r.at, actor=r.actor_label,
        old_value=r.old_value, new_value=r.new_value, old_penjelasan=r.old_penjelasan,
        new_penjelasan=r.new_penjelasan,
    )


def _change(ref: str, body: AnswerIn) -> lke_answers.AnswerChange:
    return lke_answers.AnswerChange(
        ref=ref, option=body.option, inputs=body.inputs, index=body.index,
        penjelasan=body.penjelasan,
    )


# --- frameworks --------------------------------------------------------------------------


@router.get("/frameworks", response_model=list[FrameworkOut])
def list_frameworks(session: SessionDep, principal: ReadAny):
    """Stored LKE framework versions, oldest first (an assessment is bound to one)."""
    return frameworks.list_versions(session)


@router.get(
    "/frameworks/{framework_id}", response_model=s.FrameworkTreeOut,
    response_model_exclude_unset=True,
)
def framework_tree(session: SessionDep, principal: ReadAny, framework_id: int):
    """The whole worksheet of one version: components > parts > areas > sub-indicators >
    questions (options with exact values, numeric inputs and formulas, expected evidence),
    and the predicate thresholds."""
    return frameworks.tree_json(frameworks.get_row(session, framework_id=framework_id))


# --- assessments -------------------------------------------------------------------------


@router.get("/units/{unit_id}/assessments", response_model=list[AssessmentOut])
def list_assessments(session: SessionDep, principal: ReadUnit, unit_id: int):
    """The unit's assessments, newest year first."""
    return _assessments_out(session, svc.list_for_unit(session, actor=principal, unit_id=unit_id))


@router.post("/units/{unit_id}/assessments", response_model=AssessmentOut, status_code=201)
def create_assessment(session: SessionDep, principal: WriteUnit, unit_id: int, body: AssessmentIn,
                      _key: IdempotencyKey = None):
    """Start the unit's assessment for a year (one per unit and year)."""
    a = svc.create(
        session, actor=principal, unit_id=unit_id, year=body.year, target=str(body.target),
        framework_id=body.framework_id,
    )
    return _assessment_out(session, a)


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut)
def get_assessment(session: SessionDep, principal: ReadAny, assessment_id: int):
    return _assessment_out(
        session, svc.get(session, actor=principal, assessment_id=assessment_id)
    )


@router.delete("/assessments/{assessment_id}", status_code=204)
def delete_assessment(session: SessionDep, principal: DeleteAny, assessment_id: int):
    """Delete a draft assessment (soft: it stays in the audit trail)."""
    svc.delete(session, actor=principal, assessment_id=assessment_id)
    return Response(status_code=204)


# --- answers -----------------------------------------------------------------------------


@router.get("/assessments/{assessment_id}/answers", response_model=list[AnswerOut])
def list_answers(session: SessionDep, principal: ReadAny, assessment_id: int):
    """Every stored answer with its value and score (questions never touched are absent)."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    ev = lke_scores.evaluate(session, assessment=a)
    order = {q.ref: i for i, q in enumerate(ev.framework.questions())}
    rows = sorted(ev.rows.values(), key=lambda r: order.get(r.question_ref, 10**6))
    return [_answer_out(r, ev.report) for r in rows]


@router.get("/assessments/{assessment_id}/answers/{ref}", response_model=AnswerOut)
def get_answer(session: SessionDep, principal: ReadAny, assessment_id: int, ref: str):
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    ev = lke_scores.evaluate(session, assessment=a)
    row = ev.rows.get(ref)
    if row is None:
        raise NotFound(f"Pertanyaan {ref} belum dijawab.")
    return _answer_out(row, ev.report)


@router.put("/assessments/{assessment_id}/answers/{ref}", response_model=AnswerOut)
def put_answer(
    session: SessionDep, principal: WriteAny, assessment_id: int, ref: str, body: AnswerIn
):
    """Answer one question; a bad answer is refused (422) and nothing is stored."""
    lke_answers.answer_many(
        session, actor=principal, assessment_id=assessment_id, changes=[_change(ref, body)],
        paths=[""],
    )
    return get_answer(session, principal, assessment_id, ref)


@router.put("/assessments/{assessment_id}/answers", response_model=list[AnswerOut])
def put_answers(session: SessionDep, principal: WriteAny, assessment_id: int, body: AnswersIn):
    """Answer several questions, all or nothing: one bad item refuses all, each reported by
    ref in `detail.problems`."""
    lke_answers.answer_many(
        session, actor=principal, assessment_id=assessment_id,
        changes=[_change(item.ref, item) for item in body.answers],
    )
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    ev = lke_scores.evaluate(session, assessment=a)
    return [_answer_out(ev.rows[item.ref], ev.report) for item in body.answers]


@router.delete("/assessments/{assessment_id}/answers/{ref}", response_model=AnswerOut | None)
def clear_answer(session: SessionDep, principal: WriteAny, assessment_id: int, ref: str):
    """Remove the value of one answer (the penjelasan and the history stay)."""
    row = lke_answers.clear_answer(session, actor=principal, assessment_id=assessment_id, ref=ref)
    if row is None:
        return None
    return get_answer(session, principal, assessment_id, ref)


@router.get("/assessments/{assessment_id}/revisions", response_model=list[RevisionOut])
def list_revisions(
    session: SessionDep, principal: ReadAny, assessment_id: int,
    ref: Annotated[str | None, Query(max_length=20)] = None,
):
    """Every answer change (who, when, old and new), newest first; `ref` for one question."""
    return [
        _revision_out(r)
        for r in lke_answers.revisions(
            session, actor=principal, assessment_id=assessment_id, ref=ref
        )
    ]


# --- score, verdict, gaps ----------------------------------------------------------------


@router.get(
    "/assessments/{assessment_id}/score", response_model=s.ScoreOut,
    response_model_exclude_unset=True,
)
def get_score(
    session: SessionDep, principal: ReadAny, assessment_id: int,
    questions: bool = Query(False, description="Include every question's score too."),
):
    """Total and every component, part, area and sub-indicator keyed by ref."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    report = lke_scores.score_report(session, assessment=a)
    return {"assessment_id": a.id, **rj.report_json(report, questions=questions),
            "progress": _progress_json(overview.progress(session, assessment=a, report=report))}


def _progress_json(p: overview.Progress) -> dict:
    return {
        "answered": p.answered, "questions": p.total,
        "evidence_covered": p.evidence.covered if p.evidence else None,
        "evidence_expected": p.evidence.expected if p.evidence else None,
        "evidence_label": p.evidence_label,
    }


@router.get("/assessments/{assessment_id}/verdict", response_model=s.AssessmentVerdictOut)
def get_verdict(
    session: SessionDep, principal: ReadAny, assessment_id: int,
    target: Predicate | None = None,
):
    """Every requirement of the predicate (value, threshold, pass/fail), verdict and reasons.
    Default target: the assessment's own."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    ev = lke_scores.evaluate(session, assessment=a, target=target.value if target else None)
    return {"assessment_id": a.id, "total": rj.dec2(ev.total),
            "total_exact": rj.frac(ev.total), "holds_wbk": ev.holds_wbk,
            **rj.verdict_json(ev.verdict)}


@router.get("/assessments/{assessment_id}/gaps", response_model=s.GapsOut)
def get_gaps(
    session: SessionDep, principal: ReadAny, assessment_id: int,
    target: Predicate | None = None,
    limit: int = Query(200, ge=1, le=500),
):
    """Questions below their maximum for the target: blockers first (areas or Hasil under
    their minimum), then by points gained; with the gain at the next option and at the best."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    plan = lke_scores.gap_plan(session, assessment=a, target=target.value if target else None)
    return {
        "assessment_id": a.id,
        "target": plan.target,
        "total": rj.dec2(plan.report.total.score),
        "verdict": rj.verdict_json(plan.verdict),
        "items": [
            {
                "ref": i.ref, "area_ref": i.area_ref, "part_ref": i.part_ref,
                "answered": i.answered, "current_option": i.current_option,
                "current_value": rj.dec2(i.current_value), "score": rj.dec2(i.score),
                "max_score": rj.dec2(i.max_score), "next_option": i.next_option,
                "gain_next": rj.dec2(i.gain_next), "gain_next_exact": rj.frac(i.gain_next),
                "gain_max": rj.dec2(i.gain_max), "gain_max_exact": rj.frac(i.gain_max),
                "blocker": i.blocker, "blocks": list(i.blocks),
            }
            for i in plan.items[:limit]
        ],
    }


@router.post(
    "/assessments/{assessment_id}/what-if", response_model=s.WhatIfOut,
    response_model_exclude_unset=True,
)
def what_if(session: SessionDep, principal: ReadAny, assessment_id: int, body: WhatIfIn):
    """Score and verdict with hypothetical answers; nothing is stored."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    before = lke_scores.evaluate(
        session, assessment=a, target=body.target.value if body.target else None
    )
    report, verdict = lke_scores.what_if(
        session, assessment=a, changes=[_change(i.ref, i) for i in body.answers],
        target=body.target.value if body.target else None,
    )
    return {
        "assessment_id": a.id,
        "saved": False,
        "total_before": rj.dec2(before.total),
        "total": rj.dec2(report.total.score),
        "total_exact": rj.frac(report.total.score),
        "delta": rj.dec2(report.total.score - before.total),
        "score": rj.report_json(report, questions=False),
        "verdict": rj.verdict_json(verdict),
    }


@router.get("/assessments/{assessment_id}/compare/{other_id}", response_model=s.CompareOut)
def compare(session: SessionDep, principal: ReadAny, assessment_id: int, other_id: int):
    """Per-part and per-area scores of two assessments of one unit (e.g. two years)."""
    c = overview.compare(session, actor=principal, base_id=assessment_id, other_id=other_id)

    def rows(items):
        return [
            {"ref": r.ref, "name": r.name, "part_ref": r.part_ref, "weight": rj.dec2(r.weight),
             "base": rj.dec2(r.base), "other": rj.dec2(r.other), "delta": rj.dec2(r.delta)}
            for r in items
        ]

    return {
        "base": {"id": c.base.assessment.id, "year": c.base.assessment.year,
                 "total": rj.dec2(c.base.total), "passed": c.base.verdict.passed},
        "other": {"id": c.other.assessment.id, "year": c.other.assessment.year,
                  "total": rj.dec2(c.other.total), "passed": c.other.verdict.passed},
        "total_delta": rj.dec2(c.total_delta),
        "parts": rows(c.parts),
        "areas": rows(c.areas),
    }


@router.get("/oversight/assessments", response_model=list[s.OversightRowOut])
def oversight(
    session: SessionDep, principal: ReadAny, year: int | None = Query(None, ge=2000, le=2100)
):
    """For a reviewer: every work unit it reviews with its latest (or that year's)
    assessment: total, verdict and progress."""
    return [
        {
            "unit_id": r.unit.id, "unit_code": r.unit.code, "unit_name": r.unit.name,
            "assessment_id": r.assessment.id if r.assessment else None,
            "year": r.assessment.year if r.assessment else None,
            "target": r.assessment.target if r.assessment else None,
            "status": r.assessment.status if r.assessment else None,
            "total": rj.dec2(r.total),
            "passed": r.verdict.passed if r.verdict else None,
            "answered": r.progress.answered if r.progress else None,
            "questions": r.progress.total if r.progress else None,
        }
        for r in overview.oversight(session, actor=principal, year=year)
    ]
