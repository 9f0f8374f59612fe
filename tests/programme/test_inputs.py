"""The programme's input models: one declaration read the same way from a form and the API.

Pure: no database, no app.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.api.programme import schemas
from app.services.errors import Invalid
from app.services.programme.inputs import (
    ActionItemIn,
    ActivityIn,
    MemberIn,
    PillarIn,
    PillarPatch,
)


def test_the_api_body_is_the_same_model_the_forms_parse():
    assert schemas.PillarIn is PillarIn
    assert schemas.PillarPatch is PillarPatch


def test_form_strings_become_typed_cleaned_values_with_defaults():
    item = ActionItemIn.parse({"area": "Manajemen_Perubahan", "activity": "  Susun rencana ",
                               "progress": "40", "due_on": "2018-03-01"})
    values = item.read()
    assert values["area"] == "manajemen_perubahan"
    assert values["activity"] == "Susun rencana"
    assert values["progress"] == 40
    assert values["due_on"] == date(2018, 3, 1)
    assert values["status"] == "belum_mulai"  # absent: the declared default
    assert values["evidence_url"] == "" and values["pillar_id"] is None


def test_refused_form_lists_every_problem_in_field_order_with_labels():
    with pytest.raises(Invalid) as refused:
        PillarIn.parse({"name": " ", "target_year": "dua ribu", "position": "1001"})
    assert refused.value.message == "Pilar tidak dapat disimpan."
    assert refused.value.problems == [
        "Nama pilar wajib diisi.",
        "Tahun target harus berupa bilangan bulat.",
        "Urutan tidak boleh lebih dari 1000.",
    ]


def test_a_typed_api_body_gets_the_same_content_checks():
    body = PillarIn(name="Layanan digital", target_year=1999)  # what the API validated
    with pytest.raises(Invalid) as refused:
        body.read()
    assert refused.value.problems == ["Tahun target tidak boleh kurang dari 2000."]


def test_an_update_reads_only_what_is_given_and_may_not_empty_a_required_field():
    assert PillarPatch.parse({"aim": "  Semua layanan daring "}).read() == {
        "aim": "Semua layanan daring"}
    with pytest.raises(Invalid) as refused:
        PillarPatch.parse({"name": ""})
    assert refused.value.problems == ["Nama pilar wajib diisi."]


def test_lists_from_lines_or_semicolons_without_repeats():
    member = MemberIn.parse({"name": "Ani", "level": "staf",
                             "roles": "agen_perubahan\r\nagen_perubahan\n"})
    assert member.read()["roles"] == ["agen_perubahan"]
    assert member.read()["active"] is True  # the page form has no such field
    activity = ActivityIn.parse({"kind": "rapat", "held_on": "2018-02-01", "title": "Rapat",
                                 "member_ids": "3;3; 4"})
    assert activity.read()["member_ids"] == [3, 4]


def test_an_unknown_choice_names_the_choices():
    with pytest.raises(Invalid) as refused:
        MemberIn.parse({"name": "Ani", "level": "direktur"})
    assert refused.value.problems == [
        "Tingkat 'direktur' tidak dikenal; pilih salah satu: Pimpinan, "
        "Pejabat struktural/fungsional, Staf/pelaksana, Satpam, Petugas kebersihan, "
        "PPNPN lainnya."]
