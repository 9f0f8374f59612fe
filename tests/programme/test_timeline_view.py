"""The timeline's per-year view over plain data (no database): hand-built histories."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from app.domain.programme import LkeScore, MilestoneKind, SurveyPoint
from app.services.integration.timeline import InnovationInput, MilestoneInput, assemble

K = MilestoneKind


def award(id_, predicate, year, decree_date, revoked_on=None):
    return SimpleNamespace(id=id_, predicate=predicate, year=year, decree_number=f"KEP-{id_}",
                           decree_date=decree_date, revoked_on=revoked_on, deleted_at=None)


def test_road_marks_reached_steps_and_the_next_one():
    t = assemble(milestones=[
        MilestoneInput(1, K.PENCANANGAN, date(2017, 2, 14)),
        MilestoneInput(2, K.USULAN_WBK, date(2018, 5, 28)),
    ])
    assert [s.on for s in t.road] == [date(2017, 2, 14), date(2018, 5, 28), None, None, None]
    assert [s.current for s in t.road] == [False, False, True, False, False]


def test_an_award_with_its_own_milestone_is_one_event_carrying_the_decree():
    t = assemble(
        milestones=[
            MilestoneInput(1, K.PENCANANGAN, date(2017, 2, 14)),
            MilestoneInput(2, K.USULAN_WBK, date(2018, 5, 28)),
            MilestoneInput(3, K.PENETAPAN_WBK, date(2018, 12, 10), "Ditetapkan WBK"),
        ],
        awards=[award(9, "WBK", 2018, date(2018, 12, 10))],
    )
    y2018 = t.years[1]
    assert y2018.year == 2018
    assert [(e.kind, e.title, e.decree) for e in y2018.events] == [
        ("milestone", "", ""),
        ("milestone", "Ditetapkan WBK", "KEP-9"),
    ]


def test_an_award_without_milestone_reaches_the_road_and_a_revocation_is_shown():
    t = assemble(
        milestones=[MilestoneInput(1, K.PENCANANGAN, date(2016, 3, 1))],
        awards=[award(5, "WBK", 2017, date(2018, 1, 15), revoked_on=date(2019, 6, 1))],
    )
    assert t.road[2].kind is K.PENETAPAN_WBK and t.road[2].on == date(2018, 1, 15)
    kinds = [(y.year, [e.kind for e in y.events]) for y in t.years]
    assert kinds == [(2016, ["milestone"]), (2017, []), (2018, ["award"]), (2019, ["revoked"])]
    assert t.years[1].is_empty  # gap years are kept, so the road has no holes


def test_innovations_appear_when_started_and_when_launched_same_day_order():
    t = assemble(
        milestones=[MilestoneInput(1, K.PENCANANGAN, date(2017, 2, 14))],
        innovations=[
            InnovationInput(1, "Antrean daring", "wbk", "penerapan", date(2017, 2, 14),
                            date(2017, 9, 1)),
            InnovationInput(2, "Tanpa tatap muka", "wbbm", "uji_coba", date(2019, 1, 14),
                            parent_title="Antrean daring"),
        ],
    )
    y2017, y2018, y2019 = t.years
    # same day: the milestone is listed before the innovation that started on it
    assert [e.kind for e in y2017.events] == [
        "milestone", "innovation_started", "innovation_launched"]
    assert (y2017.started, y2017.launched) == (1, 1)
    assert y2018.is_empty
    assert [(e.title, e.note, e.phase) for e in y2019.events] == [
        ("Tanpa tatap muka", "Antrean daring", "wbbm")]


def test_numbers_come_only_from_what_sources_give():
    bare = assemble(milestones=[MilestoneInput(1, K.PENCANANGAN, date(2017, 2, 14))])
    assert not bare.has_survey_source and not bare.has_lke_source
    assert all(not y.surveys and not y.scores for y in bare.years)

    t = assemble(
        milestones=[MilestoneInput(1, K.PENCANANGAN, date(2017, 2, 14))],
        survey_points=[
            SurveyPoint(date(2018, 6, 30), "ikm", Decimal("82.10")),
            SurveyPoint(date(2018, 12, 20), "ikm", Decimal("86.45")),
            SurveyPoint(date(2018, 12, 20), "ipkp", Decimal("3.41")),
        ],
        lke_scores=[LkeScore(date(2018, 4, 30), Decimal("78.52"), "tpi")],
        has_survey_source=True, has_lke_source=True,
    )
    y2018 = t.years[1]
    assert [(p.name, p.value) for p in y2018.surveys] == [
        ("IKM", Decimal("82.10")), ("IKM", Decimal("86.45")), ("IPKP", Decimal("3.41"))]
    # the year's summary keeps the last result of each instrument
    assert [(p.name, p.value) for p in y2018.latest_surveys] == [
        ("IKM", Decimal("86.45")), ("IPKP", Decimal("3.41"))]
    assert y2018.latest_score.total == Decimal("78.52")
    assert y2018.latest_score.assessor.id == "Tim Penilai Internal (TPI)"


def test_nothing_recorded_is_an_empty_timeline():
    t = assemble(milestones=[])
    assert t.is_empty and t.years == ()
    assert all(not s.reached for s in t.road) and t.road[0].current
