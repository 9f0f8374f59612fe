"""Exact LKE scoring, checked against numbers worked out by hand."""

from decimal import Decimal
from fractions import Fraction as F

import pytest

from app.domain.display import format_id, round_half_up
from app.domain.lke import AnswerError, AnswerInput, question_value, score, validate_answer
from tests.support.lke_answers import all_max, all_min, idx, nums, opt


def test_ppa2_yes_c_c(fw):
    # PPA2 weighs 1.00 over 3 questions: 1.00 x (1 + 0 + 0) / 3 = 1/3 (0,33 on screen)
    report = score(fw, {"PPA2A": opt("Ya"), "PPA2B": opt("C"), "PPA2C": opt("C")})
    assert report.node("PPA2").score == F(1, 3)
    assert report.node("PPA2").answered == 3
    assert format_id(report.node("PPA2").score) == "0,33"


def test_a_to_d_uses_0_67_exactly(fw):
    # PPA3 weighs 1.00 over 3 A-D questions; B, A, D = (0.67 + 1 + 0) / 3 = 1.67 / 3 = 167/300
    report = score(fw, {"PPA3A": opt("B"), "PPA3B": opt("A"), "PPA3C": opt("D")})
    assert report.node("PPA3B").score == F(1, 3)
    assert report.node("PPA3A").score == F(67, 300)  # not 2/9 (that would be 2/3 x 1/3)
    assert report.node("PPA3").score == F(167, 300)
    assert question_value(fw.question("PPA3A"), opt("B")) == F(Decimal("0.67")) == F(67, 100)


def test_all_maximum_is_exactly_100(fw):
    report = score(fw, all_max(fw))
    assert report.total.score == 100
    assert report.node("P").score == 60 and report.node("H").score == 40
    assert report.node("HB").score == F(45, 2)
    assert report.total.answered == report.total.questions == 113
    assert report.total.percentage == 100
    assert not report.invalid and not report.unanswered_refs()


def test_all_minimum(fw):
    # every option at 0 and every ratio at 0; the survey indices cannot go below 1,
    # and index 1 is worth 1/4 x 17.5 = 4.375 each: total 8.75
    report = score(fw, all_min(fw))
    assert report.node("P").score == 0
    assert report.node("HBB").score == 0
    assert report.node("HBA").score == F(35, 8) == report.node("HPA").score
    assert report.total.score == F(35, 4)
    # without survey results the worksheet is worth exactly 0
    answers = all_min(fw)
    del answers["HBA1A"], answers["HPA1A"]
    report = score(fw, answers)
    assert report.total.score == 0
    assert report.unanswered_refs() == ["HBA1A", "HPA1A"]


def test_nothing_answered(fw):
    report = score(fw, {})
    assert report.total.score == 0
    assert report.total.answered == 0 and report.total.unanswered == 113
    assert report.node("PPA").percentage == 0


def test_mixed_worksheet(fw):
    answers = {
        # PPA1 (0.5 / 2 q = 0.25 each): Ya, B -> 0.25 x 1 + 0.25 x 0.5 = 0.375
        "PPA1A": opt("Ya"),
        "PPA1B": opt("B"),
        # PPA2 (1.0 / 3 q): Ya, C, C -> 1/3
        "PPA2A": opt("Ya"),
        "PPA2B": opt("C"),
        "PPA2C": opt("C"),
        # PPA4 (1.5 / 4 q = 0.375 each): Ya, A, B(0.5), C(0.33 of A-D)
        #   -> 0.375 x (1 + 1 + 0.5 + 0.33) = 0.375 x 2.83 = 1.06125
        "PPA4A": opt("Ya"),
        "PPA4B": opt("A"),
        "PPA4C": opt("B"),
        "PPA4D": opt("C"),
        # PRD1 (2.0, one ratio question): 6 of 8 targets -> 0.75 x 2 = 1.5
        "PRD1A": nums(targets_total=8, targets_reached=6),
        # PRD2 (1.5, A-D): B -> 0.67 x 1.5 = 1.005
        "PRD2A": opt("B"),
        # IPAK 3.20 -> 3.2 / 4 x 17.5 = 14.0; capaian B -> 0.75 x 5 = 3.75; IPKP 3.50 -> 15.3125
        "HBA1A": idx("3.20"),
        "HBB1A": opt("B"),
        "HPA1A": idx("3.50"),
    }
    report = score(fw, answers)
    # PPA = 0.375 + 1/3 + 1.06125 = 1.43625 + 1/3 = 1149/800 + 1/3 = 4247/2400 (1.7695833...)
    assert report.node("PPA1").score == F(3, 8)
    assert report.node("PPA4").score == F(106125, 100000)
    assert report.node("PPA").score == F(4247, 2400)
    assert report.node("PPA").answered == 9 and report.node("PPA").questions == 12
    # PPA percentage = 4247/2400 / 4 x 100 = 44.2395833...
    assert report.node("PPA").percentage == F(4247, 96)
    assert format_id(report.node("PPA").percentage) == "44,24"
    # PRD = 1.5 + 1.005 = 2.505 (PRD3 unanswered)
    assert report.node("PRD").score == F(2505, 1000)
    assert report.node("PRD").unanswered == 1
    # Pengungkit = 4247/2400 + 2.505 = 4247/2400 + 6012/2400 = 10259/2400
    assert report.node("P").score == F(10259, 2400)
    # HB = 14.0 + 3.75 = 17.75; HP = 15.3125; Hasil = 33.0625
    assert report.node("HB").score == F(71, 4)
    assert report.node("HPA").score == F(153125, 10000)
    # total = 10259/2400 + 33.0625 = 10259/2400 + 79350/2400 = 89609/2400 = 37.33708...
    assert report.total.score == F(89609, 2400)
    assert round_half_up(report.total.score) == Decimal("37.34")
    assert report.total.answered == 14


def test_ipak_index_3_60_gives_15_75(fw):
    report = score(fw, {"HBA1A": idx("3.60")})
    assert report.node("HBA").score == F(63, 4)  # 3.6 / 4 x 17.5 = 15.75
    assert report.node("HB").score == F(63, 4)


@pytest.mark.parametrize("index", ["0.99", "4.01", "0"])
def test_index_out_of_range_is_rejected(fw, index):
    errors = validate_answer(fw.question("HBA1A"), idx(index))
    assert errors == [
        f"Nilai indeks untuk HBA1A harus antara 1 dan 4, bukan {index.replace('.', ',')}"
    ]


def test_unknown_option_is_rejected_in_indonesian(fw):
    errors = validate_answer(fw.question("PPA1A"), opt("F"))
    assert len(errors) == 1
    assert errors[0].startswith("Pilihan 'F' tidak tersedia untuk PPA1A")
    assert validate_answer(fw.question("PPA1A"), AnswerInput()) == [
        "Pilihan jawaban untuk PPA1A belum diisi"
    ]
    with pytest.raises(AnswerError) as err:
        question_value(fw.question("PPA1B"), opt("D"))  # A-C question
    assert err.value.ref == "PPA1B"


def test_ratio_is_capped_at_one(fw):
    # 6 changes by 4 change agents: 6/4 = 1.5 -> capped at 1
    q = fw.question("PRA1A")
    assert question_value(q, nums(change_agents=4, changes_made=6)) == 1
    assert question_value(q, nums(change_agents=4, changes_made=3)) == F(3, 4)


def test_zero_denominator_gives_zero(fw):
    q = fw.question("PRA1A")
    assert question_value(q, nums(change_agents=0, changes_made=0)) == 0
    assert question_value(q, nums(change_agents=0, changes_made=2)) == 0
    pre3a = fw.question("PRE3A")
    zero = nums(must_head_of_unit=0, must_lhkpn_officials=0, must_others=0, reported=0)
    assert question_value(pre3a, zero) == 0


def test_ratio_with_a_summed_denominator(fw):
    # PRE3A: 1 + 3 + 6 = 10 must report, 9 reported -> 0.9; PRE3 (2.0 / 2 q) -> 0.9 x 1 = 0.9
    answer = nums(must_head_of_unit=1, must_lhkpn_officials=3, must_others=6, reported=9)
    assert question_value(fw.question("PRE3A"), answer) == F(9, 10)
    assert score(fw, {"PRE3A": answer}).node("PRE3A").score == F(9, 10)
    # PRE2A: 6 finished / (2 in process + 6 finished) = 0.75; weight 3.0 -> 2.25
    pre2a = nums(complaints_to_follow_up=10, complaints_in_process=2, complaints_finished=6)
    assert score(fw, {"PRE2A": pre2a}).node("PRE2").score == F(9, 4)


def test_pre3a_reported_above_must_report_is_rejected(fw):
    answer = nums(must_head_of_unit=1, must_lhkpn_officials=3, must_others=6, reported=11)
    errors = validate_answer(fw.question("PRE3A"), answer)
    assert errors == [
        "Jumlah yang sudah melaporkan tidak boleh melebihi jumlah yang harus melaporkan "
        "(PRE3A: 11 > 10)"
    ]
    report = score(fw, {"PRE3A": answer})
    assert report.node("PRE3A").score == 0 and report.node("PRE3A").answered == 0
    assert report.invalid["PRE3A"] == tuple(errors)


@pytest.mark.parametrize(
    ("last_year", "this_year", "expected"),
    [
        (10, 8, F(1)),  # fewer violations: full value
        (10, 10, F(1)),  # same: no increase, full value
        (4, 5, F(4, 5)),  # more: last / this = 4/5
        (0, 3, F(0)),  # from none to some: 0/3
        (0, 0, F(1)),  # none either year
    ],
)
def test_prc3a_decrease_rule(fw, last_year, this_year, expected):
    answer = nums(
        violations_last_year=last_year, violations_this_year=this_year, violations_sanctioned=0
    )
    assert question_value(fw.question("PRC3A"), answer) == expected


def test_numeric_input_errors(fw):
    q = fw.question("PRD1A")
    assert validate_answer(q, nums(targets_total=-1, targets_reached=0)) == [
        "Isian 'Jumlah Sasaran Kinerja' untuk PRD1A tidak boleh negatif"
    ]
    assert validate_answer(
        q, AnswerInput(inputs={"targets_total": Decimal("2.5"), "targets_reached": 1})
    ) == ["Isian 'Jumlah Sasaran Kinerja' untuk PRD1A harus bilangan bulat"]
    assert validate_answer(q, nums(targets_total=3)) == [
        "Isian 'Jumlah Sasaran Kinerja yang tercapai 100% atau lebih' untuk PRD1A belum diisi"
    ]
    assert validate_answer(q, nums(targets_total=3, targets_reached=1, bogus=1)) == [
        "Isian 'bogus' tidak dikenal untuk PRD1A"
    ]
    assert validate_answer(q, AnswerInput(inputs={"targets_total": 3.0, "targets_reached": 1}))
    assert validate_answer(q, nums(targets_total=3, targets_reached=4)) == [
        "Jumlah sasaran yang tercapai tidak boleh melebihi jumlah sasaran kinerja (PRD1A: 4 > 3)"
    ]
    assert validate_answer(q, opt("A"))  # options are not accepted for a numeric question


def test_invalid_and_unknown_answers_do_not_break_scoring(fw):
    report = score(fw, {"PPA1A": opt("F"), "XYZ1A": opt("A"), "PPA1B": opt("A")})
    assert report.node("PPA1").score == F(1, 4)  # only PPA1B counts: 0.25 x 1
    assert report.node("PPA1").answered == 1
    assert set(report.invalid) == {"PPA1A"}
    assert report.unknown_refs == ("XYZ1A",)


def test_node_order_and_levels(fw):
    report = score(fw, {})
    refs = list(report.nodes)
    assert refs[:6] == ["TOTAL", "P", "PP", "PPA", "PPA1", "PPA1A"]
    assert report.node("PPA1A").parent_ref == "PPA1"
    assert {n.level for n in report.nodes.values()} == {
        "total",
        "component",
        "part",
        "area",
        "sub_indicator",
        "question",
    }


def test_integer_fast_path_agrees_with_the_general_path(fw):
    """question_value's whole-number shortcut gives what validation + the formula give, and
    leaves everything unusual (fractions, negatives, broken rules, missing keys) to them."""
    from app.domain.lke.scoring import _numeric_value, _valid_integer_inputs_value

    samples = [0, 1, 2, 3, 7, 12, 40]
    for q in (q for q in fw.questions() if q.inputs):
        keys = [i.key for i in q.inputs]
        cases = [{k: Decimal(samples[(n + j) % len(samples)]) for j, k in enumerate(keys)}
                 for n in range(len(samples))]
        cases += [{k: n for k in keys} for n in (0, 5)]  # ints, all equal
        cases += [{k: Decimal("2.5") for k in keys}, {k: Decimal(-1) for k in keys},
                  {k: Decimal(1) for k in keys[:-1]}, {**{k: 1 for k in keys}, "extra": 1},
                  {k: Decimal("NaN") for k in keys}, {k: "3" for k in keys}]
        for inputs in cases:
            answer = AnswerInput(inputs=inputs)
            fast = _valid_integer_inputs_value(q, answer)
            errors = validate_answer(q, answer)
            if fast is not None:
                assert errors == [], (q.ref, inputs)
                values = {k: F(v) for k, v in inputs.items()}
                assert fast == _numeric_value(q, values), (q.ref, inputs)
            if errors:
                with pytest.raises(AnswerError):
                    question_value(q, answer)
            else:
                general = _numeric_value(q, {k: F(Decimal(str(v))) for k, v in inputs.items()})
                assert question_value(q, answer) == general, (q.ref, inputs)


def test_one_area_scored_alone_and_the_nodes_above_moved_by_its_difference(fw):
    from app.domain.lke import rescored, score_area

    # PPA2 weighs 1.00 over 3 questions. Ya/C/C = 1/3; then PPA2B from C (0) to B (0.5):
    # 1.00 x (1 + 0.5 + 0) / 3 = 1/2, so the area PPA and every node above it move by 1/6.
    before = score_area(fw, "PPA", {"PPA2A": opt("Ya"), "PPA2B": opt("C"),
                                    "PPA2C": opt("C"), "PRA1A": opt("A")})  # PRA: ignored
    after = score_area(fw, "PPA", {"PPA2A": opt("Ya"), "PPA2B": opt("B"), "PPA2C": opt("C")})
    assert before.area.score == F(1, 3) and before.area.answered == 3
    assert after.area.score == F(1, 2) and after.nodes["PPA2B"].value == F(1, 2)
    assert after.nodes["PPA2"].score == F(1, 2) and "PRA1A" not in after.nodes
    # With PRE1 (another part's area) answered too, the total was 1/3 + its score.
    stored = {"TOTAL": F(1, 3) + 2, "P": F(1, 3) + 2, "PP": F(1, 3), "PPA": F(1, 3),
              "PR": F(2), "PRE": F(2)}
    moved = rescored(fw, stored, before, after)
    assert moved == {"TOTAL": F(5, 2), "P": F(5, 2), "PP": F(1, 2), "PPA": F(1, 2),
                     "PR": F(2), "PRE": F(2)}


def test_a_numeric_area_scored_alone_equals_the_full_score(fw):
    from app.domain.lke import score_area

    answers = all_max(fw)
    area = fw.question(next(r for r, a in answers.items() if a.inputs)).area_ref
    full = score(fw, answers)
    alone = score_area(fw, area, answers)
    assert alone.nodes == {ref: full.nodes[ref] for ref in alone.nodes}
