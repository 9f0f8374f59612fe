"""Programme pages: every page renders with data, forms store through the services, bad input
re-renders with the message and nothing stored, other units are refused."""

from datetime import date

from sqlmodel import select

from app.models.programme import ActionItem, Innovation, TeamMember
from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    partnerships,
    pillars,
    team,
)
from tests.factories import login


def seed(db, unit):
    p = pillars.create_pillar(db, actor=None, unit_id=unit, data={"name": "Pilar Digital"})
    wbk = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "SP2D drive-thru", "stage": "replikasi", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2017, 3, 1),
        "launched_on": date(2017, 6, 1), "services": ["SP2D"], "pillar_id": p.id})
    innovations.create_impact(db, actor=None, innovation_id=wbk.id, data={
        "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "120",
        "before_on": "2017-01-10", "after_value": "45", "after_on": "2017-09-10"})
    wbbm = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "SP2D antar", "stage": "penerapan", "phase": "wbbm",
        "change_area": "pelayanan_publik", "started_on": date(2018, 3, 1), "parent_id": wbk.id,
        "pembeda_what_is_new": "Diantar", "pembeda_citizen_benefit": "Tidak perlu datang"})
    m = team.create_member(db, actor=None, unit_id=unit, data={"name": "Pak Satpam",
                                                               "level": "satpam"})
    team.create_pact(db, actor=None, unit_id=unit, data={"member_id": m.id,
                                                         "signed_on": "2017-01-20"})
    team.create_activity(db, actor=None, unit_id=unit, data={
        "kind": "sosialisasi", "held_on": "2017-02-01", "title": "Sosialisasi ZI",
        "member_ids": [m.id]})
    team.create_decree(db, actor=None, unit_id=unit, data={"number": "KEP-1/2017",
                                                           "decree_date": "2017-01-10"})
    action_plan.create_action_item(db, actor=None, unit_id=unit, data={
        "area": "manajemen_perubahan", "activity": "Rencana kerja lama", "due_on": "2017-03-01",
        "status": "berjalan", "progress": 30})
    partnerships.create_partnership(db, actor=None, unit_id=unit, data={
        "partner": "Bank Sumsel Babel", "kind": "bank", "signed_on": "2018-01-01",
        "innovation_ids": [wbk.id]})
    milestones.create_milestone(db, actor=None, unit_id=unit, data={
        "kind": "pencanangan", "on_date": "2017-01-16"})
    return wbk, wbbm


async def test_every_page_renders(client, db, world):
    unit = world.unit("UNIT-A1")
    wbk, wbbm = seed(db, unit)
    await login(client, "viewer_a1")
    for path, expected in [
        ("/innovations", "SP2D drive-thru"), (f"/innovations/{wbbm.id}", "Tidak perlu datang"),
        (f"/innovations/{wbk.id}", "62,50%"), ("/team", "Pak Satpam"),
        ("/action-plan", "lewat batas"), ("/partnerships", "Bank Sumsel Babel"),
        ("/pillars", "Pilar Digital"), ("/milestones", "Pencanangan"),
    ]:
        page = await client.get(f"/units/{unit}{path}")
        assert page.status_code == 200, (path, page.text[:500])
        assert expected in page.text, path
    lineage = (await client.get(f"/units/{unit}/innovations/{wbbm.id}")).text
    assert lineage.index("SP2D drive-thru") < lineage.index("SP2D antar</strong>")
    home = (await client.get(f"/units/{unit}")).text
    for label in ("Inovasi", "Tim", "Rencana aksi", "Kemitraan", "Pilar", "Tonggak"):
        assert f">{label}</a>" in home
    # viewers see no forms
    assert "Daftarkan inovasi" not in (await client.get(f"/units/{unit}/innovations")).text


async def test_filter_returns_table_block_for_htmx(client, db, world):
    unit = world.unit("UNIT-A1")
    seed(db, unit)
    await login(client, "viewer_a1")
    part = await client.get(f"/units/{unit}/innovations?phase=wbbm",
                            headers={"HX-Request": "true", "HX-Target": "innovation-table"})
    assert part.status_code == 200
    assert "<html" not in part.text and "SP2D antar" in part.text
    assert "SP2D drive-thru</a>" not in part.text


async def test_forms_store_and_refuse(client, db, world):
    unit = world.unit("UNIT-A1")
    wbk, _ = seed(db, unit)
    csrf = await login(client, "member_a1")
    r = await client.post(f"/units/{unit}/innovations", data={
        "csrf_token": csrf, "title": "Konsultasi daring", "phase": "wbbm", "stage": "uji_coba",
        "change_area": "pelayanan_publik", "started_on": "2018-05-01",
        "parent_id": str(wbk.id), "services": "Konsultasi\nSP2D", "origin": "pengembangan",
        "status": "aktif"})
    assert r.status_code == 422
    assert "pembeda" in r.text and 'value="Konsultasi daring"' in r.text
    assert db.exec(select(Innovation).where(Innovation.title == "Konsultasi daring")).first() is None
    r = await client.post(f"/units/{unit}/innovations", data={
        "csrf_token": csrf, "title": "Konsultasi daring", "phase": "wbbm", "stage": "uji_coba",
        "change_area": "pelayanan_publik", "started_on": "2018-05-01",
        "parent_id": str(wbk.id), "services": "Konsultasi\nSP2D", "origin": "pengembangan",
        "status": "aktif", "pembeda_what_is_new": "Lewat video",
        "pembeda_citizen_benefit": "Tanpa datang", "differs_from_other_units": "on"})
    assert r.status_code == 303, r.text[:800]
    row = db.exec(select(Innovation).where(Innovation.title == "Konsultasi daring")).one()
    assert row.services == ["Konsultasi", "SP2D"] and row.differs_from_other_units is True
    assert row.brings_service_closer is False

    r = await client.post(f"/units/{unit}/innovations/{row.id}/impacts", data={
        "csrf_token": csrf, "kind": "cost_rupiah", "measure_unit": "menit", "before_value": "5",
        "before_on": "2018-01-01", "after_value": "0", "after_on": "2018-06-01"})
    assert r.status_code == 422 and "Satuan" in r.text

    r = await client.post(f"/units/{unit}/team/members", data={
        "csrf_token": csrf, "name": "Bu Cleaning", "level": "cleaning_service",
        "roles": ["agen_perubahan"]})
    assert r.status_code == 303
    m = db.exec(select(TeamMember).where(TeamMember.name == "Bu Cleaning")).one()
    assert m.roles == ["agen_perubahan"]
    r = await client.post(f"/units/{unit}/team/members", data={
        "csrf_token": csrf, "name": "Ketua tanpa area", "level": "pejabat",
        "roles": ["ketua_area"]})
    assert r.status_code == 422 and "Area wajib dipilih" in r.text

    item = db.exec(select(ActionItem)).first()
    r = await client.post(f"/units/{unit}/action-plan/{item.id}", data={
        "csrf_token": csrf, "status": "selesai", "progress": "100"})
    assert r.status_code == 303
    db.expire_all()
    assert db.get(ActionItem, item.id).status == "selesai"


async def test_pages_refuse_other_units(client, db, world):
    unit_b = world.unit("UNIT-B1")
    wbk, _ = seed(db, unit_b)
    csrf = await login(client, "member_a1")
    assert (await client.get(f"/units/{unit_b}/innovations")).status_code == 403
    # the A1 address with a B1 innovation id is not found, never shown
    unit_a = world.unit("UNIT-A1")
    assert (await client.get(f"/units/{unit_a}/innovations/{wbk.id}")).status_code in (403, 404)
    r = await client.post(f"/units/{unit_a}/innovations/{wbk.id}/delete",
                          data={"csrf_token": csrf})
    assert r.status_code in (403, 404)
    db.expire_all()
    assert db.get(Innovation, wbk.id).deleted_at is None
