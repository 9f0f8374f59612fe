"""The bundled LKE ZI 2021 framework file and the loader's validation."""

import copy
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
import yaml

from app.domain.lke import FrameworkError, Question, load_framework
from app.frameworks import bundled_framework_paths, default_framework_path
from app.services.lke import frameworks

D = Decimal


def raw_framework() -> dict:
    with open(default_framework_path(), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_default_framework_is_bundled(fw):
    assert default_framework_path() in bundled_framework_paths()
    assert default_framework_path().name == "lke-zi-2021.yaml"
    assert fw.code == "lke-zi-2021"
    assert "90 Tahun 2021" in fw.regulation


def test_tree_shape_matches_the_regulation(fw):
    # Lampiran III: 2 components, 4 parts, 6 + 6 + 3 areas, 42 Pengungkit sub-indicators.
    assert [c.ref for c in fw.components] == ["P", "H"]
    assert [p.ref for p in fw.parts()] == ["PP", "PR", "HB", "HP"]
    assert len(list(fw.areas())) == 15
    assert [a.ref for a in fw.part("PP").areas] == ["PPA", "PPB", "PPC", "PPD", "PPE", "PPF"]
    assert [a.ref for a in fw.part("PR").areas] == ["PRA", "PRB", "PRC", "PRD", "PRE", "PRF"]
    assert [a.ref for a in fw.areas()][12:] == ["HBA", "HBB", "HPA"]
    assert sum(len(a.sub_indicators) for a in fw.component("P").parts[0].areas) == 25
    assert sum(len(a.sub_indicators) for a in fw.component("P").parts[1].areas) == 17
    # + one sub-indicator per Hasil item (HBA1, HBB1, HPA1)
    assert len(list(fw.sub_indicators())) == 45


def test_question_count(fw):
    # 110 Pengungkit questions (87 Pemenuhan + 23 Reform) plus 3 Hasil items = 113 scored.
    assert len(fw.component("P").questions) == 110
    assert len(fw.part("PP").questions) == 87
    assert len(fw.part("PR").questions) == 23
    assert [q.ref for q in fw.component("H").questions] == ["HBA1A", "HBB1A", "HPA1A"]
    assert len(list(fw.questions())) == 113


def test_weights(fw):
    weights = {ref: fw.node(ref).weight for ref in ("P", "PP", "PR", "H", "HB", "HP")}
    assert weights == {
        "P": D(60),
        "PP": D(30),
        "PR": D(30),
        "H": D(40),
        "HB": D("22.5"),
        "HP": D("17.5"),
    }
    assert fw.weight == 100
    same = {"A": D(4), "B": D("3.5"), "C": D(5), "D": D(5), "E": D("7.5"), "F": D(5)}
    for letter, weight in same.items():
        assert fw.area("PP" + letter).weight == weight
        assert fw.area("PR" + letter).weight == weight
    assert (fw.area("HBA").weight, fw.area("HBB").weight, fw.area("HPA").weight) == (
        D("17.5"),
        D(5),
        D("17.5"),
    )


def test_question_weight_is_its_share_of_the_sub_indicator(fw):
    # PPA2 weighs 1.00 and has 3 questions: each 1/3 (not 0.33).
    assert fw.node("PPA2").weight == D(1)
    assert fw.question("PPA2B").weight == Fraction(1, 3)
    # PPD2 weighs 2.50 over 8 questions: 0.3125 each.
    assert fw.question("PPD2H").weight == Fraction(5, 16)


def test_option_values_are_exact_decimals(fw):
    expected = {
        "yes_no": [("Ya", D(1)), ("Tidak", D(0))],
        "a_c": [("A", D(1)), ("B", D("0.5")), ("C", D(0))],
        "a_d": [("A", D(1)), ("B", D("0.67")), ("C", D("0.33")), ("D", D(0))],
        "a_e": [("A", D(1)), ("B", D("0.75")), ("C", D("0.5")), ("D", D("0.25")), ("E", D(0))],
    }
    kinds = Counter(q.answer_type for q in fw.questions())
    assert kinds == Counter(
        yes_no=17, a_c=36, a_d=33, a_e=17, numeric=8, index=2
    )  # a_e: 16 Pengungkit + HBB capaian kinerja
    for q in fw.questions():
        if q.answer_type in expected:
            assert [(o.code, o.value) for o in q.options] == expected[q.answer_type], q.ref
    b = fw.question("PPA3A").option("B")
    assert b.value == D("0.67") and Fraction(b.value) == Fraction(67, 100)


def test_numeric_questions_carry_inputs_and_formula_as_data(fw):
    numeric = [q.ref for q in fw.questions() if q.is_numeric]
    assert numeric == ["PRA1A", "PRA1B", "PRC3A", "PRD1A", "PRE2A", "PRE3A", "PRE3B", "PRF1B"]
    pre3a = fw.question("PRE3A")
    # the source's derived "Persentase" input is dropped: 3 must-report groups + reported
    assert pre3a.input_keys == (
        "must_head_of_unit",
        "must_lhkpn_officials",
        "must_others",
        "reported",
    )
    assert not any("Persentase" in i.label for i in pre3a.inputs)
    assert pre3a.result_label == "Persentase penyampaian LHKPN"
    assert pre3a.formula.kind == "ratio"
    assert pre3a.formula.denominator == ("must_head_of_unit", "must_lhkpn_officials", "must_others")
    assert pre3a.rules[0].left == ("reported",)
    assert fw.question("PRE3B").input_keys[-1] == "reported"
    prc3a = fw.question("PRC3A").formula
    assert prc3a.kind == "decrease" and prc3a.assumption and prc3a.explanation
    assert fw.question("PRE2A").formula.denominator == (
        "complaints_in_process",
        "complaints_finished",
    )
    for ref in numeric:
        for spec in fw.question(ref).inputs:
            assert spec.kind == "integer" and spec.minimum == 0


def test_hasil_items(fw):
    ipak = fw.question("HBA1A")
    assert ipak.is_index and ipak.formula.minimum == 1 and ipak.formula.maximum == 4
    assert ipak.weight == Fraction(35, 2)
    assert fw.question("HPA1A").is_index
    assert fw.question("HBB1A").option_codes == ("A", "B", "C", "D", "E")


def test_evidence_lists(fw):
    assert sum(len(q.evidence) for q in fw.component("P").questions) == 244
    assert fw.question("PPA1A").evidence[0] == "SK Tim Kerja Pembangunan ZI menuju WBK/WBBM"


def test_thresholds_are_data(fw):
    wbk = {c.code: c for c in fw.predicate("WBK").checks}
    wbbm = {c.code: c for c in fw.predicate("WBBM").checks}
    assert (wbk["total"].minimum, wbbm["total"].minimum) == (75, 85)
    assert (wbk["pengungkit"].minimum, wbbm["pengungkit"].minimum) == (40, 48)
    assert (wbk["area"].share, wbbm["area"].share) == (D("0.60"), D("0.75"))
    assert wbk["area"].parts == ("PP", "PR")
    assert (wbk["birokrasi_bersih"].minimum, wbbm["birokrasi_bersih"].minimum) == (
        D("18.25"),
        D("19.5"),
    )
    assert wbk["ipak"].minimum == wbbm["ipak"].minimum == D("15.75")
    assert (wbk["capaian_kinerja"].minimum, wbbm["capaian_kinerja"].minimum) == (
        D("2.5"),
        D("3.75"),
    )
    assert (wbk["ipkp"].minimum, wbbm["ipkp"].minimum) == (D(14), D("15.75"))
    assert "wbk_held" not in wbk and wbbm["wbk_held"].predicate == "WBK"


def test_lookups(fw):
    assert isinstance(fw.question("PPA1A"), Question)
    assert fw.question("PPA1A").area_ref == "PPA" and fw.question("PPA1A").part_ref == "PP"
    with pytest.raises(KeyError):
        fw.question("PPA")  # an area, not a question
    with pytest.raises(KeyError):
        fw.question("ZZZ")
    refs = [n.ref for n in fw.iter_nodes()]
    assert len(refs) == len(set(refs))


def test_corrections_are_kept(fw):
    text = " ".join(fw.corrections)
    assert "PRB3B" in text and "PRB3C" in text and "PRE3A" in text and "PRC3A" in text


def test_loader_accepts_the_parsed_mapping():
    assert load_framework(raw_framework()).code == "lke-zi-2021"


def test_loader_lists_every_problem_of_a_tampered_framework():
    data = copy.deepcopy(raw_framework())
    ppa = data["components"][0]["parts"][0]["areas"][0]
    ppa["sub_indicators"][0]["weight"] = "0.75"  # PPA1 0.5 -> 0.75: PPA no longer sums to 4
    ppa["sub_indicators"][1]["questions"][1]["ref"] = "PPA2A"  # duplicate ref
    ppa["sub_indicators"][1]["questions"][2]["options"] = []  # neither options nor formula
    ppa["sub_indicators"][2]["questions"][0]["options"][1]["value"] = 0.67  # float, not exact
    data["predicates"][0]["checks"][1]["ref"] = "NOPE"
    with pytest.raises(FrameworkError) as err:
        load_framework(data)
    problems = err.value.problems
    text = "\n".join(problems)
    assert "PPA: weight 4 but its children sum to 4.25" in problems
    assert "PPA2A: duplicate ref" in problems
    assert "PPA2C: question has neither options nor a formula" in problems
    assert "float" in text and "PPA3A option 2" in text
    assert "unknown node ref 'NOPE'" in text
    # declared weights above PPA are untouched, so only PPA's own sum is reported
    assert not any(p.startswith("PP:") for p in problems)


def test_loader_rejects_wrong_totals_declared_in_expected():
    data = copy.deepcopy(raw_framework())
    data["expected"]["questions"] = 110
    with pytest.raises(FrameworkError) as err:
        load_framework(data)
    assert err.value.problems == ("framework: 113 questions, expected 110",)


def test_loader_rejects_bad_numeric_formula():
    data = copy.deepcopy(raw_framework())
    pra1 = data["components"][0]["parts"][1]["areas"][0]["sub_indicators"][0]
    pra1["questions"][0]["formula"]["denominator"] = ["agents_typo"]
    pra1["questions"][1]["formula"] = {"kind": "magic"}
    with pytest.raises(FrameworkError) as err:
        load_framework(data)
    assert err.value.problems == (
        "PRA1A formula: unknown input key 'agents_typo'",
        "PRA1B formula: unknown formula kind 'magic'",
        "PRA1B: question has neither options nor a formula",
    )


def test_loader_reports_unreadable_file(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(FrameworkError):
        frameworks.load_file(bad)
    with pytest.raises(FrameworkError):
        frameworks.load_file(tmp_path / "missing.yaml")
