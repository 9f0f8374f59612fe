"""Survey responses and campaign closing through the services, for the integration tests."""

from __future__ import annotations

from datetime import UTC, datetime, time

from app.services.integration import lke_from_surveys
from app.services.surveys import responses as survey_responses
from tests.factories import principal

IKM = "ikm-2017"
SPKP = "spkp"
SPAK = "spak"
U = [f"U{n}" for n in range(1, 10)]
P = [f"P{n}" for n in range(1, 9)]
A = [f"A{n}" for n in range(1, 6)]


def answers(*, ikm=None, spkp=None, spak=None) -> dict:
    out = {}
    for code, items, values in ((IKM, U, ikm), (SPKP, P, spkp), (SPAK, A, spak)):
        if values is not None:
            out.update({(code, item): v for item, v in zip(items, values, strict=True)})
    return out


def respond(db, campaign, **kwargs):
    service_id = kwargs.pop("service_id", None)
    moment = datetime.combine(campaign.opens_on, time(5, 0), tzinfo=UTC)  # 12:00 in Jakarta
    return survey_responses.record_response(db, campaign=campaign, answers=answers(**kwargs),
                                   service_id=service_id, now=moment)


def close(db, world, campaign, who="coord_a1"):
    return lke_from_surveys.close_campaign(db, actor=principal(db, world, who),
                                           campaign_id=campaign.id)
