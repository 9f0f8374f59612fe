"""Service-level checks of the assessment use cases (API tests hold the hand-worked sums)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlmodel import select

from app.models.indicators import LkeAnswer, LkeAnswerRevision
from app.services import assessments
from app.services.errors import Conflict, Invalid


def test_one_assessment_per_unit_and_year(db, world, assessment_a1):
    with pytest.raises(Conflict):
        assessments.create(
            db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024, target="WBBM"
        )


def test_ppa2_ya_c_c_is_one_third(db, assessment_a1):
    # PPA2 weighs 1.00 and has 3 questions: 1.00 x (1 + 0 + 0) / 3 = 1/3 = 0.33
    assessments.answer_many(
        db, actor=None, assessment_id=assessment_a1.id,
        changes=[
            assessments.AnswerChange("PPA2A", option="Ya"),
            assessments.AnswerChange("PPA2B", option="C"),
            assessments.AnswerChange("PPA2C", option="C"),
        ],
    )
    report = assessments.score_report(db, assessment=assessment_a1)
    assert report.score_of("PPA2") == Fraction(1, 3)


def test_bad_option_stores_nothing(db, assessment_a1):
    with pytest.raises(Invalid) as exc:
        assessments.answer_many(
            db, actor=None, assessment_id=assessment_a1.id,
            changes=[
                assessments.AnswerChange("PPA2A", option="Ya"),
                assessments.AnswerChange("PPA2B", option="E"),
            ],
        )
    assert any(p.startswith("PPA2B:") for p in exc.value.problems)
    assert db.exec(select(LkeAnswer)).all() == []
    assert db.exec(select(LkeAnswerRevision)).all() == []
