"""Gap planner ordering and what-if (hand-worked)."""

from fractions import Fraction as F

from app.domain.lke import plan_gaps, score, what_if
from tests.support.lke_answers import all_max, opt


def gappy(fw):
    """All maximum except:

    PPA2A Tidak, PPA2B C, PPA2C C (-1.0), PPA4A Tidak (-0.375), PPA4D D (-0.375):
        PPA = 4 - 1.75 = 2.25 < 2.4 (60% of 4)  -> PPA blockers
    PPE2A C: 0.375 x (1 - 0.5) = -0.1875 (PPE 7.3125, fine)
    PRE1A E: -2.5 (PRE 5.0 = 66.7%, fine)
    HBB1A D: 0.25 x 5 = 1.25 < 2.5 -> capaian blocker (HB 18.75 still >= 18.25)
    total = 100 - 1.75 - 0.1875 - 2.5 - 3.75 = 91.8125
    """
    answers = all_max(fw)
    answers.update(
        {
            "PPA2A": opt("Tidak"),
            "PPA2B": opt("C"),
            "PPA2C": opt("C"),
            "PPA4A": opt("Tidak"),
            "PPA4D": opt("D"),
            "PPE2A": opt("C"),
            "PRE1A": opt("E"),
            "HBB1A": opt("D"),
        }
    )
    return answers


def test_all_maximum_has_no_gaps(fw):
    plan = plan_gaps(fw, all_max(fw), "WBK")
    assert plan.items == ()
    assert plan.verdict.passed
    assert set(plan.missing.values()) == {0}


def test_gap_plan_orders_blockers_first_then_by_points(fw):
    plan = plan_gaps(fw, gappy(fw), "WBK")
    assert plan.report.total.score == F(14690, 160)  # 91.8125
    assert [c.code for c in plan.verdict.failed] == ["area:PPA", "capaian_kinerja"]
    assert plan.missing["area:PPA"] == F(3, 20)  # 2.4 - 2.25
    assert plan.missing["capaian_kinerja"] == F(5, 4)  # 2.5 - 1.25
    assert plan.missing["total"] == 0

    order = [i.ref for i in plan.items]
    # blockers: HBB1A (gain 3.75) first; then PPA4A and PPA4D (0.375 each; PPA4A's next step
    # Ya gives 0.375, PPA4D's next step C gives only 0.33 x 0.375), then PPA2A (1/3, next step
    # Ya 1/3), PPA2B and PPA2C (1/3 each, next step B = 1/6; document order)
    # non-blockers after them, even PRE1A with 2.5 points: PRE1A, then PPE2A (0.1875)
    assert order == ["HBB1A", "PPA4A", "PPA4D", "PPA2A", "PPA2B", "PPA2C", "PRE1A", "PPE2A"]

    items = {i.ref: i for i in plan.items}
    hbb = items["HBB1A"]
    assert hbb.blocks == ("capaian_kinerja",) and hbb.blocker
    assert (hbb.current_option, hbb.next_option) == ("D", "C")
    assert hbb.gain_next == F(5, 4)  # (0.5 - 0.25) x 5
    assert hbb.gain_max == F(15, 4)  # (1 - 0.25) x 5
    ppa4d = items["PPA4D"]
    assert ppa4d.blocks == ("area:PPA",)
    assert ppa4d.next_option == "C"
    assert ppa4d.gain_next == F(33, 100) * F(3, 8)  # 0.12375
    assert ppa4d.gain_max == F(3, 8)
    pre1a = items["PRE1A"]
    assert not pre1a.blocker and pre1a.gain_max == F(5, 2) and pre1a.next_option == "D"
    assert items["PPE2A"].gain_next == F(3, 32)  # (0.75 - 0.5) x 0.375


def test_unanswered_questions_are_gaps(fw):
    answers = all_max(fw)
    del answers["PPA1A"]
    plan = plan_gaps(fw, answers, "WBK")
    (item,) = plan.items
    assert item.ref == "PPA1A" and not item.answered and item.current_option is None
    assert item.next_option == "Ya" and item.gain_next == item.gain_max == F(1, 4)
    assert not item.blocker  # PPA 3.75 still above 2.4


def test_numeric_gap_has_no_next_option(fw):
    answers = all_max(fw)
    del answers["PRD1A"]
    plan = plan_gaps(fw, answers, "WBBM", holds_wbk=True)
    (item,) = plan.items
    assert item.ref == "PRD1A" and item.next_option is None and item.gain_next is None
    assert item.gain_max == 2
    # PRD = 3.0 < 3.75 (75% of 5) for WBBM: a blocker
    assert item.blocks == ("area:PRD",)


def test_what_if_is_pure(fw):
    answers = gappy(fw)
    before = dict(answers)
    report, verdict = what_if(fw, answers, {"HBB1A": opt("A"), "PPA2A": opt("Ya")})
    # capaian 5; PPA = 2.25 + 1/3 = 2.58333 >= 2.4; total = 91.8125 + 3.75 + 1/3
    assert verdict.passed
    assert report.total.score == F(14690, 160) + F(15, 4) + F(1, 3)
    assert answers == before
    assert score(fw, answers).total.score == F(14690, 160)
    # None removes an answer hypothetically
    report, verdict = what_if(fw, all_max(fw), {"HBA1A": None})
    assert report.node("HBA").answered == 0 and not verdict.passed
    # total 100 - 17.5 = 82.5 still passes; HB = 5 < 18.25 and IPAK 0 < 15.75 fail
    assert report.total.score == F(165, 2)
    assert [c.code for c in verdict.failed] == ["birokrasi_bersih", "ipak"]
