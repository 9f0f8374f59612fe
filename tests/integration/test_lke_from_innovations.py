"""Innovations into the LKE (PPF2F, PRF1A, PRF1B) with the survey service list, and a
service's IKM before and after an innovation's launch, with hand-worked numbers."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlmodel import func, select

from app.domain.lke import report_json
from app.models.lke.assessments import Assessment, LkeAnswer
from app.models.lke.evidence import Evidence, EvidenceLink
from app.services.errors import Invalid, Locked
from app.services.integration import lke_from_innovations
from app.services.lke import answers as lke_answers
from app.services.lke import assessments, scores
from app.services.programme import innovations
from app.services.surveys import catalogue as survey_catalogue
from tests.factories import issue_token, login, principal
from tests.support.survey_responses import respond

BASE = "https://zona.example.go.id"


@pytest.fixture
def registry(db, world):
    """Three active services, one inactive; three innovations (see the module docstring)."""
    unit = world.unit("UNIT-A1")
    services = {
        code: survey_catalogue.create_service(db, actor=None, unit_id=unit, code=code, name=name)
        for code, name in (("sp2d", "Pencairan dana"), ("konsul", "Konsultasi"),
                           ("lpj", "Rekonsiliasi LPJ"), ("arsip", "Arsip lama"))
    }
    survey_catalogue.update_service(db, actor=None, service_id=services["arsip"].id, active=False)
    # Operating, distinctive (own idea, differs, brings the service closer): PPF2F tier B.
    # Its services are written by code and by name in another case: both match.
    queue = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "Antrian daring", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2018, 1, 2),
        "launched_on": date(2018, 7, 1), "services": ["SP2D", "  konsultasi "],
        "differs_from_other_units": True, "brings_service_closer": True})
    innovations.create_impact(db, actor=None, innovation_id=queue.id, data={
        "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "60",
        "before_on": "2018-03-01", "after_value": "25", "after_on": "2018-09-01"})
    # Operating, cheaper (a cost measure: improves PRF1A, does not simplify for PRF1B).
    free = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "Rekonsiliasi tanpa biaya", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2018, 2, 1),
        "launched_on": date(2018, 4, 1), "services": ["Rekonsiliasi LPJ"]})
    innovations.create_impact(db, actor=None, innovation_id=free.id, data={
        "kind": "cost_rupiah", "measure_unit": "rupiah", "before_value": "50000",
        "before_on": "2018-01-10", "after_value": "0", "after_on": "2018-05-10"})
    # A pilot (uji coba) is not in operation: it counts for nothing.
    pilot = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "Aplikasi uji coba", "stage": "uji_coba", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2018, 5, 1),
        "services": ["lpj", "layanan tak terdaftar"]})
    return {"unit": unit, "services": services, "queue": queue, "free": free, "pilot": pilot}


def test_suggestions_use_the_registered_services(db, world, registry):
    view = lke_from_innovations.suggestions(db, actor=None, unit_id=registry["unit"])
    sug = view.suggestions
    assert view.services_known
    # PPF2F: the only distinctive operating innovation is not replicated -> B.
    assert (sug.ppf2f.option, sug.ppf2f.evidence_ids) == ("B", (registry["queue"].id,))
    # PRF1A: improved {Pencairan dana, Konsultasi} (queue) + {Rekonsiliasi LPJ} (free) = 3 of
    # the 3 active services -> A ("seluruh"); the inactive one is not registered.
    assert sug.prf1a.option == "A"
    assert set(sug.prf1a.evidence_ids) == {registry["queue"].id, registry["free"].id}
    # PRF1B: simplified (faster) = Pencairan dana, Konsultasi -> 2 of 3.
    assert (sug.prf1b.numerator, sug.prf1b.denominator) == (2, 3)
    assert sug.prf1b.ratio == Fraction(2, 3)


def test_service_matching_is_by_code_or_name_ignoring_case():
    from app.models.surveys.records import SurveyService

    key = lke_from_innovations.service_matcher(
        [SurveyService(unit_id=1, code="sp2d", name="Pencairan dana (SP2D)")])
    assert key("SP2D") == key(" pencairan  DANA (sp2d) ") == "Pencairan dana (SP2D)"
    assert key("Pencairan") == "Pencairan"  # no partial matches


def test_apply_writes_answers_and_links_innovations(db, world, registry):
    a = assessments.create(db, actor=None, unit_id=registry["unit"], year=2019, target="WBK")
    coord = principal(db, world, "coord_a1")
    result = lke_from_innovations.apply_to_lke(
        db, actor=coord, assessment_id=a.id, refs=["PPF2F", "PRF1A", "prf1b"], base_url=BASE)
    assert [x.ref for x in result.answers] == ["PPF2F", "PRF1A", "PRF1B"]
    rows = lke_answers.answers_of(db, assessment_id=a.id)
    assert (rows["PPF2F"].option, rows["PPF2F"].source) == ("B", "innovations")
    assert rows["PRF1A"].option == "A"
    assert rows["PRF1B"].inputs == {"services_registered": "3", "services_simplified": "2"}
    report = scores.score_report(db, assessment=a)
    assert report.nodes["PPF2F"].score == Fraction(3, 4) * Fraction(1, 6)  # 0.125
    assert report.nodes["PRF1A"].score == Fraction(5, 4)  # 1 x 1.25
    assert report.nodes["PRF1B"].score == Fraction(2, 3) * Fraction(5, 4)  # 0.8333
    assert report_json.dec2(report.nodes["PRF1B"].score) == "0.83"
    links = db.exec(select(EvidenceLink, Evidence).join(
        Evidence, Evidence.id == EvidenceLink.evidence_id)).all()
    by_ref = {}
    for link, ev in links:
        by_ref.setdefault(link.question_ref, set()).add(ev.url)
    unit = registry["unit"]
    queue_url = f"{BASE}/units/{unit}/innovations/{registry['queue'].id}"
    free_url = f"{BASE}/units/{unit}/innovations/{registry['free'].id}"
    assert by_ref == {"PPF2F": {queue_url}, "PRF1A": {queue_url, free_url},
                      "PRF1B": {queue_url}}
    assert db.exec(select(func.count()).select_from(Evidence)).one() == 2  # reused pages
    again = lke_from_innovations.apply_to_lke(db, actor=coord, assessment_id=a.id,
                                              refs=["PPF2F"], base_url=BASE)
    assert not again.answers[0].changed and again.links_added == 0


def test_apply_refuses_locked_or_unknown_and_stores_nothing(db, world, registry):
    a = assessments.create(db, actor=None, unit_id=registry["unit"], year=2019, target="WBK")
    coord = principal(db, world, "coord_a1")
    with pytest.raises(Invalid):
        lke_from_innovations.apply_to_lke(db, actor=coord, assessment_id=a.id,
                                          refs=["PPA1A"], base_url=BASE)
    row = db.get(Assessment, a.id)
    row.status = "final"
    db.add(row)
    db.commit()
    with pytest.raises(Locked):
        lke_from_innovations.apply_to_lke(db, actor=coord, assessment_id=a.id,
                                          refs=["PPF2F"], base_url=BASE)
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 0
    assert db.exec(select(func.count()).select_from(Evidence)).one() == 0


def test_ikm_before_and_after_the_launch(db, world, registry, make_campaign):
    sp2d, konsul = registry["services"]["sp2d"].id, registry["services"]["konsul"].id
    before = make_campaign("2018-S1", instruments=("ikm-2017",))  # ends 30 Jun, launch 1 Jul
    after = make_campaign("2018-S2", instruments=("ikm-2017",))  # starts on the launch day
    across = make_campaign("2018", kind="year", instruments=("ikm-2017",),
                           opens_on=date(2018, 1, 1), closes_on=date(2018, 12, 31))
    # SP2D before: all 3 and all 3 -> NRR 3 each, IKM 3 x 25 = 75.
    respond(db, before, ikm=(3,) * 9, service_id=sp2d)
    respond(db, before, ikm=(3,) * 9, service_id=sp2d)
    # SP2D after: all 4 and one with eight 4s and a 2 -> U1..U8 NRR 4, U9 NRR 3;
    # mean = 35/9, IKM = 35/9 x 25 = 875/9 = 97.22.
    respond(db, after, ikm=(4,) * 9, service_id=sp2d)
    respond(db, after, ikm=(4,) * 8 + (2,), service_id=sp2d)
    # noise that must not count: another service, and a campaign across the launch date
    respond(db, before, ikm=(1,) * 9, service_id=konsul)
    respond(db, across, ikm=(1,) * 9, service_id=sp2d)
    changes = lke_from_innovations.service_index_changes(
        db, actor=None, innovation_id=registry["queue"].id)
    assert [c.service.code for c in changes] == ["sp2d"]  # konsultasi has no "after" data
    [c] = changes
    assert c.before.value == 75 and c.before.respondents == 2
    assert c.after.value == Fraction(875, 9) and c.after.respondents == 2
    assert c.change == Fraction(875, 9) - 75  # 22.22
    assert report_json.dec2(c.change) == "22.22"
    assert [x.period_label for x in c.before.campaigns] == ["2018-S1"]
    # no survey data at all: nothing shown
    assert lke_from_innovations.service_index_changes(
        db, actor=None, innovation_id=registry["free"].id) == []


async def test_pages_and_api(client, db, world, registry, make_campaign):
    unit = registry["unit"]
    a = assessments.create(db, actor=None, unit_id=unit, year=2019, target="WBK")
    before = make_campaign("2018-S1", instruments=("ikm-2017",))
    after = make_campaign("2018-S2", instruments=("ikm-2017",))
    respond(db, before, ikm=(3,) * 9, service_id=registry["services"]["sp2d"].id)
    respond(db, after, ikm=(4,) * 9, service_id=registry["services"]["sp2d"].id)
    csrf = await login(client, "coord_a1")
    page = await client.get(f"/units/{unit}/innovations/{registry['queue'].id}")
    assert page.status_code == 200
    assert "IKM layanan sebelum dan sesudah peluncuran" in page.text
    assert "75,00" in page.text and "100,00" in page.text and "+25,00" in page.text
    assert "Terapkan ke LKE" in page.text
    registry_page = await client.get(f"/units/{unit}/innovations")
    assert "belum bermakna" not in registry_page.text  # services are known now
    r = await client.post(f"/units/{unit}/lke/apply-innovations", data={
        "csrf_token": csrf, "assessment_id": str(a.id), "ref": ["PPF2F", "PRF1B"],
        "back": str(registry["queue"].id)})
    assert r.status_code == 200 and "PRF1B" in r.text
    rows = lke_answers.answers_of(db, assessment_id=a.id)
    assert set(rows) == {"PPF2F", "PRF1B"}
    # The worksheet carries one area inline; PPF2F is in area PPF.
    worksheet = await client.get(f"/assessments/{a.id}?area=PPF")
    assert "saran registri inovasi" in worksheet.text
    # a unit-B member cannot apply to unit A
    await client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    csrf_b = await login(client, "member_b1")
    r = await client.post(f"/units/{unit}/lke/apply-innovations", data={
        "csrf_token": csrf_b, "assessment_id": str(a.id), "ref": ["PRF1A"]})
    assert r.status_code == 403
    assert "PRF1A" not in lke_answers.answers_of(db, assessment_id=a.id)
    client.cookies.clear()
    token = issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])
    auth = {"Authorization": f"Bearer {token}"}
    r = await client.post(f"/api/v1/assessments/{a.id}/apply-innovations", headers=auth,
                          json={"refs": ["PRF1A"]})
    assert r.status_code == 200, r.text
    assert r.json()["answers"][0]["option"] == "A"
    r = await client.post(f"/api/v1/assessments/{a.id}/apply-innovations", headers=auth,
                          json={"refs": ["PRF1A"], "extra": 1})
    assert r.status_code == 422
    r = await client.get(f"/api/v1/innovations/{registry['queue'].id}/survey-change",
                         headers=auth)
    assert r.json()[0]["before"]["ikm"] == "75.00" and r.json()[0]["change"] == "25.00"
    r = await client.get(f"/api/v1/units/{unit}/lke-suggestions", headers=auth)
    prf1b = next(x for x in r.json()["suggestions"] if x["ref"] == "PRF1B")
    assert (prf1b["numerator"], prf1b["denominator"]) == (2, 3)
