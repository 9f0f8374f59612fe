"""The score summary of each live LKE assessment, kept current by the services.

One row per live assessment, rewritten in the same transaction as whatever changes its
answers, status, reviews, target, evidence links or the unit's WBK award
(``app.services.lke.summary``), so dashboards, lists and roll-ups read a row instead of
scoring 113 answers. Scores are exact: ``app.domain.lke.review.exact_text`` ("87.5", or a
ratio such as "263/3" when the decimal would not end); ``self_score`` is the same total as a
float, for sorting and filtering only, never for display or comparison with a threshold.

Columns are added, never renamed: the ministry roll-ups read them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.base import json_field, utc_field


class AssessmentSummary(SQLModel, table=True):
    __tablename__ = "assessment_summary"

    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    framework_id: int = Field(foreign_key="lke_framework.id")
    target: str = Field(max_length=10)  # WBK | WBBM
    status: str = Field(max_length=20, index=True)
    # Latest submission round (0: never submitted) and the level it waits for (None: none).
    review_round: int = 0
    review_level: str | None = Field(default=None, max_length=20)
    # The unit's own answers scored.
    self_total: str = Field(max_length=40)
    self_score: float = 0.0
    # {ref: exact score} of the total, every component, part and area.
    node_scores: dict[str, Any] | None = json_field(nullable=False)
    # The latest decision's score of the reviewers' values, per level (None: no decision yet).
    regional_total: str | None = Field(default=None, max_length=40)
    tpi_total: str | None = Field(default=None, max_length=40)
    # Verdict against ``target``: passed, and each failed requirement as
    # [code, value, threshold] (exact texts; value and threshold null for "predicate held").
    holds_wbk: bool = False
    verdict_passed: bool = False
    verdict_failed: list[Any] | None = json_field(nullable=False)
    answered: int = 0
    questions: int = 0
    invalid: int = 0  # stored answers that no longer fit their question (score 0)
    # Expected-evidence items covered by at least one live evidence, of all expected.
    evidence_covered: int = 0
    evidence_expected: int = 0
    updated_at: datetime = utc_field(default_now=True)
