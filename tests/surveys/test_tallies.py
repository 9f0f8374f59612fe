"""The running tallies equal a count of the reportable answers after every kind of change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import delete, func, select

from app.domain.surveys.guard import GuardPolicy
from app.models.surveys.records import (
    ALL_SERVICES,
    NO_SERVICE,
    SurveyAnswer,
    SurveyItemTotal,
    SurveyRespondentTally,
    SurveyResponse,
    SurveyTally,
)
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import intake as survey_intake
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from app.services.surveys import review as survey_review
from app.services.surveys import tallies as survey_tallies

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]
OPEN = GuardPolicy(min_fill_seconds=0, flag_after=10**6, refuse_after=10**6)


def ikm_answers(*values: int) -> dict[tuple[str, str], int]:
    return {(IKM, code): v for code, v in zip(U, values, strict=True)}


def tally_table(db) -> dict[tuple, int]:
    """survey_tally without the zero rows a reversal may leave."""
    db.expire_all()
    t = SurveyTally.__table__.c
    return {
        (c, s, i, item, v): n
        for c, s, i, item, v, n in db.execute(select(
            t.campaign_id, t.service_key, t.instrument_code, t.item_code, t.value, t.answers))
        if n
    }


def counted_from_answers(db) -> dict[tuple, int]:
    a = SurveyAnswer.__table__.c
    service = func.coalesce(a.service_id, NO_SERVICE)
    rows = db.execute(
        select(a.campaign_id, service, a.instrument_code, a.item_code, a.value, func.count())
        .where(a.reportable == True)  # noqa: E712
        .group_by(a.campaign_id, service, a.instrument_code, a.item_code, a.value)
    )
    return {(c, s, i, item, v): n for c, s, i, item, v, n in rows}


def item_total_table(db) -> dict[tuple, tuple[int, int]]:
    """survey_item_total (answers, sum of values) without the zero rows."""
    db.expire_all()
    t = SurveyItemTotal.__table__.c
    return {
        (c, s, i, item): (n, total)
        for c, s, i, item, n, total in db.execute(select(
            t.campaign_id, t.service_key, t.instrument_code, t.item_code, t.answers,
            t.value_total))
        if n or total
    }


def item_totals_from_answers(db) -> dict[tuple, tuple[int, int]]:
    """The item totals worked out from the stored answers one by one: per service and for
    every service of the campaign (ALL_SERVICES)."""
    out: dict[tuple, tuple[int, int]] = {}
    for (a,) in db.execute(select(SurveyAnswer).where(SurveyAnswer.reportable == True)):  # noqa: E712
        service = NO_SERVICE if a.service_id is None else a.service_id
        for key in ((a.campaign_id, service, a.instrument_code, a.item_code),
                    (a.campaign_id, ALL_SERVICES, a.instrument_code, a.item_code)):
            n, total = out.get(key, (0, 0))
            out[key] = (n + 1, total + a.value)
    return out


def respondent_table(db) -> dict[tuple, int]:
    db.expire_all()
    t = SurveyRespondentTally.__table__.c
    return {
        (c, s, st, f, o): n
        for c, s, st, f, o, n in db.execute(select(
            t.campaign_id, t.service_key, t.state, t.profile_field, t.profile_option,
            t.respondents))
        if n
    }


def counted_from_responses(db) -> dict[tuple, int]:
    """The respondent counts worked out from the stored responses, one by one."""
    db.expire_all()
    out: dict[tuple, int] = {}
    for (r,) in db.execute(select(SurveyResponse)).all():
        state = 0 if r.reportable else (1 if r.suspect and r.review_decision is None else 2)
        service = NO_SERVICE if r.service_id is None else r.service_id
        keys = [(r.campaign_id, service, state, "", "")]
        keys += [(r.campaign_id, service, state, f, o) for f, o in (r.profile or {}).items() if o]
        for key in keys:
            out[key] = out.get(key, 0) + 1
    return out


def test_two_responses_give_the_hand_counted_tallies(db, make_campaign):
    campaign = make_campaign()
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(4, 3, 3, 2, 4, 4, 3, 3, 1))
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(4, 4, 3, 2, 1, 4, 3, 2, 1))
    c, none = campaign.id, NO_SERVICE
    assert tally_table(db) == {
        (c, none, IKM, "U1", 4): 2,
        (c, none, IKM, "U2", 3): 1, (c, none, IKM, "U2", 4): 1,
        (c, none, IKM, "U3", 3): 2,
        (c, none, IKM, "U4", 2): 2,
        (c, none, IKM, "U5", 4): 1, (c, none, IKM, "U5", 1): 1,
        (c, none, IKM, "U6", 4): 2,
        (c, none, IKM, "U7", 3): 2,
        (c, none, IKM, "U8", 3): 1, (c, none, IKM, "U8", 2): 1,
        (c, none, IKM, "U9", 1): 2,
    }
    # U5: (4 + 1) / 2 answers, read back through the results service.
    [u5] = [t for t in survey_results.tallies(db, campaign_ids=[c])[IKM] if t.code == "U5"]
    assert (u5.total, u5.count) == (5, 2)
    # The item totals the roll-ups read: U5 answered 4 and 1, U2 4 and 3, U9 1 and 1.
    totals = item_total_table(db)
    assert totals[(c, none, IKM, "U5")] == totals[(c, ALL_SERVICES, IKM, "U5")] == (2, 5)
    assert totals[(c, none, IKM, "U2")] == (2, 7) and totals[(c, none, IKM, "U9")] == (2, 2)
    assert len(totals) == 2 * 9


def test_suspect_answers_count_only_once_included_and_review_is_not_counted_twice(
    db, make_campaign, world
):
    campaign = make_campaign()
    service = survey_catalogue.create_service(db, actor=None, unit_id=campaign.unit_id, code="PENC",
                                     name="Pencairan dana")
    survey_responses.record_response(db, campaign=campaign, answers=ikm_answers(4, 4, 4, 4, 4, 4, 4, 4, 4),
                            service_id=service.id)
    suspect = survey_responses.record_response(
        db, campaign=campaign, answers=ikm_answers(1, 1, 1, 1, 1, 1, 1, 1, 1),
        service_id=service.id, suspect_reasons=["terlalu_cepat"],
    )
    key = (campaign.id, service.id, IKM, "U1")
    assert tally_table(db).get((*key, 1)) is None and tally_table(db)[(*key, 4)] == 1

    # One counted (state 0), one pending review (state 1).
    assert respondent_table(db) == {(campaign.id, service.id, 0, "", ""): 1,
                                    (campaign.id, service.id, 1, "", ""): 1}
    for decision, expected_ones, states in [
        ("include", 1, {0: 2}), ("include", 1, {0: 2}), ("exclude", None, {0: 1, 2: 1}),
        ("exclude", None, {0: 1, 2: 1}), ("include", 1, {0: 2}),
    ]:
        survey_review.review_response(db, actor=None, response_id=suspect.id, decision=decision)
        assert tally_table(db).get((*key, 1)) == expected_ones, decision
        assert tally_table(db) == counted_from_answers(db)
        assert item_total_table(db) == item_totals_from_answers(db)
        assert respondent_table(db) == {
            (campaign.id, service.id, state, "", ""): n for state, n in states.items()}
        assert respondent_table(db) == counted_from_responses(db)


def test_profile_answers_are_counted_per_option_and_move_on_review(db, make_campaign):
    campaign = make_campaign()
    c, none = campaign.id, NO_SERVICE
    for gender, age in [("L", "20-29"), ("P", "20-29"), ("P", None)]:
        profile = {"gender": gender} | ({"age_group": age} if age else {})
        survey_responses.record_response(db, campaign=campaign, profile=profile,
                                answers=ikm_answers(3, 3, 3, 3, 3, 3, 3, 3, 3))
    assert respondent_table(db) == {
        (c, none, 0, "", ""): 3,
        (c, none, 0, "gender", "L"): 1, (c, none, 0, "gender", "P"): 2,
        (c, none, 0, "age_group", "20-29"): 2,
    }
    last = db.execute(select(SurveyResponse).order_by(SurveyResponse.id.desc())).scalars().first()
    survey_review.review_response(db, actor=None, response_id=last.id, decision="exclude")
    assert respondent_table(db) == {
        (c, none, 0, "", ""): 2, (c, none, 2, "", ""): 1,
        (c, none, 0, "gender", "L"): 1, (c, none, 0, "gender", "P"): 1,
        (c, none, 2, "gender", "P"): 1, (c, none, 0, "age_group", "20-29"): 2,
    }
    results = survey_results.campaign_results(db, campaign=campaign)
    assert (results.respondents, results.stored, results.excluded) == (2, 3, 1)


async def test_the_intake_writer_and_an_api_batch_keep_the_tallies(engine, db, make_campaign):
    campaign = make_campaign()
    writer = survey_intake.IntakeWriter(engine)
    submissions = [
        survey_intake.Submission(
            campaign_id=campaign.id,
            checked=survey_responses.CheckedSubmission(
                answers=[(IKM, u, 1 + (n + k) % 4) for k, u in enumerate(U)], service_id=None,
                source_tag=None, profile=None, suggestion=None),
            meta=survey_responses.ResponseMeta(ip_hash="a" * 64, device_hash="d" * 64, fill_seconds=40),
            submitted_at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC), policy=OPEN,
            honeypot=n == 3,  # one suspect: stored, not counted
        )
        for n in range(7)
    ]

    try:
        await asyncio.gather(*(writer.submit(s) for s in submissions))
    finally:
        writer.close()
    batch = [survey_responses.BatchItem(answers=ikm_answers(2, 2, 2, 2, 2, 2, 2, 2, 2),
                               idempotency_key=f"kiosk-{n}") for n in range(3)]
    survey_responses.record_batch(db, actor=None, campaign=campaign, items=batch)
    survey_responses.record_batch(db, actor=None, campaign=campaign, items=batch)  # a retry: no change
    table = tally_table(db)
    assert table == counted_from_answers(db)
    assert item_total_table(db) == item_totals_from_answers(db)
    assert respondent_table(db) == counted_from_responses(db)
    # 6 counted web responses and 3 API ones; the honeypot one waits for review.
    assert respondent_table(db) == {(campaign.id, NO_SERVICE, 0, "", ""): 9,
                                    (campaign.id, NO_SERVICE, 1, "", ""): 1}
    # 6 reportable web responses + 3 API ones answered U1; the suspect one is left out.
    assert sum(n for (c, s, i, item, v), n in table.items() if item == "U1") == 9
    assert table[(campaign.id, NO_SERVICE, IKM, "U1", 2)] == 3 + 2  # API 2s + web n=1, n=5


def test_recount_rebuilds_lost_tallies(db, make_campaign):
    first, second = make_campaign(), make_campaign(label="2019-S2")
    for campaign in (first, second):
        survey_responses.record_response(db, campaign=campaign,
                                answers=ikm_answers(4, 3, 3, 2, 4, 4, 3, 3, 1))
    before = tally_table(db), respondent_table(db)
    totals = item_total_table(db)
    assert totals == item_totals_from_answers(db)
    db.execute(delete(SurveyTally).where(SurveyTally.campaign_id == first.id))
    db.execute(delete(SurveyItemTotal))
    db.execute(delete(SurveyRespondentTally))
    db.commit()
    assert (tally_table(db), respondent_table(db)) != before
    survey_tallies.recount(db, campaign_ids=[first.id])
    db.commit()
    assert tally_table(db) == before[0]
    assert respondent_table(db) == {k: n for k, n in before[1].items() if k[0] == first.id}
    assert item_total_table(db) == {k: v for k, v in totals.items() if k[0] == first.id}
    survey_tallies.recount(db)
    db.commit()
    assert (tally_table(db), respondent_table(db)) == before
    assert item_total_table(db) == totals
