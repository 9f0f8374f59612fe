"""Survey results into the LKE Hasil answers and the PPF4A suggestion, with hand-worked numbers.

SPKP (8 items, 1-4) and SPAK (5 items, 1-4) indices are the mean of the item NRRs; on a 1-4
scale the LKE index is that mean itself. Hasil score = index / 4 x 17.5 (HPA1A, HBA1A).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlmodel import func, select

from app.domain.lke import report_json
from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.models.lke.evidence import Evidence, EvidenceLink
from app.services.errors import Invalid, Locked
from app.services.integration import lke_from_surveys
from app.services.lke import answers as lke_answers
from app.services.lke import scores
from tests.factories import issue_token, login, principal
from tests.support.survey_responses import close, respond

BASE = "https://zona.example.go.id"

# SPKP: one respondent all 4, one all 3 -> every item NRR 7/2 -> index 3.5.
# HPA1A = 3.5 / 4 x 17.5 = 15.3125 -> "15.31".
SPKP_HIGH, SPKP_LOW = (4,) * 8, (3,) * 8
# SPAK: items (4+3)/2, (4+3)/2, (3+3)/2, (3+2)/2, (2+2)/2 = 3.5, 3.5, 3, 2.5, 2 -> mean 2.9.
# HBA1A = 2.9 / 4 x 17.5 = 12.6875 -> "12.69".
SPAK_R1, SPAK_R2 = (4, 4, 3, 3, 2), (3, 3, 3, 2, 2)
IKM_ALL3 = (3,) * 9


def _row(db, assessment_id, ref) -> LkeAnswer | None:
    db.expire_all()
    return db.exec(select(LkeAnswer).where(LkeAnswer.assessment_id == assessment_id,
                                           LkeAnswer.question_ref == ref)).first()


def _links(db, assessment_id, ref):
    db.expire_all()
    return db.exec(
        select(EvidenceLink, Evidence).join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(EvidenceLink.assessment_id == assessment_id, EvidenceLink.question_ref == ref,
               EvidenceLink.unlinked_at.is_(None))
    ).all()


def _first_half(db, make_campaign):
    campaign = make_campaign("2019-S1")
    respond(db, campaign, ikm=IKM_ALL3, spkp=SPKP_HIGH, spak=SPAK_R1)
    respond(db, campaign, ikm=IKM_ALL3, spkp=SPKP_LOW, spak=SPAK_R2)
    return campaign


def test_closing_a_campaign_fills_hasil_with_hand_worked_scores(db, world, assessment_2019,
                                                                  make_campaign):
    campaign = _first_half(db, make_campaign)
    close(db, world, campaign)
    ipkp = _row(db, assessment_2019.id, "HPA1A")
    ipak = _row(db, assessment_2019.id, "HBA1A")
    assert (ipkp.index_value, ipkp.source) == ("3.50", f"survey:{campaign.id}")
    assert (ipak.index_value, ipak.source) == ("2.90", f"survey:{campaign.id}")
    report = scores.score_report(db, assessment=assessment_2019)
    assert report.nodes["HPA1A"].score == Fraction(153125, 10000)
    assert report_json.dec2(report.nodes["HPA1A"].score) == "15.31"
    assert report.nodes["HBA1A"].score == Fraction(126875, 10000)
    assert report_json.dec2(report.nodes["HBA1A"].score) == "12.69"
    # the campaign's results page is the evidence of both questions (first expected item)
    for ref in ("HPA1A", "HBA1A"):
        [(link, ev)] = _links(db, assessment_2019.id, ref)
        assert ev.kind == "link" and link.expected_index == 0
        assert ev.url.endswith(f"/units/{world.unit('UNIT-A1')}/surveys/campaigns/{campaign.id}")
    # one library entry for the page, linked twice
    assert db.exec(select(func.count()).select_from(Evidence)).one() == 1
    entry = db.exec(select(AuditRecord).where(AuditRecord.action == "fill_from_surveys")).one()
    assert entry.after["trigger"] == f"campaign_closed:{campaign.id}"
    assert entry.after["answers"]["HPA1A"]["index"] == "3.50"


def test_fill_on_demand_is_idempotent(db, world, assessment_2019, make_campaign):
    _first_half(db, make_campaign)
    coord = principal(db, world, "coord_a1")
    first = lke_from_surveys.fill_from_surveys(db, actor=coord, assessment_id=assessment_2019.id,
                                               base_url=BASE)
    assert set(first.changed) == {"HPA1A", "HBA1A"} and first.links_added == 2
    again = lke_from_surveys.fill_from_surveys(db, actor=coord, assessment_id=assessment_2019.id,
                                               base_url=BASE)
    assert again.changed == () and again.links_added == 0
    assert all(h.up_to_date for h in again.plan.hasil)
    revisions = db.exec(select(func.count()).select_from(LkeAnswerRevision)).one()
    assert revisions == 2  # one per question, none for the repeat


def test_a_running_campaign_is_not_used_and_nothing_is_stored(db, world, assessment_2019,
                                                              make_campaign):
    campaign = make_campaign("2019-S1", opens_on=date(2019, 1, 1), closes_on=date(2099, 12, 31))
    respond(db, campaign, ikm=IKM_ALL3, spkp=SPKP_HIGH, spak=SPAK_R1)
    plan = lke_from_surveys.plan(db, actor=None, assessment_id=assessment_2019.id)
    [ipkp, ipak] = plan.hasil
    assert ipkp.chosen is None and "masih berjalan" in ipkp.reason
    with pytest.raises(Invalid) as refused:
        lke_from_surveys.fill_from_surveys(db, actor=principal(db, world, "coord_a1"),
                                           assessment_id=assessment_2019.id, base_url=BASE)
    assert any("HPA1A" in p for p in refused.value.problems)
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 0
    assert db.exec(select(func.count()).select_from(Evidence)).one() == 0


def test_a_final_assessment_is_left_alone_on_close_and_the_reason_shown(
        db, world, assessment_2019, make_campaign):
    lke_answers.answer(db, actor=None, assessment_id=assessment_2019.id, ref="HPA1A",
                       index="3.10")
    row = db.get(Assessment, assessment_2019.id)
    row.status = "final"  # the review chain finalised it
    db.add(row)
    db.commit()
    campaign = _first_half(db, make_campaign)
    close(db, world, campaign)
    kept = _row(db, assessment_2019.id, "HPA1A")
    assert (kept.index_value, kept.source) == ("3.10", "manual")
    status = lke_from_surveys.campaign_status(db, actor=None, campaign_id=campaign.id)
    assert not status.editable and "final" in status.locked_reason
    assert status.uses == ()
    with pytest.raises(Locked):
        lke_from_surveys.fill_from_surveys(db, actor=principal(db, world, "coord_a1"),
                                           assessment_id=assessment_2019.id, base_url=BASE)
    assert db.exec(select(func.count()).select_from(EvidenceLink)).one() == 0


def test_a_later_campaign_replaces_the_earlier_one_and_its_evidence(db, world, assessment_2019,
                                                                    make_campaign):
    first = _first_half(db, make_campaign)
    close(db, world, first)
    second = make_campaign("2019-S2")
    respond(db, second, ikm=IKM_ALL3, spkp=SPKP_HIGH, spak=(4,) * 5)  # IPKP 4, IPAK 4
    close(db, world, second)
    ipkp = _row(db, assessment_2019.id, "HPA1A")
    assert (ipkp.index_value, ipkp.source) == ("4", f"survey:{second.id}")
    [(link, ev)] = _links(db, assessment_2019.id, "HPA1A")
    assert ev.url.endswith(f"/surveys/campaigns/{second.id}")
    history = lke_answers.revisions(
        db, actor=None, assessment_id=assessment_2019.id, ref="HPA1A"
    )
    assert [r.new_value["index"] for r in history] == ["4", "3.50"]
    assert history[0].old_value["source"] == f"survey:{first.id}"


def test_manual_value_is_replaced_and_kept_in_the_history(db, world, assessment_2019,
                                                           make_campaign):
    coord = principal(db, world, "coord_a1")
    lke_answers.answer(db, actor=coord, assessment_id=assessment_2019.id, ref="HPA1A",
                       index="3.20")
    _first_half(db, make_campaign)
    lke_from_surveys.fill_from_surveys(db, actor=coord, assessment_id=assessment_2019.id,
                                       base_url=BASE)
    history = lke_answers.revisions(
        db, actor=None, assessment_id=assessment_2019.id, ref="HPA1A"
    )
    assert history[0].old_value == {"option": None, "inputs": None, "index": "3.20",
                                    "source": "manual"}
    assert history[0].new_value["source"].startswith("survey:")


@pytest.mark.parametrize(("campaigns", "option"), [(0, "E"), (1, "D"), (2, "C"), (3, "B"),
                                                   (4, "A"), (5, "A")])
def test_ppf4a_counts_the_year_ikm_campaigns(db, world, assessment_2019, make_campaign,
                                             campaigns, option):
    for quarter in range(1, campaigns + 1):
        month = min(3 * quarter - 2, 12)
        c = make_campaign(f"2019-Q{min(quarter, 4)}", kind="quarter",
                          instruments=("ikm-2017",), title=f"IKM {quarter}",
                          opens_on=date(2019, month, 1), closes_on=date(2019, month, 28))
        respond(db, c, ikm=IKM_ALL3)
    # a campaign of another year and one without IKM do not count
    other = make_campaign("2018-S1", instruments=("ikm-2017",))
    respond(db, other, ikm=IKM_ALL3)
    perception = make_campaign("2019-S2", instruments=("spkp",))
    respond(db, perception, spkp=SPKP_HIGH)
    count = lke_from_surveys.plan(db, actor=None, assessment_id=assessment_2019.id).count
    assert (count.count, count.option) == (campaigns, option)
    assert count.current_option is None  # only a suggestion until applied


def test_ppf4a_applied_with_the_campaigns_as_evidence(db, world, assessment_2019, make_campaign):
    a = make_campaign("2019-S1", instruments=("ikm-2017",))
    b = make_campaign("2019-S2", instruments=("ikm-2017",))
    for c in (a, b):
        respond(db, c, ikm=IKM_ALL3)
    applied = lke_from_surveys.apply_survey_count(
        db, actor=principal(db, world, "coord_a1"), assessment_id=assessment_2019.id,
        base_url=BASE,
    )
    assert applied.applied and applied.option == "C"  # minimal 2 kali: 0.5 x weight
    row = _row(db, assessment_2019.id, "PPF4A")
    assert (row.option, row.source) == ("C", "survey-count:2019")
    urls = sorted(ev.url for _, ev in _links(db, assessment_2019.id, "PPF4A"))
    assert urls == sorted(f"{BASE}/units/{world.unit('UNIT-A1')}/surveys/campaigns/{c.id}"
                          for c in (a, b))


async def test_api_fill_permissions_and_scopes(client, db, world, assessment_2019,
                                               make_campaign):
    _first_half(db, make_campaign)
    url = f"/api/v1/assessments/{assessment_2019.id}/fill-from-surveys"
    for who in ("viewer_a1", "member_b1"):
        csrf = await login(client, who)
        r = await client.post(url, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403, who
        await client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    read = issue_token(db, world, "UNIT-A1", ["read"])
    r = await client.post(url, headers={"Authorization": f"Bearer {read}"})
    assert r.status_code == 403
    other = issue_token(db, world, "UNIT-B1", ["write:indicators"])
    r = await client.post(url, headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 0
    write = issue_token(db, world, "UNIT-A1", ["write:indicators"])
    r = await client.post(url, headers={"Authorization": f"Bearer {write}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted(body["changed"]) == ["HBA1A", "HPA1A"]
    hpa = next(h for h in body["hasil"] if h["ref"] == "HPA1A")
    assert (hpa["index"], hpa["current_index"], hpa["up_to_date"]) == ("3.50", "3.50", True)
    assert body["ppf4a"]["count"] == 1 and body["ppf4a"]["option"] == "D"
    plan = await client.get(f"/api/v1/assessments/{assessment_2019.id}/survey-plan",
                            headers={"Authorization": f"Bearer {read}"})
    assert plan.status_code == 200 and plan.json()["hasil"][0]["source"].startswith("survey:")
    score = await client.get(f"/api/v1/assessments/{assessment_2019.id}/score?questions=true",
                             headers={"Authorization": f"Bearer {read}"})
    assert score.json()["questions"]["HPA1A"]["score"] == "15.31"


async def test_worksheet_shows_where_hasil_came_from(client, db, world, assessment_2019,
                                                      make_campaign):
    campaign = _first_half(db, make_campaign)
    lke_answers.answer(db, actor=None, assessment_id=assessment_2019.id, ref="HBA1A",
                       index="2.50")
    csrf = await login(client, "coord_a1")
    # One area is inline in the worksheet; HBA1A (IPAK) is in area HBA.
    page = await client.get(f"/assessments/{assessment_2019.id}?area=HBA")
    assert 'id="hasil-survei"' in page.text and "Isi dari hasil survei" in page.text
    assert "manual (diisi pengguna)" in page.text  # HBA1A typed by hand
    r = await client.post(f"/assessments/{assessment_2019.id}/fill-from-surveys",
                          data={"csrf_token": csrf})
    assert r.status_code == 303
    page = await client.get(f"/assessments/{assessment_2019.id}?area=HBA")
    assert f'href="/units/{world.unit("UNIT-A1")}/surveys/campaigns/{campaign.id}"' in page.text
    assert "sesuai survei" in page.text and "manual (diisi pengguna)" not in page.text
    card = await client.get(f"/units/{world.unit('UNIT-A1')}/surveys/campaigns/{campaign.id}/lke")
    assert card.status_code == 200 and "dipakai" in card.text and "HPA1A" in card.text
