"""The worksheet pages over HTTP: rendering, htmx saves with out-of-band updates, refusals."""

from __future__ import annotations

from sqlmodel import func, select

from app.models.lke.assessments import Assessment, LkeAnswer
from app.services.lke import answers as lke_answers
from app.services.lke import assessments
from tests.factories import login

HX = {"HX-Request": "true"}


async def _create_page(client, csrf, unit_id, year=2024, target="WBK"):
    r = await client.post(f"/units/{unit_id}/assessments",
                          data={"year": year, "target": target, "csrf_token": csrf})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


async def test_worksheet_flow(client, world, db, framework_row):
    csrf = await login(client, "coord_a1")
    unit = world.unit("UNIT-A1")
    listing = await client.get(f"/units/{unit}/assessments")
    assert listing.status_code == 200 and "Mulai penilaian baru" in listing.text
    aid = await _create_page(client, csrf, unit)
    page = await client.get(f"/assessments/{aid}")
    assert page.status_code == 200
    # every area is on the page with its score; the questions of the first one (PPA: 12)
    # are in it, the other areas' load through htmx when opened
    assert page.text.count('<details class="card ws-area"') == 15
    assert page.text.count('<article class="ws-q') == 12
    assert 'id="q-PPA1A"' in page.text and 'id="q-PPB1A"' not in page.text
    assert f'hx-get="/assessments/{aid}/areas/PPB" hx-trigger="toggle once"' in page.text
    assert 'hx-post="/assessments/' in page.text
    areas = [a.ref for a in assessments.framework_of(
        db, db.get(Assessment, aid)).areas()]
    total = 0
    for ref in areas:
        part = await client.get(f"/assessments/{aid}/areas/{ref}", headers=HX)
        assert part.status_code == 200 and "<html" not in part.text
        total += part.text.count('<article class="ws-q')
    assert total == 113  # every question is reachable
    hasil = await client.get(f"/assessments/{aid}?area=HBA")
    assert 'id="q-HBA1A"' in hasil.text and 'name="index"' in hasil.text
    assert hasil.text.count('<article class="ws-q') == 1
    # without htmx the area link leads to the page with that area in it
    r = await client.get(f"/assessments/{aid}/areas/PRA")
    assert r.status_code == 303 and r.headers["location"] == f"/assessments/{aid}?area=PRA#a-PRA"
    assert (await client.get(f"/assessments/{aid}/areas/NOPE", headers=HX)).status_code == 404
    unknown = await client.get(f"/assessments/{aid}?area=NOPE")  # falls back to the first
    assert unknown.status_code == 200 and 'id="q-PPA1A"' in unknown.text

    # htmx save: the question comes back plus out-of-band scores of its ancestors
    r = await client.post(f"/assessments/{aid}/answers/PPA2A",
                          data={"option": "Ya", "penjelasan": "Rencana kerja ZI 2024",
                                "csrf_token": csrf}, headers=HX)
    assert r.status_code == 200
    html = r.text
    assert html.lstrip().startswith('<article class="ws-q answered"')
    for ref in ("PPA2", "PPA", "PP"):
        assert f'id="score-{ref}" hx-swap-oob="true"' in html
    # the component's score is not on the page: no swap without a target (oobErrorNoTarget)
    assert 'id="score-P"' not in html
    assert 'id="ws-summary" hx-swap-oob="true"' in html
    assert 'id="nav-PPA" hx-swap-oob="true"' in html
    # PPA2 weighs 1.00 over 3 questions: Ya -> 1/3 = 0,33
    assert '<div class="stat" id="ws-total">0,33</div>' in html

    # a bad answer: 422, the question with its message, nothing stored, no OOB
    r = await client.post(f"/assessments/{aid}/answers/PPA2B",
                          data={"option": "Z", "csrf_token": csrf}, headers=HX)
    assert r.status_code == 422
    assert "Pilihan &#39;Z&#39; tidak tersedia" in r.text and "hx-swap-oob" not in r.text
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 1

    # numeric question half filled in (on change): nothing saved, no swap
    r = await client.post(f"/assessments/{aid}/answers/PRA1A",
                          data={"in_change_agents": "4", "in_changes_made": "",
                                "penjelasan": "", "csrf_token": csrf}, headers=HX)
    assert r.status_code == 204
    # ... and with the save button: the missing input is reported
    r = await client.post(f"/assessments/{aid}/answers/PRA1A",
                          data={"in_change_agents": "4", "in_changes_made": "",
                                "penjelasan": "", "_explicit": "1", "csrf_token": csrf},
                          headers=HX)
    assert r.status_code == 422 and "belum diisi" in r.text

    revs = await client.get(f"/assessments/{aid}/answers/PPA2A/revisions", headers=HX)
    assert revs.status_code == 200 and "Rev." in revs.text and "<html" not in revs.text

    gaps = await client.get(f"/assessments/{aid}/gaps")
    assert gaps.status_code == 200 and "Rencana perbaikan" in gaps.text
    r = await client.post(f"/assessments/{aid}/what-if",
                          data={"opt_PPA2B": "A", "target": "WBK", "csrf_token": csrf},
                          headers=HX)
    # 1/3 + 1/3 = 2/3 -> 0,67; nothing stored
    assert r.status_code == 200 and 'id="whatif-total">0,67<' in r.text
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 1

    dash = await client.get(f"/units/{unit}")
    assert "LKE ZI 2024" in dash.text and "<meter" in dash.text


async def test_pages_refuse_other_units_and_locked(client, make_client, world, db,
                                                   framework_row):
    a = assessments.create(db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024,
                           target="WBK")
    other = make_client()
    csrf_b = await login(other, "member_b1")
    assert (await other.get(f"/assessments/{a.id}")).status_code == 403
    assert (await other.get(f"/assessments/{a.id}/areas/PPB", headers=HX)).status_code == 403
    assert (await other.get(f"/assessments/{a.id}/areas/PPB")).status_code == 403
    assert (await other.get(f"/units/{world.unit('UNIT-A1')}/assessments")).status_code == 403
    r = await other.post(f"/assessments/{a.id}/answers/PPA1A",
                         data={"option": "Ya", "csrf_token": csrf_b}, headers=HX)
    assert r.status_code == 403

    csrf = await login(client, "coord_a1")
    row = db.get(Assessment, a.id)
    row.status = "final"
    db.add(row)
    db.commit()
    page = await client.get(f"/assessments/{a.id}")
    assert "terkunci" in page.text and "hx-post=\"/assessments/" not in page.text
    area = await client.get(f"/assessments/{a.id}/areas/PPB", headers=HX)
    assert area.status_code == 200 and 'id="q-PPB1A"' in area.text
    assert "hx-post=\"/assessments/" not in area.text and "disabled" in area.text
    r = await client.post(f"/assessments/{a.id}/answers/PPA1A",
                          data={"option": "Ya", "csrf_token": csrf}, headers=HX)
    assert r.status_code == 409 and "final" in r.text
    assert db.exec(select(func.count()).select_from(LkeAnswer)).one() == 0


async def test_compare_and_oversight(client, make_client, world, db, framework_row):
    unit = world.unit("UNIT-A1")
    a = assessments.create(db, actor=None, unit_id=unit, year=2023, target="WBK")
    b = assessments.create(db, actor=None, unit_id=unit, year=2024, target="WBK")
    lke_answers.answer(db, actor=None, assessment_id=a.id, ref="PPA1A", option="Tidak")
    lke_answers.answer(db, actor=None, assessment_id=b.id, ref="PPA1A", option="Ya")
    await login(client, "coord_a1")
    page = await client.get(f"/units/{unit}/assessments/compare?base={a.id}&other={b.id}")
    assert page.status_code == 200
    # PPA1A Ya is worth 0.25 (PPA1 0.50 over 2 questions): 0,00 -> 0,25
    assert "+0,25" in page.text
    reviewer = make_client()
    await login(reviewer, "reviewer_a")
    ov = await reviewer.get("/oversight")
    assert ov.status_code == 200 and "KPPN A1" in ov.text and "KPPN A2" in ov.text
    assert "KPPN B1" not in ov.text
    kanwil = await reviewer.get(f"/units/{world.unit('KANWIL-A')}/assessments")
    assert kanwil.status_code == 200 and "KPPN A1" in kanwil.text
