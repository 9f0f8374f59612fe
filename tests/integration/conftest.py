"""Integration tests: the bundled survey instruments (reference data) and LKE framework."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.services.lke import assessments, frameworks
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import instruments as survey_instruments

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
