"""Service-level checks of the assessment use cases (API tests hold the hand-worked sums)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlmodel import select

from app.models.lke.assessments import LkeAnswer, LkeAnswerRevision
from app.services.errors import Conflict, Invalid
from app.services.lke import answers, assessments, scores


def test_one_assessment_per_unit_and_year(db, world, assessment_a1):
    with pytest.raises(Conflict):
        assessments.create(
            db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024, target="WBBM"
        )


def test_ppa2_ya_c_c_is_one_third(db, assessment_a1):
    # PPA2 weighs 1.00 and has 3 questions: 1.00 x (1 + 0 + 0) / 3 = 1/3 = 0.33
    answers.answer_many(
        db, actor=None, assessment_id=assessment_a1.id,
        changes=[
            answers.AnswerChange("PPA2A", option="Ya"),
            answers.AnswerChange("PPA2B", option="C"),
            answers.AnswerChange("PPA2C", option="C"),
        ],
    )
    report = scores.score_report(db, assessment=assessment_a1)
    assert report.score_of("PPA2") == Fraction(1, 3)


def test_bad_option_stores_nothing(db, assessment_a1):
    with pytest.raises(Invalid) as exc:
        answers.answer_many(
            db, actor=None, assessment_id=assessment_a1.id,
            changes=[
                answers.AnswerChange("PPA2A", option="Ya"),
                answers.AnswerChange("PPA2B", option="E"),
            ],
        )
    assert any(p.startswith("PPA2B:") for p in exc.value.problems)
    assert db.exec(select(LkeAnswer)).all() == []
    assert db.exec(select(LkeAnswerRevision)).all() == []


def test_evaluate_reads_the_wbk_held_by_the_unit_only(db, world, framework_row):
    """WBBM needs a WBK held: a live, unrevoked award of the unit itself, not another's."""
    from datetime import date, datetime

    from app.models.units import PredicateAward
    from app.services import units

    a1 = assessments.create(db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024,
                            target="WBBM")

    def held() -> bool:
        ev = scores.evaluate(db, assessment=a1)
        assert ev.holds_wbk is scores.holds_wbk(db, unit_id=a1.unit_id)
        assert ev.verdict.check("wbk_held").passed is ev.holds_wbk
        return ev.holds_wbk

    assert held() is False
    units.add_predicate(db, actor=None, unit_id=world.unit("UNIT-A2"), predicate="WBK",
                        year=2022, decree_number="KEP-1/2022", decree_date=date(2022, 12, 9))
    assert held() is False  # a sibling's award is not this unit's
    award = units.add_predicate(db, actor=None, unit_id=world.unit("UNIT-A1"),
                                predicate="WBK", year=2022, decree_number="KEP-2/2022",
                                decree_date=date(2022, 12, 9))
    assert held() is True
    award.revoked_on = date(2023, 6, 1)
    db.add(award)
    db.commit()
    assert held() is False  # revoked
    award.revoked_on, award.deleted_at = None, datetime(2023, 7, 1)
    db.add(award)
    db.commit()
    assert held() is False  # deleted
    db.get(PredicateAward, award.id).deleted_at = None
    db.commit()
    assert held() is True
