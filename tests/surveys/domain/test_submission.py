"""The submission rules alone: no database, no app."""

import pytest

from app.domain.surveys.instruments import parse_instrument
from app.domain.surveys.submission import Choices, SubmissionProblems, check_submission

LABELS = {v: {"id": f"Nilai {v}", "en": f"Score {v}"} for v in range(1, 5)}
TINY = parse_instrument({
    "code": "tiny", "kind": "spak", "title": {"id": "Kecil", "en": "Tiny"},
    "scale_min": 1, "scale_max": 4, "labels": LABELS,
    "items": [
        {"code": "A1", "name": {"id": "Satu", "en": "One"}, "question": {"id": "?", "en": "?"}},
        {"code": "A2", "name": {"id": "Dua", "en": "Two"}, "question": {"id": "?", "en": "?"}},
    ],
    "profile": [{"code": "gender", "label": {"id": "Jenis kelamin", "en": "Gender"},
                 "required": True, "options": [{"code": "L", "id": "L", "en": "M"},
                                               {"code": "P", "id": "P", "en": "F"}]}],
    "suggestion": {"label": {"id": "Saran", "en": "Suggestion"}, "max_length": 5},
})
CHOICES = Choices(service_ids=frozenset({7}), source_tags=frozenset({"loket-1"}))


def test_a_complete_submission_is_normalised():
    checked = check_submission(
        [TINY], {("tiny", "A1"): 4, ("tiny", "A2"): 1}, choices=CHOICES, service_id=7,
        source="loket-1", profile={"gender": "P"}, suggestion="  o\x00k ",
    )
    assert checked.answers == [("tiny", "A1", 4), ("tiny", "A2", 1)]
    assert (checked.service_id, checked.source_tag) == (7, "loket-1")
    assert checked.profile == {"gender": "P"}
    assert checked.suggestion == "ok"


def test_every_problem_is_named_by_field():
    with pytest.raises(SubmissionProblems) as info:
        check_submission(
            [TINY], {("tiny", "A1"): 5, ("tiny", "A2"): True, ("tiny", "A9"): 1},
            choices=CHOICES, service_id=8, source="loket 2", profile={},
            suggestion="123456",
        )
    assert info.value.fields == {
        "tiny.A1": "A1: jawaban harus antara 1 dan 4.",
        "tiny.A2": "A2: jawaban harus berupa angka bulat.",
        "answers": "Butir tidak dikenal pada survei ini: tiny.A9.",
        "profile.gender": "Jenis kelamin wajib diisi.",
        "suggestion": "Saran paling banyak 5 karakter.",
        "service": "Jenis layanan tidak dikenal di unit ini.",
        "source": "Sumber tidak dikenal.",
    }


def test_answers_that_are_not_a_mapping():
    with pytest.raises(SubmissionProblems) as info:
        check_submission([TINY], ["A1", 4], choices=CHOICES)
    assert info.value.message == "Jawaban tidak dapat dibaca."
    assert info.value.fields == {"answers": "Format salah."}
