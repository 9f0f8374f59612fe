"""The roll-up arithmetic, with numbers worked by hand."""

from fractions import Fraction

import pytest

from app.domain import rollup as r


def test_units_per_step_from_statuses():
    # 3 drafts and 1 returned are at the self-assessment; submitted waits for the regional
    # review, in_review for the TPI; final has reached the proposal; 2 have no assessment.
    steps = r.season_steps({None: 2, "draft": 3, "returned": 1, "submitted": 4,
                            "in_review": 1, "final": 5})
    assert [(s.step, s.units) for s in steps] == [
        ("not_started", 2), ("self_assessment", 4), ("regional_review", 4),
        ("tpi_review", 1), ("national_proposal", 5),
    ]


def test_bands_are_exact_at_the_thresholds():
    assert r.band_of(Fraction(75)) == 75
    assert r.band_of(Fraction(7499, 100)) == 60
    assert r.band_of(Fraction(85)) == 85
    assert r.band_of(Fraction(0)) == 0
    assert [r.band_label(e) for e in r.SCORE_BAND_EDGES] == [
        "0-<50", "50-<60", "60-<75", "75-<85", ">=85"]


def test_year_scores_exact_mean_bands_and_verdicts():
    groups = [
        r.TotalsGroup.of(2024, "WBK", True, Fraction(80), 2),        # 160
        r.TotalsGroup.of(2024, "WBK", False, Fraction(70), 1),       # 70
        r.TotalsGroup.of(2024, "WBBM", False, Fraction(263, 3), 1),  # 87 2/3, no WBK held
        r.TotalsGroup.of(2023, "WBK", False, Fraction(1, 3), 1),
    ]
    newest, older = r.year_scores(groups)
    assert newest.year == 2024 and newest.assessments == 4
    # (160 + 70 + 263/3) / 4 = (690/3 + 263/3) / 4 = 953/12 = 79.41666...
    assert newest.mean == Fraction(953, 12)
    assert dict(newest.bands) == {0: 0, 50: 0, 60: 1, 75: 2, 85: 1}
    assert [(t.target, t.passed, t.failed) for t in newest.targets] == [
        ("WBK", 2, 1), ("WBBM", 0, 1)]
    assert newest.passed == 2
    assert older.mean == Fraction(1, 3) and dict(older.bands)[0] == 1


def test_exact_mean_refuses_floats():
    assert r.exact_mean(None, 0) is None
    assert r.exact_mean(Fraction(10), 4) == Fraction(5, 2)
    with pytest.raises(TypeError):
        r.exact_mean(10.0, 4)


def test_gap_is_the_total_shortfall_and_keeps_every_blocker():
    gap = r.gap({"total": Fraction(15, 2), "area:PPA": Fraction(1, 4), "wbk_held": None})
    assert gap.missing == Fraction(15, 2)  # the area's 0.25 is inside the total's 7.5
    assert gap.failed == ("total", "area:PPA", "wbk_held") and not gap.on_target
    assert r.gap({}).on_target
    # Only an area fails: nothing missing on the total, still not on target.
    only_area = r.gap({"area:PPA": Fraction(1, 4)})
    assert only_area.missing == 0 and not only_area.on_target


def test_exact_texts_are_read_without_rounding():
    assert r.exact_parts("87.5") == (875, 10)
    assert r.exact_parts("263/3") == (263, 3)
    assert r.exact_parts("100") == (100, 1)
    assert r.exact_parts("0.125") == (125, 1000)
    assert r.exact_parts("-2.5") == (-25, 10)
    # Mean of the texts 87.5, 263/3 and 0.125: (2100 + 2104 + 3)/24 / 3 = 4207/72.
    (year,) = r.year_scores([r.TotalsGroup.of(2024, "WBK", False, t, 1)
                             for t in ("87.5", "263/3", "0.125")])
    assert year.mean == Fraction(4207, 72)


def test_exact_sum_over_denominators():
    # 5/6 + 3/4 = 10/12 + 9/12 = 19/12; 1/3 + 1/7 = 7/21 + 3/21 = 10/21.
    assert r.exact_sum({6: 5, 4: 3}) == Fraction(19, 12)
    assert r.exact_sum({3: 1, 7: 1}) == Fraction(10, 21)
    # Numerator sums of several totals: (1/3 + 2/3) + (-5/10) = 1 - 1/2 = 1/2.
    assert r.exact_sum({3: 3, 10: -5}) == Fraction(1, 2)
    assert r.exact_sum({}) == 0
