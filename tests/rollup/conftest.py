"""A roll-up world: UNIT-A1 (all best answers: 100, WBK met) and UNIT-A2 (nothing answered:
0) under KANWIL-A, UNIT-B1 (no 2024 assessment) under KANWIL-B; IKM campaigns of 2024 in
A1 and B1 with two service types; innovations at three stages."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.lke import answers as lke_answers
from app.services.lke import assessments, frameworks
from app.services.programme import innovations
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from tests.support.lke_answers import all_max
from tests.support.survey_responses import IKM, respond


def _campaign(db, unit_id):
    return survey_campaigns.create_campaign(
        db, actor=None, unit_id=unit_id, data=survey_campaigns.CampaignInput(
            title="Survei 2024-S1", instrument_codes=[IKM], period_kind="semester",
            period_label="2024-S1", opens_on=date(2024, 1, 1), closes_on=date(2024, 6, 30),
            population=100))


@pytest.fixture
def rollup_world(db, world):
    frameworks.sync_bundled(db)
    fw = frameworks.parsed(frameworks.latest(db))
    a1 = assessments.create(db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024,
                            target="WBK")
    lke_answers.answer_many(db, actor=None, assessment_id=a1.id, changes=[
        lke_answers.AnswerChange(ref, option=a.option, inputs=a.inputs, index=a.index)
        for ref, a in all_max(fw).items()])
    a2 = assessments.create(db, actor=None, unit_id=world.unit("UNIT-A2"), year=2024,
                            target="WBK")
    # B1 assessed in 2023 only: at "not started" in 2024.
    assessments.create(db, actor=None, unit_id=world.unit("UNIT-B1"), year=2023, target="WBK")

    sp2d_a1 = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-A1"),
                                              code="SP2D", name="Pencairan dana").id
    sp2d_b1 = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-B1"),
                                              code="SP2D", name="Pencairan dana").id
    kons_b1 = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-B1"),
                                              code="KONS", name="Konsultasi").id
    c_a1 = _campaign(db, world.unit("UNIT-A1"))
    c_b1 = _campaign(db, world.unit("UNIT-B1"))
    for _ in range(2):
        respond(db, c_a1, ikm=[3] * 9, service_id=sp2d_a1)
    respond(db, c_b1, ikm=[4] * 9, service_id=sp2d_b1)
    respond(db, c_b1, ikm=[1] * 9, service_id=kons_b1)

    for unit, stage, phase in (("UNIT-A1", "replikasi", "wbk"), ("UNIT-A1", "penerapan", "wbbm"),
                               ("UNIT-B1", "replikasi", "wbk"), ("UNIT-A2", "inisiatif", "wbk")):
        innovations.create_innovation(db, actor=None, unit_id=world.unit(unit), data={
            "title": f"Inovasi {unit} {stage}", "stage": stage, "phase": phase,
            "change_area": "pelayanan_publik", "started_on": date(2023, 3, 1),
            "services": ["SP2D"]})
    return {"a1": a1, "a2": a2}
