"""Answers held by the public form's batch writer (the crowd's path) reach the outbox in the
same transaction: one event per campaign and batch, naming the held responses."""

from __future__ import annotations

from sqlmodel import select

from app.domain.surveys.guard import GuardPolicy, Reason
from app.models.surveys.records import SurveyResponse
from app.services.surveys import intake as survey_intake
from app.services.webhooks import events, subscriptions
from app.services.webhooks.subscriptions import SubscriptionInput
from tests.support.survey_forms import make_campaign, make_unit
from tests.surveys.test_intake import submission, submit_all
from tests.webhooks.conftest import verified


async def test_a_burst_held_by_the_batch_writer_is_one_event(engine, db, receiver, sender):
    unit = make_unit(db)
    campaign = make_campaign(db, unit)
    sub = subscriptions.create(db, actor=None, unit_id=campaign.unit_id, data=SubscriptionInput(
        url=receiver.url, events=[events.SURVEY_ANSWERS_HELD], allow_private=True))
    writer = survey_intake.IntakeWriter(engine)
    policy = GuardPolicy(min_fill_seconds=0, window_seconds=600, flag_after=3,
                         refuse_after=10)
    # one address, five answers: the 4th and 5th are above flag_after and held
    results = await submit_all(writer, [
        submission(campaign, [4] * 9, ip="b" * 64, policy=policy, suggestion=str(n))
        for n in range(5)])
    writer.close()
    assert writer.batches == 1
    held = [r.id for r in results if r.suspect]
    assert len(held) == 2
    sender.run_once()
    assert len(receiver.received) == 1
    body = verified(sub, receiver.received[0])
    assert body["type"] == "survey.answers_held"
    assert body["data"] == {"unit_id": campaign.unit_id, "campaign_id": campaign.id,
                            "count": 2, "response_ids": held,
                            "reasons": [Reason.ip_burst.value]}
    db.expire_all()
    assert {r.id for r in db.exec(select(SurveyResponse).where(
        SurveyResponse.suspect)).all()} == set(held)
