"""LKE answers: every problem of a request at once, each named by its place in the body."""

from __future__ import annotations

from sqlmodel import func, select

from app.models.lke.assessments import LkeAnswer
from tests.factories import issue_token
from tests.support.lke_review import new_assessment


async def test_every_bad_answer_is_named_in_one_refusal(client, db, world):
    a = new_assessment(db, world)
    token = {"Authorization": f"Bearer {issue_token(db, world, 'UNIT-A1', ['write:indicators'])}"}
    response = await client.put(f"/api/v1/assessments/{a.id}/answers", json={"answers": [
        {"ref": "PPA1A", "option": "Ya"},          # fine
        {"ref": "NOPE1", "option": "A"},           # no such question
        {"ref": "PPA1A", "option": "Tidak"},       # sent twice
        {"ref": "HBA1A", "option": "A"},           # an index question answered with a choice
        {"ref": "PPA1B"},                          # nothing sent
    ]}, headers=token)
    assert response.status_code == 422
    for text in ("NOPE1", "dikirim lebih dari sekali", "HBA1A", "PPA1B: tidak ada jawaban"):
        assert text in response.text
    db.expire_all()
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 0


def test_the_service_names_each_field(db, world):
    import pytest

    from app.services.errors import Invalid
    from app.services.lke import answers

    a = new_assessment(db, world)
    changes = [answers.AnswerChange(ref="PPA1A", option="Ya"),
               answers.AnswerChange(ref="NOPE1", option="A"),
               answers.AnswerChange(ref="PPA1A", option="Tidak"),
               answers.AnswerChange(ref="HBA1A", option="A"),
               answers.AnswerChange(ref="PPA1B")]
    with pytest.raises(Invalid) as info:
        answers.answer_many(db, actor=None, assessment_id=a.id, changes=changes)
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("answers.1.ref", "unknown_question"), ("answers.2.ref", "duplicate"),
        ("answers.3", "invalid_answer"), ("answers.3", "invalid_answer"),
        ("answers.4", "missing"),
    ]
    # The index question answered with a choice: both what is wrong and what is missing.
    assert [e.message for e in info.value.errors if e.field == "answers.3"] == [
        "HBA1A: HBA1A dijawab dengan nilai indeks, bukan pilihan atau isian",
        "HBA1A: Nilai indeks untuk HBA1A belum diisi",
    ]
    with pytest.raises(Invalid) as info:
        answers.answer_many(db, actor=None, assessment_id=a.id,
                            changes=[answers.AnswerChange(ref="PPA1B")], paths=[""])
    assert [(e.field, e.code) for e in info.value.errors] == [("", "missing")]
