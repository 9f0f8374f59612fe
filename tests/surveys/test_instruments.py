"""Survey instruments: the bundled files and the validating loader.

Instruments are read from app/frameworks/surveys only.
"""

import copy
import dataclasses
from pathlib import Path

import pytest
import yaml

from app.domain.surveys.indices import IKM_2017_BANDS, ElementTally, ikm
from app.domain.surveys.instruments import InstrumentError
from app.services.surveys.instruments import BUNDLED_DIR, bundled_instruments, load_instrument

FRAMEWORKS = Path(__file__).resolve().parents[2] / "app" / "frameworks" / "surveys"


def raw(name: str) -> dict:
    return yaml.safe_load((FRAMEWORKS / name).read_text(encoding="utf-8"))


def test_bundled_dir_is_inside_the_app():
    assert BUNDLED_DIR == FRAMEWORKS
    assert sorted(p.name for p in FRAMEWORKS.glob("*.yaml")) == [
        "ikm-2017.yaml",
        "spak.yaml",
        "spkp.yaml",
    ]


def test_bundled_instruments():
    instruments = bundled_instruments()
    assert set(instruments) == {"ikm-2017", "spkp", "spak"}
    assert {c: i.kind for c, i in instruments.items()} == {
        "ikm-2017": "ikm",
        "spkp": "spkp",
        "spak": "spak",
    }
    assert len(instruments["ikm-2017"].items) == 9
    assert len(instruments["spkp"].items) == 8
    assert len(instruments["spak"].items) == 5


def test_ikm_elements_follow_the_regulation():
    inst = bundled_instruments()["ikm-2017"]
    assert inst.item_codes == ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
    assert (inst.scale_min, inst.scale_max) == (1, 4)
    names = [i.name.id for i in inst.items]
    assert names == [
        "Persyaratan",
        "Sistem, Mekanisme, dan Prosedur",
        "Waktu Penyelesaian",
        "Biaya/Tarif",
        "Produk Spesifikasi Jenis Pelayanan",
        "Kompetensi Pelaksana",
        "Perilaku Pelaksana",
        "Penanganan Pengaduan, Saran dan Masukan",
        "Sarana dan Prasarana",
    ]


def test_ikm_answers_are_worded_per_element():
    inst = bundled_instruments()["ikm-2017"]

    def wording(code):
        return [p.label.id for p in inst.item(code).scale]

    assert wording("U1") == ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]
    assert wording("U4") == ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
    assert wording("U3") == ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"]
    assert inst.item("U4").label(4).en == "Free of charge"


def test_every_bundled_item_is_fully_worded_in_both_languages():
    for inst in bundled_instruments().values():
        assert inst.title.id and inst.title.en
        for item in inst.items:
            assert [p.value for p in item.scale] == list(inst.scale_values)
            texts = [item.name, item.question] + [p.label for p in item.scale]
            assert all(t.id.strip() and t.en.strip() for t in texts), (inst.code, item.code)


def test_bundled_profile_and_suggestion():
    for inst in bundled_instruments().values():
        assert [f.code for f in inst.profile] == ["gender", "age_group", "education", "occupation"]
        assert inst.profile_field("gender").option_codes == ("L", "P")
        assert not any(f.required for f in inst.profile)
        assert inst.suggestion is not None
        assert inst.suggestion.code == "saran"
        assert inst.suggestion.required is False


def test_ikm_grades_in_data_equal_the_regulation_defaults():
    inst = bundled_instruments()["ikm-2017"]
    by_letter = {b.letter: b for b in inst.grades}
    assert by_letter == {b.letter: b for b in IKM_2017_BANDS}
    assert bundled_instruments()["spkp"].grades == ()


def test_ikm_from_the_bundled_instrument_codes():
    inst = bundled_instruments()["ikm-2017"]
    result = ikm([ElementTally(c, 3, 1) for c in inst.item_codes], elements=inst.item_codes,
                 bands=inst.grades)
    assert result.ikm == 75  # every NRR 3 -> 3 x 25


def test_instruments_are_frozen():
    inst = bundled_instruments()["spkp"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.scale_max = 6


def test_six_point_scale_is_data():
    doc = raw("spkp.yaml")
    doc["code"] = "spkp-6"
    doc["scale_max"] = 6
    doc["labels"] = {
        v: {"id": f"Nilai {v}", "en": f"Score {v}"} for v in range(1, 7)
    }
    inst = load_instrument(doc)
    assert inst.scale_values == (1, 2, 3, 4, 5, 6)
    assert inst.item("P8").label(6).id == "Nilai 6"


def test_six_point_scale_with_four_labels_is_rejected_per_item():
    doc = raw("spak.yaml")
    doc["scale_max"] = 6
    with pytest.raises(InstrumentError) as info:
        load_instrument(doc)
    assert len(info.value.problems) == 5  # one per item A1..A5
    assert all("no label for scale value(s) 5, 6" in p for p in info.value.problems)


def test_label_keys_may_be_strings():
    doc = raw("spak.yaml")
    doc["labels"] = {str(k): v for k, v in doc["labels"].items()}
    assert load_instrument(doc).item("A1").label(1).id == "Tidak setuju"


def test_bad_instrument_lists_every_problem():
    doc = copy.deepcopy(raw("spkp.yaml"))
    doc["kind"] = "survey"  # 1
    doc["colour"] = "red"  # 2: unknown key
    doc["items"][1]["code"] = "P1"  # 3: duplicate code
    doc["items"][2]["labels"] = {  # 4: no label for 3; 5: label 5 outside 1-4
        1: {"id": "a", "en": "a"},
        2: {"id": "b", "en": "b"},
        4: {"id": "d", "en": "d"},
        5: {"id": "e", "en": "e"},
    }
    del doc["items"][3]["question"]["en"]  # 6: missing English
    doc["profile"][0]["options"][1]["code"] = "L"  # 7: duplicate option
    with pytest.raises(InstrumentError) as info:
        load_instrument(doc)
    problems = info.value.problems
    expected_fragments = [
        "kind: must be one of ikm, spkp, spak",
        "document: unknown key(s): colour",
        "duplicate item code 'P1'",
        "no label for scale value(s) 3",
        "label for 5 is outside the scale 1-4",
        "items[3] P4.question.en: must be a non-empty string",
        "duplicate option code 'L'",
    ]
    for fragment in expected_fragments:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected_fragments)
    message = str(info.value)
    assert "7 problem(s)" in message
    assert all(p in message for p in problems)


def test_scale_min_must_be_below_scale_max():
    doc = raw("spak.yaml")
    doc["scale_min"] = 4
    with pytest.raises(InstrumentError) as info:
        load_instrument(doc)
    assert info.value.problems == ("scale: scale_min (4) must be below scale_max (4)",)


def test_ikm_must_use_one_to_four():
    doc = raw("ikm-2017.yaml")
    doc["scale_max"] = 5
    with pytest.raises(InstrumentError) as info:
        load_instrument(doc)
    assert any("an ikm instrument must use the 1-4 scale" in p for p in info.value.problems)


def test_grades_must_tile_25_to_100():
    doc = raw("ikm-2017.yaml")
    doc["grades"][1]["lower"] = "76.62"  # gap after C's 76.60
    with pytest.raises(InstrumentError) as info:
        load_instrument(doc)
    assert info.value.problems == (
        "grades: grades C and B leave a gap or overlap: 76.60 then 76.62",
    )


def test_grades_only_for_ikm():
    doc = raw("spkp.yaml")
    doc["grades"] = raw("ikm-2017.yaml")["grades"]
    with pytest.raises(InstrumentError, match="only an ikm instrument has grades"):
        load_instrument(doc)


def test_ikm_without_grades_uses_the_regulation():
    doc = raw("ikm-2017.yaml")
    del doc["grades"]
    assert load_instrument(doc).grades == IKM_2017_BANDS


def test_not_a_mapping():
    with pytest.raises(InstrumentError, match="must be a mapping"):
        load_instrument(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_unreadable_files(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="invalid YAML"):
        load_instrument(broken)
    with pytest.raises(InstrumentError, match="cannot read file"):
        load_instrument(tmp_path / "missing.yaml")


def test_load_from_path_names_the_file(tmp_path):
    doc = raw("spak.yaml")
    doc["items"] = []
    path = tmp_path / "empty.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert str(info.value).startswith("empty.yaml: 1 problem(s)")
    assert info.value.problems == ("items: must be a non-empty list",)
