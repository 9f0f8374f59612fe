"""Survey tests: the bundled instruments are reference data, loaded once per run."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.surveys import campaigns as survey_campaigns
from tests.conftest import KEEP_TABLES

KEEP_TABLES.add("survey_instrument")


@pytest.fixture
def make_campaign(db, world):
    """Create an open campaign in a unit (default UNIT-A1, IKM only, open all of 2019-2099)."""

    def factory(unit_code: str = "UNIT-A1", *, instruments=("ikm-2017",), label="2019-S1",
                kind="semester", population=100, opens_on=date(2019, 1, 1),
                closes_on=date(2099, 12, 31), title="Survei uji"):
        return survey_campaigns.create_campaign(
            db, actor=None, unit_id=world.unit(unit_code),
            data=survey_campaigns.CampaignInput(
                title=title, instrument_codes=list(instruments), period_kind=kind,
                period_label=label, opens_on=opens_on, closes_on=closes_on,
                population=population,
            ),
        )

    return factory
