"""Survey indices against hand-worked numbers (PermenPANRB 14/2017, LKE ZI 90/2021).

Every expected value below was worked out by hand in the comments, not copied from the code.
"""

import random
from decimal import Decimal
from fractions import Fraction as F

import pytest

from app.domain.surveys.indices import (
    IKM_2017_BANDS,
    ElementTally,
    SurveyDataError,
    TrendPoint,
    format_id,
    grade_ikm,
    grade_nrr_mean,
    ikm,
    lke_score,
    nrr,
    perception_index,
    profile_breakdown,
    round_half_up,
    sample_size,
    sample_size_exact,
    to_lke_scale,
    trend,
)

IKM_CODES = tuple(f"U{n}" for n in range(1, 10))


def same_tally(total: int, count: int, codes=IKM_CODES) -> list[ElementTally]:
    """Every element gets the same tally, so the mean NRR is total / count."""
    return [ElementTally(c, total, count) for c in codes]


# --------------------------------------------------------------------------- NRR


def test_nrr_of_three_respondents():
    # U1 answers 4, 3, 4 -> sum 11 over 3 answers -> NRR 11/3 = 3.666...
    assert nrr(ElementTally("U1", 11, 3)) == F(11, 3)


def test_nrr_needs_answers():
    with pytest.raises(SurveyDataError, match="U3: no answers"):
        nrr(ElementTally("U3", 0, 0))


def test_tally_rejects_floats_and_negatives():
    with pytest.raises(TypeError):
        ElementTally("U1", 3.0, 1)
    with pytest.raises(ValueError):
        ElementTally("U1", -1, 1)


# --------------------------------------------------------------------------- IKM


def test_ikm_three_respondents_by_hand():
    # Answers (rows = respondents, columns = U1..U9):
    #   R1: 4 3 3 4 4 3 4 3 3
    #   R2: 3 3 2 4 3 3 4 2 3
    #   R3: 4 2 3 4 3 4 4 3 3
    # Column sums: U1 11, U2 8, U3 8, U4 12, U5 10, U6 10, U7 12, U8 8, U9 9 (sum 88).
    # NRR = sum / 3; mean NRR = (88/3) / 9 = 88/27 = 3.259259...
    # IKM = 88/27 x 25 = 2200/27 = 81.481481... -> shown 81.48 -> B (76.61-88.30) Baik.
    # Lowest NRR 8/3 is shared by U2, U3 and U8 -> priority U2 (first in order).
    totals = [11, 8, 8, 12, 10, 10, 12, 8, 9]
    result = ikm([ElementTally(c, t, 3) for c, t in zip(IKM_CODES, totals, strict=True)])
    assert result.element("U1").nrr == F(11, 3)
    assert result.element("U4").nrr == 4
    assert result.nrr_mean == F(88, 27)
    assert result.ikm == F(2200, 27)
    assert result.ikm_shown == Decimal("81.48")
    assert result.grade.letter == "B"
    assert result.grade.label_id == "Baik"
    assert result.weakest == ("U2", "U3", "U8")
    assert result.priority == "U2"


def test_ikm_counts_may_differ_per_element():
    # Two elements only: U1 4+4 over 2 -> 4; U2 one answer of 2 -> 2.
    # Plain mean of NRRs (not of all answers): (4 + 2) / 2 = 3 -> IKM 75.00 -> C.
    # (Pooling the three answers would give 10/3 x 25 = 83.33 instead.)
    result = ikm([ElementTally("U1", 8, 2), ElementTally("U2", 2, 1)])
    assert result.nrr_mean == 3
    assert result.ikm == 75
    assert result.grade.letter == "C"
    assert result.priority == "U2"


def test_one_respondent_all_fours_is_100_grade_a():
    result = ikm(same_tally(4, 1))
    assert result.ikm == 100
    assert result.grade.letter == "A"
    assert result.grade.label_id == "Sangat Baik"


def test_one_respondent_all_ones_is_25_grade_d():
    result = ikm(same_tally(1, 1))
    assert result.ikm == 25
    assert result.grade.letter == "D"
    assert result.grade.label_id == "Tidak Baik"


@pytest.mark.parametrize(
    ("total", "count", "exact_ikm", "letter"),
    [
        # mean NRR 6499/2500 = 2.5996 -> x 25 = 64.99 -> D
        (6499, 2500, Decimal("64.99"), "D"),
        # 13/5 = 2.6 -> 65.00 -> C
        (13, 5, Decimal("65.00"), "C"),
        # 383/125 = 3.064 -> 76.60 -> C
        (383, 125, Decimal("76.60"), "C"),
        # 7661/2500 = 3.0644 -> 76.61 -> B
        (7661, 2500, Decimal("76.61"), "B"),
        # 883/250 = 3.532 -> 88.30 -> B
        (883, 250, Decimal("88.30"), "B"),
        # 8831/2500 = 3.5324 -> 88.31 -> A
        (8831, 2500, Decimal("88.31"), "A"),
    ],
)
def test_ikm_grade_boundaries_from_tallies(total, count, exact_ikm, letter):
    result = ikm(same_tally(total, count))
    assert result.ikm == F(exact_ikm)
    assert result.grade.letter == letter


def test_boundary_65_from_unequal_elements():
    # U1..U8: 5 over 2 answers -> NRR 2.5 each (sum 20); U9: 17 over 5 -> 3.4.
    # Mean = (20 + 3.4) / 9 = 23.4 / 9 = 2.6 -> IKM 65.00 exactly -> C.
    tallies = [ElementTally(c, 5, 2) for c in IKM_CODES[:8]] + [ElementTally("U9", 17, 5)]
    result = ikm(tallies)
    assert result.ikm == 65
    assert result.grade.letter == "C"
    assert result.weakest == IKM_CODES[:8]


def test_ikm_between_printed_bounds_is_graded_as_shown():
    # mean NRR 12999/5000 = 2.5998 -> IKM 64.995 exactly: between 64.99 (D) and 65.00 (C).
    # Shown half-up as 65.00, so graded C: the printed value and the grade agree.
    result = ikm(same_tally(12999, 5000))
    assert result.ikm == F("64.995")
    assert result.ikm_shown == Decimal("65.00")
    assert result.grade.letter == "C"


@pytest.mark.parametrize(
    ("value", "letter"),
    [
        ("25", "D"),
        ("64.99", "D"),
        ("64.9949", "D"),  # shown 64.99
        ("64.995", "C"),  # shown 65.00
        ("65.00", "C"),
        ("76.60", "C"),
        ("76.6049", "C"),  # shown 76.60
        ("76.605", "B"),  # shown 76.61
        ("76.61", "B"),
        ("88.30", "B"),
        ("88.3049", "B"),
        ("88.305", "A"),
        ("88.31", "A"),
        ("100", "A"),
        ("100.004", "A"),  # shown 100.00
    ],
)
def test_grade_ikm_on_exact_values(value, letter):
    assert grade_ikm(F(value)).letter == letter


def test_grade_ikm_outside_the_scale():
    with pytest.raises(SurveyDataError):
        grade_ikm(F("24.99"))
    with pytest.raises(SurveyDataError):
        grade_ikm(F("100.005"))  # shown 100.01


@pytest.mark.parametrize(
    ("mean", "letter"),
    [
        ("1", "D"),
        ("2.5996", "D"),  # x 25 = 64.99
        ("2.5998", "C"),  # x 25 = 64.995 -> shown 65.00
        ("2.60", "C"),
        ("3.064", "C"),  # 76.60
        ("3.0642", "B"),  # 76.605 -> 76.61: inside the printed gap 3.064 | 3.0644
        ("3.0644", "B"),
        ("3.532", "B"),  # 88.30
        ("3.5324", "A"),  # 88.31
        ("4", "A"),
    ],
)
def test_grade_nrr_mean_agrees_with_ikm(mean, letter):
    assert grade_nrr_mean(F(mean)).letter == letter


def test_grade_band_nrr_bounds_match_the_regulation_table():
    # Regulation: C from 2.60 to 3.064, B from 3.0644, A from 3.5324 (NRR mean = IKM / 25).
    bands = {b.letter: b for b in IKM_2017_BANDS}
    assert bands["C"].nrr_lower == F("2.6")
    assert bands["C"].nrr_upper == F("3.064")
    assert bands["B"].nrr_lower == F("3.0644")
    assert bands["A"].nrr_lower == F("3.5324")
    assert bands["D"].nrr_upper == F("2.5996")


def test_ikm_lists_every_problem_at_once():
    tallies = [
        ElementTally("U1", 9, 2),  # 9 > 2 x 4: impossible on 1-4
        ElementTally("U2", 0, 0),  # nobody answered
        ElementTally("U2", 3, 1),  # duplicate
        ElementTally("X1", 3, 1),  # not an element
    ]
    with pytest.raises(SurveyDataError) as info:
        ikm(tallies, elements=("U1", "U2", "U3"))
    problems = info.value.problems
    assert any(p.startswith("U1: total 9 is impossible") for p in problems)
    assert "U2: no answers, NRR is undefined" in problems
    assert "U2: given more than once" in problems
    assert "missing elements: U3" in problems
    assert "unexpected elements: X1" in problems
    assert len(problems) == 5


def test_ikm_follows_the_given_element_order():
    tallies = [ElementTally("U2", 3, 1), ElementTally("U1", 4, 1)]
    result = ikm(tallies, elements=("U1", "U2"))
    assert [e.code for e in result.elements] == ["U1", "U2"]


def test_ikm_needs_elements():
    with pytest.raises(SurveyDataError, match="no elements"):
        ikm([])


# --------------------------------------------------------------------------- SPKP / SPAK


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 1 + 3 (x - 1) / 5 on a 1-6 scale
        ("6", F(4)),  # 1 + 3 x 5/5 = 4
        ("1", F(1)),  # 1 + 0 = 1
        ("3.5", F("2.5")),  # 1 + 3 x 2.5/5 = 2.5
        ("5.4", F("3.64")),  # 1 + 3 x 4.4/5 = 1 + 2.64
    ],
)
def test_six_point_scale_to_lke_scale(value, expected):
    assert to_lke_scale(F(value), 1, 6) == expected


def test_four_point_scale_is_the_identity():
    for x in ("1", "2.5", "3.2", "4"):
        assert to_lke_scale(F(x), 1, 4) == F(x)


def test_to_lke_scale_rejects_values_off_the_scale():
    with pytest.raises(SurveyDataError):
        to_lke_scale(7, 1, 6)
    with pytest.raises(ValueError):
        to_lke_scale(2, 4, 4)


def test_spak_on_six_point_scale_by_hand():
    # Two respondents, items A1..A5:
    #   R1: 6 5 6 6 5
    #   R2: 5 5 6 4 6
    # Sums 11 10 12 10 11 -> NRR 5.5 5 6 5 5.5 -> mean 27/5 = 5.4 on 1-6.
    # On 1-4: 1 + 3 x (5.4 - 1) / 5 = 3.64. LKE: 3.64 / 4 x 17.5 = 0.91 x 17.5 = 15.925.
    codes = ("A1", "A2", "A3", "A4", "A5")
    sums = (11, 10, 12, 10, 11)
    result = perception_index(
        [ElementTally(c, s, 2) for c, s in zip(codes, sums, strict=True)], 1, 6, items=codes
    )
    assert result.index == F("5.4")
    assert result.index_1_4 == F("3.64")
    assert result.weakest == ("A2", "A4")
    assert result.priority == "A2"
    assert lke_score(result.index_1_4) == F("15.925")


def test_spkp_thresholds_of_the_lke():
    # WBK needs IPKP index >= 3.20 -> 3.2 / 4 x 17.5 = 14.0; WBBM 3.60 -> 15.75.
    codes = tuple(f"P{n}" for n in range(1, 9))
    at_320 = perception_index(same_tally(16, 5, codes), 1, 4)  # 16/5 = 3.2
    assert at_320.index == at_320.index_1_4 == F("3.2")
    assert lke_score(at_320.index_1_4) == 14
    at_360 = perception_index(same_tally(18, 5, codes), 1, 4)  # 18/5 = 3.6
    assert lke_score(at_360.index_1_4) == F("15.75")


def test_lke_score_ends_and_weight():
    assert lke_score(4) == F("17.5")
    assert lke_score(1) == F("4.375")  # 1/4 x 17.5
    assert lke_score(F("3.2"), weight=5) == 4  # 0.8 x 5
    with pytest.raises(SurveyDataError):
        lke_score(F("4.01"))
    with pytest.raises(TypeError):
        lke_score(3.2)  # float refused: exact numbers only


def test_perception_index_checks_its_own_scale():
    # 2 answers on 1-6 can sum to at most 12.
    with pytest.raises(SurveyDataError, match="impossible"):
        perception_index([ElementTally("A1", 13, 2)], 1, 6)
    with pytest.raises(SurveyDataError, match="impossible"):
        perception_index([ElementTally("A1", 1, 2)], 1, 6)


# --------------------------------------------------------------------------- sample size


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        # S = 3.841 N (1/4) / (0.0025 (N - 1) + 3.841 (1/4)) = 0.96025 N / (0.0025 (N-1) + 0.96025)
        # N=100:  96.025 / (0.2475 + 0.96025 = 1.20775); 1.20775 x 79 = 95.41225,
        #         rest 0.61275 / 1.20775 = 0.507 -> 79.507 -> 80
        (100, 80),
        # N=500:  480.125 / (1.2475 + 0.96025 = 2.20775); 2.20775 x 217 = 479.08175,
        #         rest 1.04325 / 2.20775 = 0.4725 -> 217.47 -> 217 (nearest; up would be 218)
        (500, 217),
        # N=1000: 960.25 / 3.45775; x 277 = 957.79675, rest 2.45325 / 3.45775 = 0.71 -> 278
        (1000, 278),
        # N=10000: 9602.5 / 25.95775; x 369 = 9578.40975, rest 24.09025 / 25.95775 = 0.93 -> 370
        (10000, 370),
        # N=1e6: 960250 / 2500.95775; x 383 = 957866.81825, rest 2383.18 / 2500.96 = 0.95 -> 384
        (1_000_000, 384),
        # Krejcie-Morgan table, N=50: 48.0125 / (0.1225 + 0.96025) = 44.34 -> 44
        (50, 44),
        # N=1: 0.96025 / (0 + 0.96025) = 1
        (1, 1),
    ],
)
def test_sample_size_reproduces_the_krejcie_morgan_table(population, expected):
    assert sample_size(population) == expected


def test_sample_size_exact_value():
    # N=500: 480.125 / 2.20775 = (x 100000) 48012500 / 220775 = (/ 25) 1920500 / 8831
    # 8831 x 217 = 1916327, rest 4173 / 8831 = 0.4725 -> 217.47
    assert sample_size_exact(500) == F(1920500, 8831)


def test_sample_size_rounding_up_is_available():
    assert sample_size(500, rounding="up") == 218  # 217.47 -> 218
    assert sample_size(50, rounding="up") == 45  # 44.34 -> 45
    assert sample_size(1000, rounding="up") == 278


@pytest.mark.parametrize("bad", [0, -5, 10.0, True, "100"])
def test_sample_size_rejects_bad_populations(bad):
    with pytest.raises(ValueError):
        sample_size(bad)


def test_sample_size_rejects_unknown_rounding():
    with pytest.raises(ValueError):
        sample_size(100, rounding="down")


# --------------------------------------------------------------------------- profile, trend


def test_profile_breakdown_shares():
    shares = profile_breakdown({"L": 3, "P": 1})
    assert [(s.code, s.count, s.share) for s in shares] == [("L", 3, F(3, 4)), ("P", 1, F(1, 4))]
    assert shares[0].percent == 75


def test_profile_breakdown_shares_add_up_to_one():
    # 1/3 + 1/3 + 1/3: exact, no 99.99%
    shares = profile_breakdown([("sd", 1), ("sma", 1), ("s1", 1)])
    assert sum(s.share for s in shares) == 1


def test_profile_breakdown_without_respondents():
    assert [s.share for s in profile_breakdown({"L": 0, "P": 0})] == [0, 0]
    assert profile_breakdown({}) == ()


def test_profile_breakdown_rejects_bad_counts():
    with pytest.raises(SurveyDataError) as info:
        profile_breakdown([("L", -1), ("P", 2.5), ("L", 1)])
    assert len(info.value.problems) == 3


def test_trend_between_consecutive_periods():
    points = [
        TrendPoint("2025-S1", F(80)),
        TrendPoint("2025-S2", F("82.5")),
        TrendPoint("2026-S1", F("82.5")),
        TrendPoint("2026-S2", Decimal("79.25")),
    ]
    steps = trend(points)
    assert [s.change for s in steps] == [None, F("2.5"), 0, F("-3.25")]
    assert [s.direction for s in steps] == [None, "up", "flat", "down"]
    assert steps[3].previous == F("82.5")


def test_trend_rejects_duplicate_periods():
    with pytest.raises(SurveyDataError):
        trend([TrendPoint("2025", F(1)), TrendPoint("2025", F(2))])


# --------------------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("value", "shown", "text"),
    [
        (F("87.555"), Decimal("87.56"), "87,56"),  # half-up on the third decimal
        (F("87.554999"), Decimal("87.55"), "87,55"),
        (F(2200, 27), Decimal("81.48"), "81,48"),  # 81.4814...
        (F("64.995"), Decimal("65.00"), "65,00"),
        (F(100), Decimal("100.00"), "100,00"),
        (F("1234.5"), Decimal("1234.50"), "1.234,50"),
        (F("-1.005"), Decimal("-1.01"), "-1,01"),  # half away from zero
        (Decimal("0.125"), Decimal("0.13"), "0,13"),
        (0, Decimal("0.00"), "0,00"),
    ],
)
def test_round_half_up_and_indonesian_format(value, shown, text):
    assert round_half_up(value) == shown
    assert str(round_half_up(value)) == str(shown)
    assert format_id(value) == text


def test_display_refuses_floats():
    with pytest.raises(TypeError):
        format_id(87.555)


# --------------------------------------------------------------------------- common denominator


def test_items_with_different_answer_counts_are_averaged_exactly():
    """NRRs 7/2, 8/3 and 13/4 (answers 2, 3, 4): over the common denominator 12 they are
    42/12, 32/12 and 39/12, mean (42 + 32 + 39) / 36 = 113/36; the weakest is 8/3."""
    result = perception_index(
        [ElementTally("P1", 7, 2), ElementTally("P2", 8, 3), ElementTally("P3", 13, 4)], 1, 4)
    assert result.index == F(113, 36)
    assert [e.nrr for e in result.items] == [F(7, 2), F(8, 3), F(13, 4)]
    assert result.weakest == ("P2",) and result.priority == "P2"


def test_equal_nrrs_from_different_counts_tie_for_weakest():
    """6/2 = 9/3 = 3: both weakest, in element order; mean (3 + 3 + 4) / 3 = 10/3, IKM 250/3."""
    result = ikm([ElementTally("U1", 6, 2), ElementTally("U2", 8, 2), ElementTally("U3", 9, 3)])
    assert result.weakest == ("U1", "U3") and result.priority == "U1"
    assert result.nrr_mean == F(10, 3) and result.ikm == F(250, 3)


def test_the_mean_equals_adding_the_nrrs_one_by_one():
    """The common-denominator sum is the same reduced Fraction as a plain Fraction sum,
    whatever the counts (seeded random tallies on 1-4 and 1-6)."""
    rng = random.Random(15)
    for _ in range(300):
        scale = rng.choice((4, 6))
        tallies = []
        for n in range(rng.randint(1, 12)):
            count = rng.randint(1, 500)
            tallies.append(ElementTally(f"X{n}", rng.randint(count, scale * count), count))
        mean = sum((F(t.total, t.count) for t in tallies), F(0)) / len(tallies)
        lowest = min(F(t.total, t.count) for t in tallies)
        weakest = tuple(t.code for t in tallies if F(t.total, t.count) == lowest)
        result = perception_index(tallies, 1, scale)
        assert (result.index, result.weakest) == (mean, weakest)
        if scale == 4:
            four = ikm(tallies)
            assert (four.nrr_mean, four.ikm, four.weakest) == (mean, mean * 25, weakest)
