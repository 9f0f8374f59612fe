"""Closing a survey campaign fills the LKE Hasil items through the services alone.

No page, no API and no import of either: the join is a use case called in plain sight, so it
works whatever else happens to be imported.

SPKP: two respondents answer every item 4 and 3 -> each item NRR (4+3)/2 = 3.5 -> IPKP 3.50.
SPAK: they answer every item 3 and 2 -> each item NRR 2.5 -> IPAK 2.50.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time

from sqlmodel import select

from app.models.lke.assessments import LkeAnswer
from app.models.surveys.records import SurveyCampaign
from app.services.integration import lke_from_surveys
from app.services.surveys import responses as survey_responses

SPKP_ITEMS = [f"P{n}" for n in range(1, 9)]
SPAK_ITEMS = [f"A{n}" for n in range(1, 6)]


def _respond(db, campaign, spkp: int, spak: int) -> None:
    answers = {("spkp", item): spkp for item in SPKP_ITEMS}
    answers.update({("spak", item): spak for item in SPAK_ITEMS})
    survey_responses.record_response(
        db, campaign=campaign, answers=answers, service_id=None,
        now=datetime.combine(campaign.opens_on, time(5, 0), tzinfo=UTC),
    )


def _answer(db, assessment_id: int, ref: str) -> LkeAnswer | None:
    db.expire_all()
    return db.exec(select(LkeAnswer).where(LkeAnswer.assessment_id == assessment_id,
                                           LkeAnswer.question_ref == ref)).first()


def test_closing_a_campaign_through_the_services_fills_the_lke_hasil(
    db, world, assessment_2019, make_campaign
):
    campaign = make_campaign("2019-S1", instruments=("spkp", "spak"))
    _respond(db, campaign, spkp=4, spak=3)
    _respond(db, campaign, spkp=3, spak=2)
    assert _answer(db, assessment_2019.id, "HPA1A") is None

    closed = lke_from_surveys.close_campaign(db, actor=None, campaign_id=campaign.id)

    assert closed.status == "closed"
    ipkp = _answer(db, assessment_2019.id, "HPA1A")
    ipak = _answer(db, assessment_2019.id, "HBA1A")
    assert (ipkp.index_value, ipkp.source) == ("3.50", f"survey:{campaign.id}")
    assert (ipak.index_value, ipak.source) == ("2.50", f"survey:{campaign.id}")


def test_closing_again_or_reopening_does_not_fill_again(db, world, assessment_2019,
                                                        make_campaign):
    campaign = make_campaign("2019-S1", instruments=("spkp", "spak"))
    _respond(db, campaign, spkp=4, spak=3)
    _respond(db, campaign, spkp=3, spak=2)
    lke_from_surveys.close_campaign(db, actor=None, campaign_id=campaign.id)
    assert _answer(db, assessment_2019.id, "HPA1A").index_value == "3.50"

    # a later response while reopened, then a status change that is not a close
    lke_from_surveys.set_campaign_status(db, actor=None, campaign_id=campaign.id, status="open")
    assert db.get(SurveyCampaign, campaign.id).status == "open"
    _respond(db, campaign, spkp=1, spak=2)
    assert _answer(db, assessment_2019.id, "HPA1A").index_value == "3.50"
    # closing it again is a fresh close: (4+3+1)/3 = 8/3 on every SPKP item -> 2.67
    lke_from_surveys.close_campaign(db, actor=None, campaign_id=campaign.id)
    assert _answer(db, assessment_2019.id, "HPA1A").index_value == "2.67"
    # closing a closed campaign changes nothing more
    lke_from_surveys.close_campaign(db, actor=None, campaign_id=campaign.id)
    assert _answer(db, assessment_2019.id, "HPA1A").index_value == "2.67"


def test_the_close_use_case_imports_no_face():
    """Importing the use case pulls in neither the pages nor the API."""
    code = (
        "import sys\n"
        "import app.services.integration.lke_from_surveys\n"
        "print(sorted(m for m in sys.modules if m.startswith(('app.web', 'app.api', 'app.main'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
