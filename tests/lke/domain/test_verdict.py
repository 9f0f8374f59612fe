"""Predicate verdict at and around the thresholds (worked out by hand)."""

from fractions import Fraction as F

import pytest

from app.domain.display import format_id
from app.domain.lke import evaluate, score
from tests.support.lke_answers import all_max, idx, nums, opt


def exactly_75(fw):
    """A worksheet worth exactly 75 that meets every other WBK minimum exactly or above.

    Hasil: IPAK 3.60 -> 15.75, capaian C -> 2.5 (HB = 18.25), IPKP 3.20 -> 14.0: 32.25 (-7.75)
    Pemenuhan (-6.5):  PPE1 + PPE2 all 0 (-3.0: PPE 4.5 = 60%), PPC4 all 0 (-2.0: PPC 3 = 60%),
                       PPA1 + PPA2 all 0 (-1.5: PPA 2.5 = 62.5%)
    Reform (-10.75):   PRE2A 0 (-3.0: PRE 4.5 = 60%), PRD1A 0 (-2.0: PRD 3 = 60%),
                       PRC3A 0 (-2.0: PRC 3 = 60%), PRA1A 0 + PRA1B 1/2 (-1.5: PRA 2.5),
                       PRB1A 0 + PRB2A 0 (-1.0: PRB 2.5), PRF1B 0 (-1.25: PRF 3.75)
    Pengungkit = 60 - 17.25 = 42.75; total = 100 - 7.75 - 17.25 = 75.
    """
    answers = all_max(fw)
    answers.update(
        {
            "HBA1A": idx("3.60"),
            "HBB1A": opt("C"),
            "HPA1A": idx("3.20"),
            "PRE2A": nums(
                complaints_to_follow_up=4, complaints_in_process=4, complaints_finished=0
            ),
            "PRD1A": nums(targets_total=5, targets_reached=0),
            "PRC3A": nums(violations_last_year=0, violations_this_year=2, violations_sanctioned=2),
            "PRA1A": nums(change_agents=3, changes_made=0),
            "PRA1B": nums(changes_made=2, changes_integrated=1),
            "PRF1B": nums(services_registered=4, services_simplified=0),
        }
    )
    zero = [
        q for s in ("PPE1", "PPE2", "PPC4", "PPA1", "PPA2", "PRB1") for q in fw.node(s).questions
    ] + [fw.question("PRB2A")]
    for q in zero:
        answers[q.ref] = opt(q.options[-1].code)
    return answers


def test_all_maximum_passes_wbk_and_wbbm_only_with_wbk_held(fw):
    report = score(fw, all_max(fw))
    assert evaluate(fw, report, "WBK").passed
    wbbm = evaluate(fw, report, "WBBM", holds_wbk=False)
    assert not wbbm.passed
    assert [c.code for c in wbbm.failed] == ["wbk_held"]
    assert wbbm.reasons == ("Syarat belum terpenuhi: Telah memperoleh predikat WBK",)
    assert evaluate(fw, report, "WBBM", holds_wbk=True).passed


def test_check_list_is_complete(fw):
    verdict = evaluate(fw, score(fw, all_max(fw)), "WBBM", holds_wbk=True)
    codes = [c.code for c in verdict.checks]
    assert codes == (
        ["total", "pengungkit"]
        + [f"area:{p}{a}" for p in ("PP", "PR") for a in "ABCDEF"]
        + ["birokrasi_bersih", "ipak", "capaian_kinerja", "ipkp", "wbk_held"]
    )
    ppa = verdict.check("area:PPA")
    assert ppa.threshold == 3  # 75% of 4
    assert ppa.value == 4 and ppa.missing == 0
    assert "Manajemen perubahan" in ppa.label


def test_exactly_75_passes_wbk(fw):
    report = score(fw, exactly_75(fw))
    assert report.total.score == 75
    assert report.node("P").score == F(171, 4)  # 42.75
    assert report.node("HB").score == F(73, 4)  # 18.25, exactly the WBK minimum
    assert report.node("PPE").score == F(9, 2) and report.node("PRE").score == F(9, 2)
    verdict = evaluate(fw, report, "WBK")
    assert verdict.passed, verdict.reasons
    assert verdict.reasons == ()
    wbbm = evaluate(fw, report, "WBBM", holds_wbk=True)
    assert not wbbm.passed
    assert wbbm.check("total").missing == 10
    assert wbbm.check("ipkp").missing == F(7, 4)  # 15.75 - 14.0


def test_just_below_75_fails_wbk(fw):
    answers = exactly_75(fw)
    answers["HPA1A"] = idx("3.19")  # 3.19 / 4 x 17.5 = 13.95625: IPKP and total fail
    verdict = evaluate(fw, score(fw, answers), "WBK")
    assert not verdict.passed
    assert [c.code for c in verdict.failed] == ["total", "ipkp"]
    assert verdict.check("total").missing == F(7, 160)  # 14.0 - 13.95625 = 0.04375
    assert verdict.reasons[0] == (
        "Nilai total LKE: nilai 74,96 di bawah batas minimal 75,00 (kurang 0,04)"
    )


def area_prd(fw, reached, total):
    # all maximum, but PRD3A at D (0) and PRD1A (weight 2) at reached / total:
    # PRD = 0 (PRD3) + 1.5 (PRD2) + 2 x reached / total
    answers = all_max(fw)
    answers["PRD3A"] = opt("D")
    answers["PRD1A"] = nums(targets_total=total, targets_reached=reached)
    return score(fw, answers)


def test_area_at_59_99_percent_fails(fw):
    # 2999 of 4000 targets: PRD = 1.5 + 2 x 0.74975 = 2.9995 = 59.99% of 5
    report = area_prd(fw, 2999, 4000)
    assert report.node("PRD").score == F(29995, 10000)
    assert report.node("PRD").percentage == F(5999, 100)
    assert format_id(report.node("PRD").percentage) == "59,99"
    verdict = evaluate(fw, report, "WBK")
    assert not verdict.passed
    assert [c.code for c in verdict.failed] == ["area:PRD"]
    assert verdict.check("area:PRD").missing == F(1, 2000)  # 3 - 2.9995 = 0.0005
    assert len(verdict.reasons) == 1 and "Penguatan akuntabilitas" in verdict.reasons[0]


def test_area_at_exactly_60_percent_passes(fw):
    report = area_prd(fw, 3, 4)  # PRD = 1.5 + 2 x 0.75 = 3.0 = 60% of 5
    assert report.node("PRD").percentage == 60
    assert evaluate(fw, report, "WBK").passed


def test_hasil_minimums(fw):
    answers = all_max(fw)
    answers["HBA1A"] = idx("3.59")  # 15.70625 < 15.75
    answers["HBB1A"] = opt("D")  # 1.25 < 2.5; HB = 16.95625 < 18.25
    verdict = evaluate(fw, score(fw, answers), "WBK")
    assert [c.code for c in verdict.failed] == ["birokrasi_bersih", "ipak", "capaian_kinerja"]


def test_unknown_target(fw):
    with pytest.raises(KeyError):
        evaluate(fw, score(fw, {}), "WBXX")
