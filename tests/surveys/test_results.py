"""Indices through the services, against numbers worked out by hand (PermenPANRB 14/2017)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sqlmodel import func, select

from app.domain.surveys.indices import ElementTally
from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from app.services.surveys import review as survey_review
from tests.factories import principal

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]
P = [f"P{n}" for n in range(1, 9)]
A = [f"A{n}" for n in range(1, 6)]

# Three respondents, elements U1..U9.
R1 = (4, 3, 3, 2, 4, 4, 3, 3, 1)
R2 = (3, 3, 4, 2, 4, 3, 3, 4, 2)
R3 = (4, 4, 3, 3, 4, 4, 2, 3, 2)


def ikm_answers(values):
    return {(IKM, code): v for code, v in zip(U, values, strict=True)}


def test_three_respondents_by_hand(db, make_campaign):
    campaign = make_campaign(population=100)
    for r in (R1, R2, R3):
        survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(r))
    res = survey_results.campaign_results(db, campaign=campaign)
    ikm = res.result("ikm").ikm
    # Column totals: U1 4+3+4=11, U2 10, U3 10, U4 7, U5 12, U6 11, U7 8, U8 10, U9 5.
    assert [e.nrr for e in ikm.elements] == [Fraction(t, 3) for t in (11, 10, 10, 7, 12, 11, 8, 10, 5)]
    # Sum of NRRs = 84/3 = 28; mean = 28/9; IKM = 28/9 x 25 = 700/9 = 77.777...
    assert ikm.nrr_mean == Fraction(28, 9)
    assert ikm.ikm == Fraction(700, 9)
    assert ikm.ikm_shown == Decimal("77.78")
    assert ikm.grade.letter == "B"  # 76.61-88.30
    assert ikm.priority == "U9"  # 5/3, the lowest NRR
    assert res.respondents == 3
    assert res.minimum_sample == 80  # Krejcie-Morgan, N = 100
    assert not res.sample_reached


def test_all_fours_is_100_grade_a(db, make_campaign):
    campaign = make_campaign()
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers((4,) * 9))
    ikm = survey_results.campaign_results(db, campaign=campaign).result("ikm").ikm
    assert ikm.ikm == 100 and ikm.grade.letter == "A"


def test_suspect_kept_but_left_out_until_included(db, world, make_campaign):
    campaign = make_campaign()
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers((4,) * 9))
    suspect = survey_responses.record_response(
        db, campaign=campaign, answers=ikm_answers((1,) * 9), suspect_reasons=["too_fast"]
    )
    res = survey_results.campaign_results(db, campaign=campaign)
    assert res.result("ikm").ikm.ikm == 100
    assert (res.respondents, res.stored, res.suspect_pending, res.excluded) == (1, 2, 1, 1)
    # Included on review: mean of 4 and 1 per element = 5/2, IKM = 62.5 (grade D).
    coord = principal(db, world, "coord_a1")
    survey_review.review_response(db, actor=coord, response_id=suspect.id, decision="include")
    res = survey_results.campaign_results(db, campaign=campaign)
    assert res.result("ikm").ikm.ikm == Fraction(125, 2)
    assert res.result("ikm").ikm.grade.letter == "D"
    assert (res.respondents, res.suspect_pending, res.excluded) == (2, 0, 0)
    assert db.exec(select(func.count()).select_from(SurveyResponse)).one() == 2


def test_perception_and_services(db, world, make_campaign):
    campaign = make_campaign(instruments=("ikm-2017", "spkp", "spak"))
    a = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-A1"), code="sp2d",
                               name="Pencairan dana")
    b = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-A1"), code="konsul",
                               name="Konsultasi")

    def answers(ikm_v, p, s):
        out = ikm_answers((ikm_v,) * 9)
        out.update({("spkp", c): p for c in P})
        out.update({("spak", c): s for c in A})
        return out

    survey_responses.record_response(db, campaign=campaign, answers=answers(4, 4, 3), service_id=a.id)
    survey_responses.record_response(db, campaign=campaign, answers=answers(3, 2, 3), service_id=b.id)
    res = survey_results.campaign_results(db, campaign=campaign)
    spkp = res.result("spkp").perception
    # SPKP on 1-4: (4 + 2) / 2 = 3 per item, index 3, on 1-4 the same.
    assert spkp.index == 3 and spkp.index_1_4 == 3
    assert res.result("spak").perception.index == 3
    by_service = {row.name: row for row in res.services}
    assert by_service["Pencairan dana"].results[0].ikm.ikm == 100
    assert by_service["Konsultasi"].results[0].ikm.ikm == 75
    assert by_service["Konsultasi"].respondents == 1
    one = survey_results.campaign_results(db, campaign=campaign, service_id=b.id)
    assert one.result("spkp").perception.index == 2
    years = survey_results.year_indices(db, unit_id=world.unit("UNIT-A1"), year=2019)
    assert years["spkp"][0].value_1_4 == 3 and years["spkp"][0].campaign_id == campaign.id
    assert years["ikm"][0].value_1_4 == Fraction(7, 2)
    assert db.exec(select(func.count()).select_from(SurveyAnswer)).one() == 2 * (9 + 8 + 5)


def test_trend_over_periods(db, world, make_campaign):
    first = make_campaign(label="2018-S2")
    second = make_campaign(label="2019-S1")
    survey_responses.record_response(db, campaign=second, answers=ikm_answers((4,) * 9))
    survey_responses.record_response(db, campaign=first, answers=ikm_answers((3,) * 9))
    rows = survey_results.unit_trend(db, unit_id=world.unit("UNIT-A1"), kind="ikm")
    assert [r.period for r in rows] == ["2018-S2", "2019-S1"]
    assert [r.result.value for r in rows] == [75, 100]
    assert rows[1].step.change == 25 and rows[1].step.direction == "up"


def test_latest_headline_is_the_last_trend_row(db, world, make_campaign):
    """The dashboard's headline computes only the last two campaigns with answers; it is
    the trend's last row. IKM = mean NRR x 25: all 3s -> 75, all 4s -> 100, all 2s -> 50."""
    unit_id = world.unit("UNIT-A1")
    assert survey_results.latest_headline(db, unit_id=unit_id) == {}
    oldest = make_campaign(label="2017-S2")
    make_campaign(label="2019-S2")  # latest period, no answers yet: not a trend row
    survey_responses.record_response(db, campaign=oldest, answers=ikm_answers((3,) * 9))
    one = survey_results.latest_headline(db, unit_id=unit_id)["ikm"]
    assert (one.campaign.id, one.result.value, one.step.previous, one.step.change) == (
        oldest.id, 75, None, None)
    middle = make_campaign(label="2018-S2")
    latest = make_campaign(label="2019-S1")
    survey_responses.record_response(db, campaign=middle, answers=ikm_answers((4,) * 9))
    survey_responses.record_response(db, campaign=latest, answers=ikm_answers((2,) * 9))
    head = survey_results.latest_headline(db, unit_id=unit_id)
    assert set(head) == {"ikm"}
    row = head["ikm"]
    assert (row.campaign.id, row.period, row.result.value) == (latest.id, "2019-S1", 50)
    assert (row.step.previous, row.step.change, row.step.direction) == (100, -50, "down")
    assert row == survey_results.unit_trend(db, unit_id=unit_id, kind="ikm")[-1]
    # The same period twice: still compared in order (label#campaign as the trend does).
    again = make_campaign(label="2019-S1", title="Survei ulang")
    survey_responses.record_response(db, campaign=again, answers=ikm_answers((3,) * 9))
    row = survey_results.latest_headline(db, unit_id=unit_id)["ikm"]
    assert (row.campaign.id, row.result.value, row.step.change) == (again.id, 75, 25)
    assert row == survey_results.unit_trend(db, unit_id=unit_id, kind="ikm")[-1]


def _from_answers(db, campaign) -> dict[str, Fraction]:
    """kind -> index of the campaign worked out again from its stored answers (a GROUP BY
    over survey_answer, not the running totals the services read)."""
    a = SurveyAnswer.__table__.c
    found: dict[str, list] = {}
    for inst, item, total, count in db.execute(
        select(a.instrument_code, a.item_code, func.sum(a.value), func.count())
        .where(a.campaign_id == campaign.id, a.reportable == True)  # noqa: E712
        .group_by(a.instrument_code, a.item_code)
    ):
        found.setdefault(inst, []).append(ElementTally(item, int(total), int(count)))
    out = {}
    for instrument in survey_campaigns.instruments_of(db, campaign):
        result = survey_results.instrument_result(instrument, found.get(instrument.code))
        if result.has_data:
            out[instrument.kind] = result.value
    return out


def test_headline_and_year_indices_follow_every_submit_and_review(db, world, make_campaign):
    """The dashboard headline and the LKE's year indices read the running item totals over
    every service: after each submit and review they give the hand-worked index and equal a
    recomputation from the stored answers."""
    unit_id = world.unit("UNIT-A1")
    campaign = make_campaign(label="2019-S1")
    a = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="sp2d",
                                        name="Pencairan dana")
    b = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="konsul",
                                        name="Konsultasi")

    def check(expected_ikm: Fraction, respondents: int, priority: str) -> None:
        head = survey_results.latest_headline(db, unit_id=unit_id)["ikm"]
        year = survey_results.year_indices(db, unit_id=unit_id, year=2019)["ikm"]
        assert (head.result.value, head.respondents, head.result.priority) == (
            expected_ikm, respondents, priority)
        assert [(y.campaign_id, y.value, y.value_1_4, y.respondents) for y in year] == [
            (campaign.id, expected_ikm, expected_ikm / 25, respondents)]
        assert _from_answers(db, campaign) == {"ikm": expected_ikm}

    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(R1),
                                     service_id=a.id)
    # One respondent: NRRs are R1 itself, sum 27, mean 3, IKM 75; U9 (1) is the weakest.
    check(Fraction(75), 1, "U9")
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(R2),
                                     service_id=a.id)
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(R3),
                                     service_id=b.id)
    # The three respondents worked out above, two services together: IKM 700/9.
    check(Fraction(700, 9), 3, "U9")
    suspect = survey_responses.record_response(
        db, campaign=campaign, answers=ikm_answers((1,) * 9), service_id=None,
        suspect_reasons=["too_fast"],
    )
    check(Fraction(700, 9), 3, "U9")  # pending review: not counted
    coord = principal(db, world, "coord_a1")
    survey_review.review_response(db, actor=coord, response_id=suspect.id, decision="include")
    # Column totals + 1 each: 12, 11, 11, 8, 13, 12, 9, 11, 6 = 93 over 4 answers per element;
    # mean NRR 93/36 = 31/12, IKM 775/12 = 64.58; U9 (6/4) still the weakest.
    check(Fraction(775, 12), 4, "U9")
    survey_review.review_response(db, actor=coord, response_id=suspect.id, decision="exclude")
    check(Fraction(700, 9), 3, "U9")


def test_results_from_the_running_counts_equal_those_from_the_answers(db, world, make_campaign):
    """A campaign's results read from the running counts (item totals, respondent counts)
    equal the same results grouped from the stored answers and responses themselves (the
    source-filter path, every response carrying the one source): over all services, per
    service, by profile, after submits and reviews."""
    unit_id = world.unit("UNIT-A1")
    campaign = make_campaign(instruments=("ikm-2017", "spkp"))
    survey_catalogue.create_source(db, actor=None, campaign_id=campaign.id, tag="loket",
                                   label="Loket")
    a = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="sp2d",
                                        name="Pencairan dana")
    b = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="konsul",
                                        name="Konsultasi")

    def submit(values, service, gender, spkp, suspect=False):
        answers = ikm_answers(values) | {("spkp", c): spkp for c in P}
        return survey_responses.record_response(
            db, campaign=campaign, answers=answers, service_id=service, source="loket",
            profile={"gender": gender}, suspect_reasons=["too_fast"] if suspect else [])

    submit(R1, a.id, "L", 4)
    submit(R2, a.id, "P", 3)
    submit(R3, None, "P", 2)
    included = submit((1,) * 9, b.id, "L", 1, suspect=True)
    excluded = submit((4,) * 9, b.id, "P", 4, suspect=True)
    submit((2,) * 9, b.id, "L", 2, suspect=True)  # left pending
    coord = principal(db, world, "coord_a1")
    survey_review.review_response(db, actor=coord, response_id=included.id, decision="include")
    survey_review.review_response(db, actor=coord, response_id=excluded.id, decision="exclude")

    def seen(res):
        return ([(r.code, r.value, r.elements, r.priority) for r in res.instruments],
                res.respondents, res.stored, res.suspect_pending, res.excluded,
                [(s.service_id, s.name, s.respondents, [r.value for r in s.results])
                 for s in res.services],
                [(p.code, p.groups, p.unanswered) for p in res.profile])

    counted = survey_results.campaign_results(db, campaign=campaign)
    assert seen(counted) == seen(survey_results.campaign_results(
        db, campaign=campaign, source="loket"))
    # By hand: R1, R2, R3 and the included all-1s count (4 respondents); 6 stored, one pending,
    # two not counted. SPKP items: (4 + 3 + 2 + 1) / 4 = 5/2 each.
    assert (counted.respondents, counted.stored, counted.suspect_pending, counted.excluded) == (
        4, 6, 1, 2)
    assert counted.result("spkp").value == Fraction(5, 2)
    assert [(s.name, s.respondents) for s in counted.services] == [
        ("Konsultasi", 1), ("Pencairan dana", 2), ("Tanpa jenis layanan", 1)]
    gender = next(p for p in counted.profile if p.code == "gender")
    assert [(s.code, s.count) for _label, s in gender.groups] == [("L", 2), ("P", 2)]
    for service in (a.id, b.id):
        assert seen(survey_results.campaign_results(db, campaign=campaign, service_id=service)) \
            == seen(survey_results.campaign_results(db, campaign=campaign, service_id=service,
                                                    source="loket"))
