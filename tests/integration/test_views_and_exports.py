"""Dashboard slots, timeline sources (survey indices, LKE totals incl. reviews) and the XLSX
Eviden / Catatan Reviewer columns."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from fractions import Fraction

from openpyxl import load_workbook

from app.domain.display import round_half_up
from app.services import units
from app.services.integration import timeline, timeline_sources
from app.services.lke import (
    answers,
    assessments,
    evidence,
    evidence_links,
    review,
    review_records,
    submission,
)
from app.services.lke import scores as lke_scores
from app.services.lke import xlsx as lke_xlsx
from app.services.lke.review import DraftChange
from tests.factories import login, principal
from tests.support.lke_review import new_assessment
from tests.support.survey_responses import close, respond


async def test_dashboard_lke_first_surveys_second_no_pending_strip(client, db, world,
                                                                    framework_row,
                                                                    make_campaign):
    unit = world.unit("UNIT-A1")
    await login(client, "coord_a1")
    page = await client.get(f"/units/{unit}")
    assert "slots-pending" in page.text  # no LKE and no survey yet: the honest strip
    assessments.create(db, actor=None, unit_id=unit, year=2019, target="WBK")
    campaign = make_campaign("2019-S1", instruments=("ikm-2017",))
    respond(db, campaign, ikm=(3,) * 9)
    page = await client.get(f"/units/{unit}")
    assert "slots-pending" not in page.text
    lke_at, survey_at = page.text.index("lke-panel"), page.text.index('id="survey-panel"')
    innovations_at = page.text.index('id="dash-innovations"')
    assert lke_at < survey_at < innovations_at


def test_timeline_has_survey_indices_and_lke_scores(db, world, framework_row, make_campaign):
    unit = units.get(db, unit_id=world.unit("UNIT-A1"))
    campaign = make_campaign("2019-S1")  # 1 Jan - 30 Jun 2019, ended
    # IKM: all 3 -> 75. SPKP all 4 -> 4. SPAK all 2 -> 2 (1-4 scale).
    respond(db, campaign, ikm=(3,) * 9, spkp=(4,) * 8, spak=(2,) * 5)
    points = timeline_sources.survey_points(db, unit)
    assert sorted((p.instrument, p.value, p.on) for p in points) == [
        ("ikm", Decimal("75.00"), date(2019, 6, 30)),
        ("ipak", Decimal("2.00"), date(2019, 6, 30)),
        ("ipkp", Decimal("4.00"), date(2019, 6, 30)),
    ]
    a = assessments.create(db, actor=None, unit_id=unit.id, year=2019, target="WBK")
    # HPA1A index 4 = 17.5 points, HBA1A index 2 = 2/4 x 17.5 = 8.75 -> total 26.25
    answers.answer(db, actor=None, assessment_id=a.id, ref="HPA1A", index="4")
    answers.answer(db, actor=None, assessment_id=a.id, ref="HBA1A", index="2")
    [score] = timeline_sources.lke_scores(db, unit)
    assert (score.total, score.assessor, score.on.year, score.verdict) == (
        Decimal("26.25"), "mandiri", 2019, "")
    view = timeline.unit_timeline(db, unit=unit)
    year = next(y for y in view.years if y.year == 2019)
    assert year.latest_score.total == Decimal("26.25")
    assert {p.code: p.value for p in year.latest_surveys} == {
        "ikm": Decimal("75.00"), "ipkp": Decimal("4.00"), "ipak": Decimal("2.00")}


def test_timeline_and_xlsx_carry_the_review_records(db, world):
    a = new_assessment(db, world, complete=True, year=2025)  # every question at its maximum
    coord = principal(db, world, "coord_a1")
    ev = evidence.add_link(db, actor=coord, unit_id=a.unit_id,
                           url="https://example.go.id/sk-tim.pdf", title="SK Tim ZI")
    evidence_links.link(db, actor=coord, assessment_id=a.id, evidence_id=ev.id, question_ref="PPA1A")
    submission.submit(db, actor=coord, assessment_id=a.id)
    # The regional reviewer lowers PPA1A (Ya/Tidak) to Tidak with a note and returns it.
    review.decide(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                  decision="return", note="Perbaiki",
                  changes=[DraftChange("PPA1A", option="Tidak", note="SK belum ditandatangani",
                                       flagged=True)])
    unit = units.get(db, unit_id=a.unit_id)
    scores = {s.assessor: s for s in timeline_sources.lke_scores(db, unit)}
    self_total = lke_scores.evaluate(db, assessment=a).total
    assert scores["mandiri"].total == round_half_up(self_total, 2)
    # the reviewer's only change: PPA1A Ya (1) -> Tidak (0), i.e. minus its weight
    weight = assessments.framework_of(db, a).question("PPA1A").weight
    assert scores["kanwil"].total == round_half_up(self_total - Fraction(weight), 2)
    assert scores["kanwil"].total < scores["mandiri"].total
    assert {s.on.year for s in scores.values()} == {2025}
    lines = review_records.reviewer_notes(db, assessment=a)
    assert len(lines["PPA1A"]) == 1
    assert lines["PPA1A"][0].startswith("Kantor Wilayah - ")
    assert lines["PPA1A"][0].endswith(": SK belum ditandatangani")
    file = lke_xlsx.export(db, actor=coord, assessment_id=a.id)
    sheet = load_workbook(io.BytesIO(file.content))["LKE"]
    header = [c.value for c in sheet[5]]
    col_e, col_n = header.index("Eviden"), header.index("Catatan Reviewer")
    row = next(r for r in sheet.iter_rows(min_row=6, values_only=True) if r[0] == "PPA1A")
    assert row[col_e] == "SK Tim ZI (https://example.go.id/sk-tim.pdf)"
    assert row[col_n] == lines["PPA1A"][0]
    other = next(r for r in sheet.iter_rows(min_row=6, values_only=True) if r[0] == "PPA1B")
    assert other[col_e] is None and other[col_n] is None


async def test_campaign_close_from_the_page_fills_and_reports(client, db, world, framework_row,
                                                              make_campaign):
    unit = world.unit("UNIT-A1")
    a = assessments.create(db, actor=None, unit_id=unit, year=2019, target="WBK")
    campaign = make_campaign("2019-S1", instruments=("spkp",), opens_on=date(2019, 1, 1),
                             closes_on=date(2099, 1, 1))
    respond(db, campaign, spkp=(4,) * 8)
    csrf = await login(client, "coord_a1")
    card = await client.get(f"/units/{unit}/surveys/campaigns/{campaign.id}/lke")
    assert "masih berjalan" in card.text
    r = await client.post(f"/units/{unit}/surveys/campaigns/{campaign.id}/status",
                          data={"csrf_token": csrf, "status": "closed", "confirmed": "1"})
    assert r.status_code == 303
    row = answers.answers_of(db, assessment_id=a.id)["HPA1A"]
    assert (row.index_value, row.source) == ("4", f"survey:{campaign.id}")
    card = await client.get(f"/units/{unit}/surveys/campaigns/{campaign.id}/lke")
    assert "dipakai" in card.text
    close(db, world, campaign)  # closing again changes nothing
    assert answers.answers_of(db, assessment_id=a.id)["HPA1A"].revision == 1
