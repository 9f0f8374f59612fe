"""Response shapes of the LKE API whose bodies are built from the domain's JSON renderings
(`app.domain.lke.report_json`, `frameworks.tree_json`): the score tree, the verdict with its
thresholds, the gap plan, what-if, the comparison of two assessments, a framework version's
worksheet and the reviewer's oversight list.

Numbers are strings: two places rounded half up ("33.33") beside the exact value as a fraction
"n/d" (fields ending in ``_exact``), so a client can print or recompute without floating point.
Keys a rendering leaves out (a question's ``value``, the ``questions`` level when not asked for,
a question's ``inputs``/``rules``/``formula``) are optional here and stay absent in the body.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Timestamp

Dec2 = str
Exact = str


# --- score tree ---------------------------------------------------------------------------


class ScoreNodeOut(BaseModel):
    """One node of the score tree (total, component, part, area, sub-indicator, question)."""

    ref: str = Field(examples=["PPA2"])
    level: str = Field(description="total, component, part, area, sub_indicator or question")
    name: str
    parent_ref: str | None
    weight: Dec2 = Field(examples=["1.00"])
    weight_exact: Exact = Field(examples=["1/1"])
    score: Dec2 = Field(examples=["0.33"])
    score_exact: Exact = Field(examples=["1/3"])
    percentage: Dec2 = Field(description="score / weight x 100", examples=["33.33"])
    percentage_exact: Exact = Field(examples=["100/3"])
    questions: int = Field(description="Questions under this node")
    answered: int = Field(description="Of them answered")
    value: Dec2 | None = Field(
        None, description="Questions only: the answer's value 0..1 (null when unanswered)"
    )
    value_exact: Exact | None = Field(None, description="Questions only")


class ScoreTreeOut(BaseModel):
    """A score report: the total and every node keyed by ref, grouped by level."""

    total: ScoreNodeOut
    components: dict[str, ScoreNodeOut]
    parts: dict[str, ScoreNodeOut]
    areas: dict[str, ScoreNodeOut]
    sub_indicators: dict[str, ScoreNodeOut]
    questions: dict[str, ScoreNodeOut] | None = Field(
        None, description="Every question, only when asked for (absent otherwise)"
    )


class ProgressOut(BaseModel):
    answered: int
    questions: int
    evidence_covered: int | None = Field(description="Expected-evidence items covered")
    evidence_expected: int | None
    evidence_label: str | None


class ScoreOut(ScoreTreeOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "assessment_id": 7,
                "total": {"ref": "TOTAL", "level": "total",
                          "name": "Lembar Kerja Evaluasi Zona Integritas (LKE ZI)",
                          "parent_ref": None, "weight": "100.00", "weight_exact": "100/1",
                          "score": "0.33", "score_exact": "1/3", "percentage": "0.33",
                          "percentage_exact": "1/3", "questions": 113, "answered": 3},
                "components": {}, "parts": {}, "areas": {}, "sub_indicators": {},
                "progress": {"answered": 3, "questions": 113, "evidence_covered": 0,
                             "evidence_expected": 248,
                             "evidence_label": "0 dari 248 eviden"},
            }]
        }
    )
    assessment_id: int
    progress: ProgressOut


# --- verdict ------------------------------------------------------------------------------


class CheckOut(BaseModel):
    """One requirement of the predicate with its value, threshold and what is missing."""

    code: str = Field(description='"total", "pengungkit", "area:PPA", "ipak", "wbk_held"...')
    kind: str
    label: str = Field(description="Indonesian")
    ref: str | None = Field(description="Node the check is about (null for the total)")
    value: Dec2 | None = Field(description="Null for the predicate-held check")
    value_exact: Exact | None
    threshold: Dec2 | None = Field(description="The minimum the value must reach")
    threshold_exact: Exact | None
    missing: Dec2 | None = Field(description="Points still missing (0.00 when passed)")
    passed: bool


class VerdictOut(BaseModel):
    target: str = Field(description="WBK or WBBM")
    passed: bool
    checks: list[CheckOut]
    reasons: list[str] = Field(description="Indonesian, one per failed check, in check order")


class AssessmentVerdictOut(VerdictOut):
    assessment_id: int
    total: Dec2
    total_exact: Exact
    holds_wbk: bool = Field(description="Does the unit hold a WBK (needed for a WBBM)?")


# --- gaps, what-if, comparison, oversight ---------------------------------------------------


class GapItemOut(BaseModel):
    ref: str
    area_ref: str
    part_ref: str
    answered: bool
    current_option: str | None
    current_value: Dec2
    score: Dec2
    max_score: Dec2
    next_option: str | None = Field(description="The next better option (options questions)")
    gain_next: Dec2 | None
    gain_next_exact: Exact | None
    gain_max: Dec2
    gain_max_exact: Exact
    blocker: bool = Field(description="Counts toward a failed area or Hasil minimum")
    blocks: list[str] = Field(description="Codes of the failed checks it counts toward")


class GapsOut(BaseModel):
    assessment_id: int
    target: str
    total: Dec2
    verdict: VerdictOut
    items: list[GapItemOut]


class WhatIfOut(BaseModel):
    assessment_id: int
    saved: bool = Field(description="Always false: nothing is stored")
    total_before: Dec2
    total: Dec2
    total_exact: Exact
    delta: Dec2
    score: ScoreTreeOut
    verdict: VerdictOut


class CompareSideOut(BaseModel):
    id: int
    year: int
    total: Dec2
    passed: bool


class CompareRowOut(BaseModel):
    ref: str
    name: str
    part_ref: str
    weight: Dec2
    base: Dec2 | None = Field(description="Null when the base assessment has no score there")
    other: Dec2 | None
    delta: Dec2 | None = Field(description="other - base; null when one side is missing")


class CompareOut(BaseModel):
    base: CompareSideOut
    other: CompareSideOut
    total_delta: Dec2
    parts: list[CompareRowOut]
    areas: list[CompareRowOut]


class OversightRowOut(BaseModel):
    unit_id: int
    unit_code: str
    unit_name: str
    assessment_id: int | None = Field(description="Null when the unit has no assessment")
    year: int | None
    target: str | None
    status: str | None
    total: Dec2 | None
    passed: bool | None
    answered: int | None
    questions: int | None


# --- framework worksheet --------------------------------------------------------------------


class OptionOut(BaseModel):
    code: str = Field(examples=["A", "Ya"])
    label: str
    value: str = Field(description="Exact value 0..1", examples=["0.67"])


class NumericInputOut(BaseModel):
    key: str
    label: str
    kind: str
    minimum: int


class InputRuleOut(BaseModel):
    kind: str
    left: list[str]
    right: list[str]
    message: str


class FormulaOut(BaseModel):
    kind: str
    numerator: list[str]
    denominator: list[str]
    cap: str | None
    zero_denominator: str | None
    previous: str | None
    current: str | None
    minimum: str | None
    maximum: str | None
    explanation: str


class FrameworkQuestionOut(BaseModel):
    ref: str
    text: str
    answer_type: str
    weight: Dec2
    weight_exact: Exact
    options: list[OptionOut]
    evidence: list[str] = Field(description="Expected evidence, in order")
    inputs: list[NumericInputOut] | None = Field(None, description="Numeric questions only")
    rules: list[InputRuleOut] | None = Field(None, description="Numeric questions only")
    formula: FormulaOut | None = Field(None, description="Computed questions only")


class FrameworkSubIndicatorOut(BaseModel):
    ref: str
    name: str
    weight: str
    questions: list[FrameworkQuestionOut]


class FrameworkAreaOut(BaseModel):
    ref: str
    name: str
    weight: str
    sub_indicators: list[FrameworkSubIndicatorOut]


class FrameworkPartOut(BaseModel):
    ref: str
    name: str
    weight: str
    areas: list[FrameworkAreaOut]


class FrameworkComponentOut(BaseModel):
    ref: str
    name: str
    weight: str
    parts: list[FrameworkPartOut]


class ThresholdOut(BaseModel):
    """One requirement of a predicate as the regulation sets it."""

    code: str
    kind: str
    label: str
    minimum: str | None = Field(description="Minimum value (points or index)")
    ref: str | None
    parts: list[str]
    share: str | None = Field(description="Minimum share of the weight, 0..1")
    predicate: str | None = Field(description="A predicate that must be held (WBBM: WBK)")


class FrameworkPredicateOut(BaseModel):
    code: str = Field(examples=["WBK", "WBBM"])
    name: str
    checks: list[ThresholdOut]


class FrameworkTreeOut(BaseModel):
    id: int
    code: str
    version: int
    title: str
    regulation: str
    sha256: str
    loaded_at: Timestamp
    questions: int
    components: list[FrameworkComponentOut]
    predicates: list[FrameworkPredicateOut]
    notes: list[str]
    corrections: list[str]


# --- stored snapshots (review records) ------------------------------------------------------


class ScoreSnapshotOut(BaseModel):
    """The score and verdict frozen in an immutable review record."""

    score: ScoreTreeOut
    verdict: VerdictOut
