"""Milestone order rules and the per-year timeline (KPPN Tanjungpandan story)."""

from datetime import date
from decimal import Decimal

from app.domain.programme.areas import ChangeArea
from app.domain.programme.innovation import (
    Innovation,
    Pembeda,
    Phase,
    Stage,
    validate_innovation,
)
from app.domain.programme.milestones import (
    LkeScore,
    Milestone,
    MilestoneKind,
    SurveyPoint,
    timeline_by_year,
    validate_timeline,
)

K = MilestoneKind
PP = frozenset({ChangeArea.PELAYANAN_PUBLIK})

# KPPN Tanjungpandan (reference README, section 1): pencanangan February 2017, WBK at the end
# of 2018, working toward WBBM in 2019. Days within the month are chosen for the test.
TANJUNGPANDAN = [
    Milestone(1, K.PENCANANGAN, date(2017, 2, 14)),
    Milestone(2, K.USULAN_WBK, date(2018, 5, 31)),
    Milestone(3, K.PENETAPAN_WBK, date(2018, 12, 10)),
    Milestone(4, K.CUSTOM, date(2019, 3, 1), "Pembangunan menuju WBBM dimulai"),
    Milestone(5, K.USULAN_WBBM, date(2019, 5, 31)),
]


def codes(problems):
    return [p.code for p in problems]


def test_tanjungpandan_timeline_is_valid():
    assert validate_timeline(TANJUNGPANDAN) == []


def test_wbk_proposal_needs_an_earlier_pencanangan():
    problems = validate_timeline([Milestone(1, K.USULAN_WBK, date(2018, 5, 31))])
    assert codes(problems) == ["milestone.needs_earlier"]
    assert problems[0].text("id") == (
        "Usulan WBK pada 2018-05-31 harus didahului Pencanangan Zona Integritas.")
    assert problems[0].text("en") == (
        "WBK proposal on 2018-05-31 must be preceded by Integrity Zone declaration.")
    same_day = [Milestone(1, K.PENCANANGAN, date(2018, 5, 31)),
                Milestone(2, K.USULAN_WBK, date(2018, 5, 31))]
    assert codes(validate_timeline(same_day)) == ["milestone.needs_earlier"]


def test_award_must_come_after_proposal():
    award_first = [
        Milestone(1, K.PENCANANGAN, date(2017, 2, 14)),
        Milestone(2, K.PENETAPAN_WBK, date(2018, 3, 1)),
        Milestone(3, K.USULAN_WBK, date(2018, 5, 31)),
    ]
    problems = validate_timeline(award_first)
    assert codes(problems) == ["milestone.needs_earlier"]
    assert problems[0].field == "milestones[1].on"
    assert problems[0].params["id"] == 2


def test_wbbm_proposal_needs_wbk_award_first():
    no_wbk = [
        Milestone(1, K.PENCANANGAN, date(2017, 2, 14)),
        Milestone(2, K.USULAN_WBK, date(2018, 5, 31)),
        Milestone(3, K.USULAN_WBBM, date(2018, 5, 31)),
        Milestone(4, K.PENETAPAN_WBBM, date(2018, 12, 10)),
    ]
    problems = validate_timeline(no_wbk)
    assert [p.params["id"] for p in problems] == [3]


def test_a_failed_year_then_a_second_proposal_is_fine_but_awards_are_once():
    retry = [
        Milestone(1, K.PENCANANGAN, date(2016, 3, 1)),
        Milestone(2, K.USULAN_WBK, date(2017, 5, 31)),  # not awarded
        Milestone(3, K.USULAN_WBK, date(2018, 5, 31)),
        Milestone(4, K.PENETAPAN_WBK, date(2018, 12, 10)),
    ]
    assert validate_timeline(retry) == []
    twice = retry + [Milestone(5, K.PENETAPAN_WBK, date(2019, 12, 10))]
    assert codes(validate_timeline(twice)) == ["milestone.duplicate"]


def test_custom_milestone_needs_a_title():
    problems = validate_timeline(TANJUNGPANDAN + [Milestone(9, K.CUSTOM, date(2019, 8, 17))])
    assert codes(problems) == ["required"]
    assert problems[0].field == "milestones[5].title"


def test_tanjungpandan_by_year():
    wbk_inn = Innovation(
        id="konsul", name="Klinik konsultasi satker", phase=Phase.WBK, stage=Stage.PENERAPAN,
        areas=PP, started_on=date(2017, 9, 1), launched_on=date(2018, 1, 2))
    wbbm_inn = Innovation(
        id="konsul-wa", name="Konsultasi daring", phase=Phase.WBBM, stage=Stage.UJI_COBA,
        areas=PP, started_on=date(2019, 4, 1), parent_id="konsul",
        pembeda=Pembeda("Konsultasi lewat pesan daring", "Satker di Belitung tidak perlu datang"))
    assert validate_innovation(wbbm_inn, {"konsul": wbk_inn}) == []
    surveys = [SurveyPoint(date(2018, 6, 30), "ikm", Decimal("82.25")),
               SurveyPoint(date(2017, 12, 31), "ikm", Decimal("78.10"))]
    scores = [LkeScore(date(2018, 4, 30), Decimal("80.12"), "mandiri"),
              LkeScore(date(2018, 10, 1), Decimal("77.50"), "tpn")]

    years = timeline_by_year(TANJUNGPANDAN, [wbbm_inn, wbk_inn], surveys, scores)
    assert [y.year for y in years] == [2017, 2018, 2019]
    y2017, y2018, y2019 = years
    assert [m.kind for m in y2017.milestones] == [K.PENCANANGAN]
    assert [i.id for i in y2017.innovations_started] == ["konsul"]
    assert [s.value for s in y2017.survey_points] == [Decimal("78.10")]
    assert [m.kind for m in y2018.milestones] == [K.USULAN_WBK, K.PENETAPAN_WBK]
    assert [i.id for i in y2018.innovations_launched] == ["konsul"]
    assert [s.assessor for s in y2018.lke_scores] == ["mandiri", "tpn"]
    assert [m.kind for m in y2019.milestones] == [K.CUSTOM, K.USULAN_WBBM]
    assert [i.id for i in y2019.innovations_started] == ["konsul-wa"]
    assert y2019.innovations_launched == ()


def test_gap_years_are_kept_and_empty_input_gives_nothing():
    years = timeline_by_year([Milestone(1, K.PENCANANGAN, date(2015, 1, 5)),
                              Milestone(2, K.USULAN_WBK, date(2018, 5, 1))])
    assert [(y.year, y.is_empty) for y in years] == [
        (2015, False), (2016, True), (2017, True), (2018, False)]
    assert timeline_by_year([]) == ()
