"""Innovation lineage, pembeda, impact arithmetic and LKE suggestions."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from app.domain.programme.areas import ChangeArea
from app.domain.programme.impact import (
    Direction,
    Impact,
    MetricKind,
    improvement,
    validate_impact,
)
from app.domain.programme.innovation import (
    PRF1A_MOST_ABOVE,
    Innovation,
    Origin,
    Pembeda,
    Phase,
    Stage,
    find_cycle,
    suggest_lke_answers,
    validate_innovation,
)
from app.domain.programme.messages import ProgrammeError

PP = frozenset({ChangeArea.PELAYANAN_PUBLIK})


def inn(id, *, phase=Phase.WBK, stage=Stage.PENERAPAN, started=date(2018, 3, 1), **kw):
    kw.setdefault("areas", PP)
    return Innovation(id=id, name=f"Inovasi {id}", phase=phase, stage=stage,
                      started_on=started, **kw)


def codes(problems):
    return [p.code for p in problems]


def time_impact(before, after, *, before_on=date(2018, 1, 10), after_on=date(2018, 7, 10)):
    return Impact(MetricKind.SERVICE_TIME_MINUTES, "menit", before, before_on, after, after_on,
                  Direction.LOWER_IS_BETTER)


# --- enums ----------------------------------------------------------------------------------

def test_six_change_areas_with_indonesian_names_in_lke_order():
    assert [a.value for a in ChangeArea] == [
        "manajemen_perubahan", "penataan_tatalaksana", "penataan_sdm",
        "penguatan_akuntabilitas", "penguatan_pengawasan", "pelayanan_publik",
    ]
    assert ChangeArea.PENATAAN_SDM.label.text() == "Penataan Sistem Manajemen SDM"
    assert ChangeArea.PELAYANAN_PUBLIK.label.text("id") == "Peningkatan Kualitas Pelayanan Publik"
    assert ChangeArea.PELAYANAN_PUBLIK.lke_letter == "F"


def test_stages_and_phases():
    assert [s.value for s in Stage] == ["inisiatif", "uji_coba", "penerapan", "replikasi"]
    assert [s for s in Stage if s.in_operation] == [Stage.PENERAPAN, Stage.REPLIKASI]
    assert {p.value for p in Phase} == {"wbk", "wbbm"}


# --- basic validation ----------------------------------------------------------------------

def test_valid_innovation_has_no_problems():
    assert validate_innovation(inn(1, launched_on=date(2018, 3, 1))) == []


def test_launch_before_start_rejected_with_bilingual_message():
    problems = validate_innovation(inn(1, launched_on=date(2018, 2, 28)))
    assert codes(problems) == ["innovation.launch_before_start"]
    assert problems[0].field == "launched_on"
    assert "2018-02-28" in problems[0].text("id")
    assert problems[0].text("id").startswith("Tanggal peluncuran")
    assert problems[0].text("en").startswith("The launch date")


def test_name_and_area_required():
    bad = Innovation(id=1, name="  ", phase=Phase.WBK, stage=Stage.INISIATIF,
                     areas=frozenset(), started_on=date(2018, 1, 1))
    assert codes(validate_innovation(bad)) == ["required", "innovation.no_area"]


# --- lineage --------------------------------------------------------------------------------

def test_parent_must_start_no_later_than_child():
    parent = inn("p", started=date(2018, 5, 1))
    same_day = inn("c", started=date(2018, 5, 1), parent_id="p")
    earlier = inn("c", started=date(2018, 4, 30), parent_id="p")
    assert validate_innovation(same_day, {"p": parent}) == []
    assert codes(validate_innovation(earlier, {"p": parent})) == [
        "innovation.parent_started_later"
    ]


def test_unknown_parent():
    assert codes(validate_innovation(inn("c", parent_id="x"), {})) == [
        "innovation.parent_unknown"
    ]


def test_cycle_of_length_1_self_reference_rejected():
    a = inn("a", parent_id="a")
    assert codes(validate_innovation(a, {"a": a})) == ["innovation.parent_self"]
    assert find_cycle("a", "a", {}) == ("a", "a")


def test_cycle_of_length_2_rejected():
    # b builds on a; now a is edited to build on b.
    a = inn("a")
    b = inn("b", parent_id="a")
    known = {"a": a, "b": b}
    problems = validate_innovation(inn("a", parent_id="b"), known)
    assert codes(problems) == ["innovation.parent_cycle"]
    assert "a -> b -> a" in problems[0].text("en")
    assert find_cycle("a", "b", {"a": None, "b": "a"}) == ("a", "b", "a")


def test_cycle_of_length_3_rejected():
    # c -> b -> a (c builds on b, b on a); linking a -> c closes a 3-cycle.
    known = {"a": inn("a"), "b": inn("b", parent_id="a"), "c": inn("c", parent_id="b")}
    problems = validate_innovation(inn("a", parent_id="c"), known)
    assert codes(problems) == ["innovation.parent_cycle"]
    assert find_cycle("a", "c", {"a": None, "b": "a", "c": "b"}) == ("a", "c", "b", "a")


def test_long_chain_without_cycle_is_fine_and_foreign_cycles_terminate():
    parents = {i: i - 1 for i in range(1, 1000)} | {0: None}
    assert find_cycle(1000, 999, parents) == ()
    # A corrupt cycle x <-> y elsewhere does not hang and is not blamed on the new link.
    assert find_cycle("new", "x", {"x": "y", "y": "x"}) == ()


def test_wbk_cannot_build_on_wbbm():
    parent = inn("p", phase=Phase.WBBM)
    child = inn("c", phase=Phase.WBK, parent_id="p")
    assert codes(validate_innovation(child, {"p": parent})) == ["innovation.wbk_on_wbbm"]


def test_pembeda_required_when_wbbm_develops_wbk():
    wbk = inn("wbk", phase=Phase.WBK, started=date(2018, 1, 1))
    no_pembeda = inn("wbbm", phase=Phase.WBBM, started=date(2019, 2, 1), parent_id="wbk")
    problems = validate_innovation(no_pembeda, {"wbk": wbk})
    assert codes(problems) == ["innovation.pembeda_required"]
    assert problems[0].field == "pembeda"
    assert "apa yang baru" in problems[0].text("id")
    assert "how citizens feel the difference" in problems[0].text("en")


def test_pembeda_needs_both_texts():
    wbk = inn("wbk", started=date(2018, 1, 1))
    only_new = inn("wbbm", phase=Phase.WBBM, started=date(2019, 2, 1), parent_id="wbk",
                   pembeda=Pembeda("Layanan antar-jemput dokumen", "   "))
    problems = validate_innovation(only_new, {"wbk": wbk})
    assert codes(problems) == ["innovation.pembeda_required"]
    assert "apa yang baru" not in problems[0].text("id")
    assert "bagaimana masyarakat merasakan" in problems[0].text("id")

    full = inn("wbbm", phase=Phase.WBBM, started=date(2019, 2, 1), parent_id="wbk",
               pembeda=Pembeda("Konsultasi lewat WhatsApp 24 jam",
                               "Satker tidak perlu datang ke kantor; jawaban < 1 jam"))
    assert validate_innovation(full, {"wbk": wbk}) == []


@pytest.mark.parametrize(
    ("child_phase", "parent_phase"),
    [(Phase.WBBM, Phase.WBBM), (Phase.WBK, Phase.WBK)],
)
def test_pembeda_not_required_within_the_same_phase(child_phase, parent_phase):
    parent = inn("p", phase=parent_phase)
    child = inn("c", phase=child_phase, parent_id="p")
    assert validate_innovation(child, {"p": parent}) == []


def test_pembeda_not_required_without_parent():
    assert validate_innovation(inn("solo", phase=Phase.WBBM)) == []


def test_impact_problems_are_reported_with_their_index():
    bad = inn(1, impacts=(time_impact(60, 30), time_impact(60, 30.0)))
    problems = validate_innovation(bad)
    assert codes(problems) == ["not_exact_number"]
    assert problems[0].field == "impacts[1].after_value"


# --- impact ---------------------------------------------------------------------------------

def test_service_time_from_two_hours_to_thirty_minutes():
    result = improvement(time_impact(120, 30))
    assert result.change == Decimal(-90)
    assert result.relative_change == Fraction(-3, 4)
    assert result.gain == Decimal(90)
    assert result.relative_gain == Fraction(3, 4)
    assert result.improved is True


def test_steps_seven_to_four_is_exactly_three_sevenths_better():
    m = Impact(MetricKind.STEPS, "langkah", 7, date(2018, 1, 1), 4, date(2018, 12, 1),
               Direction.LOWER_IS_BETTER)
    r = improvement(m)
    assert (r.change, r.relative_gain, r.improved) == (Decimal(-3), Fraction(3, 7), True)


def test_satisfaction_ikm_up_is_improvement_and_exact():
    m = Impact(MetricKind.SATISFACTION_INDEX, "IKM", Decimal("82.25"), date(2018, 6, 30),
               Decimal("88.31"), date(2019, 6, 30), Direction.HIGHER_IS_BETTER)
    r = improvement(m)
    assert r.change == Decimal("6.06")
    assert r.relative_change == Fraction(606, 8225)
    assert r.improved


def test_unchanged_or_worse_is_not_improved():
    assert improvement(time_impact(30, 30)).improved is False
    worse = improvement(time_impact(30, 45))
    assert (worse.improved, worse.gain) == (False, Decimal(-15))


def test_cost_to_free_and_from_zero():
    to_free = Impact(MetricKind.COST_RUPIAH, "Rp", 50000, date(2018, 1, 1), 0,
                     date(2018, 2, 1), Direction.LOWER_IS_BETTER)
    assert improvement(to_free).relative_gain == Fraction(1)
    custom = Impact(MetricKind.CUSTOM, "pengaduan", 0, date(2018, 1, 1), 12, date(2018, 2, 1),
                    Direction.HIGHER_IS_BETTER, label="Pengaduan diselesaikan")
    r = improvement(custom)
    assert r.relative_change is None and r.improved


def test_impact_rejections():
    cases = {
        "impact.wrong_unit": Impact(MetricKind.SERVICE_TIME_MINUTES, "jam", 2, date(2018, 1, 1),
                                    1, date(2018, 2, 1), Direction.LOWER_IS_BETTER),
        "impact.not_whole": Impact(MetricKind.STEPS, "langkah", Decimal("4.5"),
                                   date(2018, 1, 1), 3, date(2018, 2, 1),
                                   Direction.LOWER_IS_BETTER),
        "impact.after_before_before": time_impact(60, 30, before_on=date(2018, 5, 1),
                                                  after_on=date(2018, 4, 30)),
        "impact.wrong_direction": Impact(MetricKind.STEPS, "langkah", 7, date(2018, 1, 1), 4,
                                         date(2018, 2, 1), Direction.HIGHER_IS_BETTER),
        "impact.negative": time_impact(-5, 30),
        "impact.out_of_range": Impact(MetricKind.SATISFACTION_INDEX, "nrr", Decimal("3.2"),
                                      date(2018, 1, 1), Decimal("4.2"), date(2018, 2, 1),
                                      Direction.HIGHER_IS_BETTER),
        "not_exact_number": time_impact(True, 30),
        "required": Impact(MetricKind.CUSTOM, "x", 1, date(2018, 1, 1), 2, date(2018, 2, 1),
                           Direction.HIGHER_IS_BETTER),
    }
    for code, measure in cases.items():
        assert codes(validate_impact(measure)) == [code], code
        with pytest.raises(ProgrammeError) as err:
            improvement(measure)
        assert err.value.problems[0].code == code


def test_whole_steps_given_as_decimal_are_accepted():
    m = Impact(MetricKind.STEPS, "langkah", Decimal("7.0"), date(2018, 1, 1), 4,
               date(2018, 1, 1), Direction.LOWER_IS_BETTER)
    assert validate_impact(m) == []


# --- LKE suggestions ------------------------------------------------------------------------

def improved_inn(id, services, **kw):
    return inn(id, service_ids=frozenset(services), impacts=(time_impact(60, 20),), **kw)


def test_ppf2f_none_when_nothing_operates():
    s = suggest_lke_answers([inn(1, stage=Stage.INISIATIF), inn(2, stage=Stage.UJI_COBA)],
                            [], [])
    assert (s.ppf2f.option, s.ppf2f.evidence_ids) == ("E", ())
    assert [r.code for r in s.ppf2f.reasons] == ["lke.not_operating", "lke.ppf2f_e"]
    assert s.ppf2f.reasons[0].params["ids"] == (1, 2)


@pytest.mark.parametrize(
    ("kw", "option"),
    [
        (dict(differs_from_other_units=True, brings_service_closer=True,
              stage=Stage.REPLIKASI), "A"),
        (dict(differs_from_other_units=True, brings_service_closer=True), "B"),
        (dict(differs_from_other_units=True, brings_service_closer=True,
              origin=Origin.PENGEMBANGAN), "B"),
        (dict(differs_from_other_units=True, brings_service_closer=False,
              stage=Stage.REPLIKASI), "C"),
        (dict(origin=Origin.REPLIKASI, differs_from_other_units=True,
              brings_service_closer=True), "C"),
        (dict(origin=Origin.INSTANSI_LAIN, differs_from_other_units=True,
              brings_service_closer=True, stage=Stage.REPLIKASI), "D"),
    ],
)
def test_ppf2f_options(kw, option):
    s = suggest_lke_answers([inn(7, **kw)], [], [])
    assert s.ppf2f.option == option
    assert s.ppf2f.evidence_ids == (7,)
    assert s.ppf2f.reasons[-1].code == f"lke.ppf2f_{option.lower()}"


def test_ppf2f_takes_the_best_and_ignores_non_service_innovations():
    e_office = inn("e-office", areas=frozenset({ChangeArea.PENATAAN_TATALAKSANA}),
                   differs_from_other_units=True, brings_service_closer=True,
                   stage=Stage.REPLIKASI)
    national = inn("span", origin=Origin.INSTANSI_LAIN)
    own = inn("klinik", differs_from_other_units=True, brings_service_closer=True)
    s = suggest_lke_answers([e_office, national, own], [], [])
    assert (s.ppf2f.option, s.ppf2f.evidence_ids) == ("B", ("klinik",))
    assert "lke.not_service_area" in [r.code for r in s.ppf2f.reasons]


@pytest.mark.parametrize(
    ("improved", "option"),
    [(range(10), "A"), (range(9), "B"), (range(6), "B"), (range(5), "C"), (range(1), "C"),
     ((), "D")],
)
def test_prf1a_bands_over_ten_registered_services(improved, option):
    # Thresholds: A all; B more than half; C more than none up to half; D none.
    registered = [f"s{i}" for i in range(10)]
    innovations = [improved_inn("x", [f"s{i}" for i in improved])] if improved else []
    s = suggest_lke_answers(innovations, registered, [])
    assert s.prf1a.option == option
    assert s.prf1a.evidence_ids == (("x",) if improved else ())
    assert PRF1A_MOST_ABOVE == Fraction(1, 2)


def test_prf1a_needs_measured_improvement_and_known_services():
    no_impact = inn("a", service_ids=frozenset({"s1"}))
    worse = inn("b", service_ids=frozenset({"s2"}), impacts=(time_impact(20, 60),))
    good = improved_inn("c", ["s3", "ghost"])
    pilot = improved_inn("d", ["s4"], stage=Stage.UJI_COBA)
    s = suggest_lke_answers([no_impact, worse, good, pilot], ["s1", "s2", "s3", "s4"], [])
    assert s.prf1a.option == "C"  # 1 of 4
    assert s.prf1a.evidence_ids == ("c",)
    reasons = {r.code: r for r in s.prf1a.reasons}
    assert reasons["lke.no_measured_impact"].params["ids"] == ("a", "b")
    assert reasons["lke.unknown_services"].params["ids"] == ("ghost",)
    assert reasons["lke.not_operating"].params["ids"] == ("d",)
    assert "1 dari 4 layanan" in reasons["lke.prf1a_share"].text("id")
    assert "sebagian kecil" in reasons["lke.prf1a_share"].text("id")


def test_prf1b_ratio_exact_and_capped():
    registered = ["s1", "s2", "s3"]
    s = suggest_lke_answers([improved_inn("x", ["s2"])], registered, ["s1", "s2", "s9"])
    assert (s.prf1b.numerator, s.prf1b.denominator, s.prf1b.ratio) == (2, 3, Fraction(2, 3))
    assert s.prf1b.evidence_ids == ("x",)
    assert s.prf1b.reasons[0].params["ids"] == ("s9",)


def test_prf1b_zero_when_nothing_registered():
    s = suggest_lke_answers([], [], ["s1"])
    assert s.prf1b.ratio == 0 and s.prf1b.denominator == 0
    assert s.prf1a.option == "D"
    assert "lke.no_registered_services" in [r.code for r in s.prf1b.reasons]
