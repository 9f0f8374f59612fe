"""Integration tests: the bundled survey instruments (reference data) and LKE framework."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlmodel import Session

from app.services.integration import lke_from_surveys
from app.services.lke import assessments, frameworks
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import responses as survey_responses
from tests.conftest import KEEP_TABLES
from tests.factories import principal

KEEP_TABLES.add("survey_instrument")

IKM = "ikm-2017"
SPKP = "spkp"
SPAK = "spak"
U = [f"U{n}" for n in range(1, 10)]
P = [f"P{n}" for n in range(1, 9)]
A = [f"A{n}" for n in range(1, 6)]


@pytest.fixture(scope="session", autouse=True)
def _instruments(engine):
    with Session(engine, expire_on_commit=False) as session:
        survey_instruments.sync_bundled(session)


@pytest.fixture
def framework_row(db):
    frameworks.sync_bundled(db)
    return frameworks.latest(db)


@pytest.fixture
def assessment_2019(db, world, framework_row):
    """UNIT-A1's 2019 assessment (target WBK), empty."""
    return assessments.create(db, actor=None, unit_id=world.unit("UNIT-A1"), year=2019,
                              target="WBK")


@pytest.fixture
def make_campaign(db, world):
    """A campaign of UNIT-A1 (open) with the given instruments and period."""

    def factory(label="2019-S1", *, instruments=(IKM, SPKP, SPAK), unit="UNIT-A1",
                opens_on=None, closes_on=None, title=None, kind="semester"):
        year = int(label[:4])
        if opens_on is None:
            half = label.endswith("S2")
            opens_on = date(year, 7 if half else 1, 1)
            closes_on = date(year, 12, 31) if half else date(year, 6, 30)
        return survey_campaigns.create_campaign(
            db, actor=None, unit_id=world.unit(unit),
            data=survey_campaigns.CampaignInput(
                title=title or f"Survei {label}", instrument_codes=list(instruments),
                period_kind=kind, period_label=label, opens_on=opens_on, closes_on=closes_on,
                population=100,
            ),
        )

    return factory


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
