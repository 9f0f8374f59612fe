"""Recording responses through the service: validation, storage, idempotency."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services.surveys import responses as survey_responses

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]


def ikm_answers(*values: int) -> dict[tuple[str, str], int]:
    return {(IKM, code): v for code, v in zip(U, values, strict=True)}


def counts(db) -> tuple[int, int]:
    return (db.exec(select(func.count()).select_from(SurveyResponse)).one(),
            db.exec(select(func.count()).select_from(SurveyAnswer)).one())


def test_record_stores_response_and_answers(db, make_campaign):
    campaign = make_campaign()
    got = survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(4, 3, 3, 2, 4, 4, 3, 3, 1))
    assert got.id and not got.duplicate and not got.suspect
    assert counts(db) == (1, 9)


def test_missing_item_stores_nothing(db, make_campaign):
    campaign = make_campaign()
    answers = ikm_answers(4, 3, 3, 2, 4, 4, 3, 3, 1)
    del answers[(IKM, "U5")]
    with pytest.raises(survey_responses.SubmissionInvalid) as info:
        survey_responses.record_response(db, campaign=campaign, answers=answers)
    assert "ikm-2017.U5" in info.value.fields
    assert counts(db) == (0, 0)
