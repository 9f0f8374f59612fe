"""Every event reaches a real local receiver once, signed (checked with the reference
implementation of Standard Webhooks), with the data it names; events of units a
subscription does not cover are not sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlmodel import select

from app.domain.lke import review as rv
from app.models.webhooks import WebhookDelivery, WebhookMessage
from app.services.integration import lke_from_surveys
from app.services.lke import answers, assessments, frameworks, review, submission
from app.services.surveys import responses as survey_responses
from app.services.webhooks import events
from tests.factories import issue_token, principal
from tests.support.lke_answers import BEST_NUMERIC, WORST_NUMERIC
from tests.support.lke_review import new_assessment
from tests.webhooks.conftest import verified


def _bodies(sub, receiver) -> list[dict]:
    return [verified(sub, r) for r in receiver.received]


def test_review_chain_events_each_once_and_signed(db, world, receiver, sender, subscribe):
    frameworks.sync_bundled(db)
    a = new_assessment(db, world, complete=True)  # before the subscription: not reported
    sub = subscribe(receiver.url, events=[events.ASSESSMENT_SUBMITTED, events.ASSESSMENT_RETURNED,
                                          events.ASSESSMENT_ACCEPTED, events.ASSESSMENT_FINAL])
    coord = principal(db, world, "coord_a1")
    kanwil = principal(db, world, "reviewer_a")
    tpi = principal(db, world, "tpi")
    submission.submit(db, actor=coord, assessment_id=a.id)
    review.decide(db, actor=kanwil, assessment_id=a.id, decision=rv.RETURN, changes=[
        review.DraftChange(ref="PPA1B", option="C", flagged=True, note="Lengkapi")])
    submission.submit(db, actor=coord, assessment_id=a.id)
    review.decide(db, actor=kanwil, assessment_id=a.id, decision=rv.ACCEPT, changes=[
        review.DraftChange(ref="PPA1B", flagged=False, note="")])
    review.decide(db, actor=tpi, assessment_id=a.id, decision=rv.ACCEPT)

    assert sender.run_once() == 6
    assert sender.run_once() == 0  # nothing twice
    bodies = _bodies(sub, receiver)
    assert [(b["type"], b["data"]["status"]) for b in bodies] == [
        ("assessment.submitted", "submitted"),
        ("assessment.returned", "returned"),
        ("assessment.submitted", "submitted"),
        ("assessment.accepted", "in_review"),   # regional accepts: on to the TPI
        ("assessment.accepted", "final"),       # the TPI accepts: the last level
        ("assessment.final", "final"),
    ]
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(set(ids)) == 6 and all(i.startswith("msg_") for i in ids)
    assert all(b["data"]["assessment_id"] == a.id and b["data"]["unit_id"] == world.unit("UNIT-A1")
               for b in bodies)
    assert [b["data"].get("round") for b in bodies if b["type"] == "assessment.submitted"] == [1, 2]
    assert bodies[1]["data"]["level"] == "regional" and bodies[1]["data"]["flagged"] == ["PPA1B"]
    assert bodies[5]["data"]["level"] == "tpi"
    assert all(b["timestamp"].endswith("Z") for b in bodies)
    for r in receiver.received:
        assert r.headers["content-type"] == "application/json"
        assert r.headers["webhook-signature"].startswith("v1,")
    db.expire_all()
    assert {d.status for d in db.exec(select(WebhookDelivery)).all()} == {"succeeded"}


def _all(fw, numeric) -> list[answers.AnswerChange]:
    out = []
    for q in fw.questions():
        if q.options:
            out.append(answers.AnswerChange(ref=q.ref, option=q.option_codes[
                0 if numeric is BEST_NUMERIC else -1]))
        elif q.is_index:
            out.append(answers.AnswerChange(ref=q.ref, index="4" if numeric is BEST_NUMERIC
                                            else "1"))
        else:
            out.append(answers.AnswerChange(ref=q.ref, inputs=numeric[q.ref]))
    return out


def test_verdict_changed_only_when_it_flips(db, world, receiver, sender, subscribe):
    frameworks.sync_bundled(db)
    sub = subscribe(receiver.url, events=[events.VERDICT_CHANGED])
    coord = principal(db, world, "coord_a1")
    a = assessments.create(db, actor=coord, unit_id=world.unit("UNIT-A1"), year=2025,
                           target="WBK")
    fw = assessments.framework_of(db, a)
    # one answer of an empty worksheet: still far from WBK, nothing to report
    answers.answer(db, actor=coord, assessment_id=a.id, ref="PPA1A", option="Ya")
    # every answer at its best (value 1 each, 100 in all): WBK is met
    answers.answer_many(db, actor=coord, assessment_id=a.id, changes=_all(fw, BEST_NUMERIC))
    # every answer at its worst (value 0 each): not met any more
    answers.answer_many(db, actor=coord, assessment_id=a.id, changes=_all(fw, WORST_NUMERIC))
    # clearing an answer of a failing worksheet changes nothing
    answers.clear_answer(db, actor=coord, assessment_id=a.id, ref="PPA1A")

    sender.run_once()
    bodies = _bodies(sub, receiver)
    assert [(b["type"], b["data"]["previously_passed"], b["data"]["passed"]) for b in bodies] == [
        ("assessment.verdict_changed", False, True),
        ("assessment.verdict_changed", True, False),
    ]
    assert bodies[0]["data"]["target"] == "WBK" and bodies[0]["data"]["reasons"] == []
    assert bodies[1]["data"]["reasons"]  # why it fails, in Indonesian


def test_campaign_closed_and_answers_held(db, world, receiver, sender, subscribe, campaign):
    sub = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED, events.SURVEY_ANSWERS_HELD])
    c = campaign()
    moment = datetime.combine(c.opens_on, time(5, 0), tzinfo=UTC)
    values = {("ikm-2017", f"U{n}"): 4 for n in range(1, 10)}
    values.update({("spkp", f"P{n}"): 4 for n in range(1, 9)})
    values.update({("spak", f"A{n}"): 4 for n in range(1, 6)})
    clean = survey_responses.record_response(db, campaign=c, answers=values, now=moment)
    held = survey_responses.record_response(db, campaign=c, answers=values, now=moment,
                                            suspect_reasons=("honeypot",))
    assert not clean.suspect and held.suspect
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=c.id)
    # closing again (already closed) is no new event
    lke_from_surveys.set_campaign_status(db, actor=principal(db, world, "coord_a1"),
                                         campaign_id=c.id, status="closed")
    sender.run_once()
    bodies = _bodies(sub, receiver)
    assert [b["type"] for b in bodies] == ["survey.answers_held", "campaign.closed"]
    assert bodies[0]["data"] == {"unit_id": world.unit("UNIT-A1"), "campaign_id": c.id,
                                 "count": 1, "response_ids": [held.id],
                                 "reasons": ["honeypot"]}
    closed = bodies[1]["data"]
    assert closed["campaign_id"] == c.id and closed["period_label"] == "2019-S1"
    assert closed["opens_on"] == "2019-01-01" and closed["closes_on"] == "2019-06-30"
    assert closed["closed_at"].endswith("Z")


async def test_action_item_overdue_once_per_item(client, db, world, receiver, sender,
                                                 subscribe):
    sub = subscribe(receiver.url, events=[events.ACTION_ITEM_OVERDUE])
    unit = world.unit("UNIT-A1")
    token = issue_token(db, world, "UNIT-A1", ["read", "write:programme"])
    headers = {"Authorization": f"Bearer {token}"}
    for activity, due, status, progress in [("Lewat", "2018-03-01", "berjalan", 40),
                                            ("Hari ini", "2018-03-02", "belum_mulai", 0),
                                            ("Selesai lewat", "2018-02-01", "selesai", 100)]:
        r = await client.post(f"/api/v1/units/{unit}/action-items", headers=headers, json={
            "area": "manajemen_perubahan", "activity": activity, "due_on": due,
            "status": status, "progress": progress})
        assert r.status_code == 201, r.text
    # judged on 2018-03-02: only "Lewat" is overdue (due the day before, not done)
    assert sender.scan_overdue(today=date(2018, 3, 2)) == 1
    assert sender.scan_overdue(today=date(2018, 3, 2)) == 0  # once per item and due date
    # a day later "Hari ini" is overdue too; "Lewat" is not sent again
    assert sender.scan_overdue(today=date(2018, 3, 3)) == 1
    sender.run_once()
    bodies = _bodies(sub, receiver)
    assert [(b["data"]["activity"], b["data"]["due_on"], b["data"]["as_of"]) for b in bodies] \
        == [("Lewat", "2018-03-01", "2018-03-02"), ("Hari ini", "2018-03-02", "2018-03-03")]
    assert bodies[0]["data"]["progress"] == 40 and bodies[0]["data"]["status"] == "berjalan"


def test_subtree_subscription_of_an_admin(db, world, receiver, sender, subscribe, campaign):
    sub = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED], unit="KANWIL-A",
                    subtree=True)
    own = subscribe(receiver.url, events=[events.CAMPAIGN_CLOSED], unit="KANWIL-B")
    a1, b1 = campaign("UNIT-A1"), campaign("UNIT-B1")
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=a1.id)
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_b1"),
                                    campaign_id=b1.id)
    sender.run_once()
    # KANWIL-A covers UNIT-A1 below it; KANWIL-B's own subscription is not for UNIT-B1
    assert len(receiver.received) == 1
    assert verified(sub, receiver.received[0])["data"]["campaign_id"] == a1.id
    assert own.include_subtree is False


def test_no_subscription_no_outbox(db, world, campaign):
    c = campaign()
    lke_from_surveys.close_campaign(db, actor=principal(db, world, "coord_a1"),
                                    campaign_id=c.id)
    assert db.exec(select(WebhookMessage)).all() == []
