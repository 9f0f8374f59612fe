"""The programme API: lineage, pembeda, impact numbers, commitment shares, overdue/expiring,
soft delete, cross-unit refusals, token scopes and audit records. Numbers are worked by hand."""

from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.programme import Innovation
from tests.factories import issue_token
from tests.support.problems import error_messages, problem


def bearer(db, world, unit="UNIT-A1", scopes=("read", "write:programme")):
    return {"Authorization": f"Bearer {issue_token(db, world, unit, list(scopes))}"}


def innovation(title, phase="wbk", started="2017-03-01", **extra):
    body = {"title": title, "stage": "penerapan", "phase": phase,
            "change_area": "pelayanan_publik", "started_on": started}
    body.update(extra)
    return body


async def post(client, url, body, headers):
    response = await client.post(f"/api/v1{url}", json=body, headers=headers)
    return response


async def test_lineage_cycle_refused_and_nothing_changed(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    a = (await post(client, f"/units/{unit}/innovations", innovation("A"), h)).json()
    b = (await post(client, f"/units/{unit}/innovations",
                    innovation("B", started="2017-04-01", parent_id=a["id"]), h)).json()
    c = (await post(client, f"/units/{unit}/innovations",
                    innovation("C", started="2017-05-01", parent_id=b["id"]), h)).json()
    assert c["parent_id"] == b["id"]
    audits_before = len(db.exec(select(AuditRecord)).all())

    # A <- B <- C, then A.parent = C closes a cycle (and C started later than A)
    response = await client.patch(f"/api/v1/innovations/{a['id']}", json={"parent_id": c["id"]},
                                  headers=h)
    assert response.status_code == 422
    detail = problem(response)
    assert detail["detail"] == "Inovasi tidak dapat disimpan."
    assert any("siklus" in p for p in error_messages(response))
    db.expire_all()
    assert db.get(Innovation, a["id"]).parent_id is None
    assert len(db.exec(select(AuditRecord)).all()) == audits_before

    # building on itself
    response = await client.patch(f"/api/v1/innovations/{a['id']}", json={"parent_id": a["id"]},
                                  headers=h)
    assert response.status_code == 422
    assert any("dirinya sendiri" in p for p in error_messages(response))

    lineage = (await client.get(f"/api/v1/innovations/{c['id']}/lineage", headers=h)).json()
    assert [x["title"] for x in lineage] == ["A", "B", "C"]


async def test_building_on_a_later_innovation_refused(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    later = (await post(client, f"/units/{unit}/innovations",
                        innovation("Later", started="2018-01-01"), h)).json()
    response = await post(client, f"/units/{unit}/innovations",
                          innovation("Earlier", started="2017-01-01", parent_id=later["id"]), h)
    assert response.status_code == 422
    assert any("dimulai 2018-01-01" in p for p in error_messages(response))
    assert db.exec(select(Innovation).where(Innovation.title == "Earlier")).first() is None


async def test_wbbm_developing_wbk_needs_pembeda(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    wbk = (await post(client, f"/units/{unit}/innovations", innovation("SP2D drive-thru"), h)).json()
    body = innovation("SP2D antar", phase="wbbm", started="2018-06-01", parent_id=wbk["id"],
                      pembeda_what_is_new="SP2D diantar ke satker")
    response = await post(client, f"/units/{unit}/innovations", body, h)
    assert response.status_code == 422
    problems = error_messages(response)
    assert any("pembeda" in p and "bagaimana masyarakat merasakan" in p for p in problems)
    assert db.exec(select(Innovation).where(Innovation.title == "SP2D antar")).first() is None

    body["pembeda_citizen_benefit"] = "Satker tidak perlu datang ke kantor"
    response = await post(client, f"/units/{unit}/innovations", body, h)
    assert response.status_code == 201, response.text
    # removing the pembeda later is refused as well
    response = await client.patch(f"/api/v1/innovations/{response.json()['id']}",
                                  json={"pembeda_citizen_benefit": ""}, headers=h)
    assert response.status_code == 422


async def test_parent_in_another_unit_is_unknown(client, db, world):
    other = (await post(client, f"/units/{world.unit('UNIT-B1')}/innovations",
                        innovation("B1 inovasi"), bearer(db, world, "UNIT-B1"))).json()
    response = await post(client, f"/units/{world.unit('UNIT-A1')}/innovations",
                          innovation("A1", started="2018-01-01", parent_id=other["id"]),
                          bearer(db, world))
    assert response.status_code == 422
    assert any("tidak ditemukan" in p for p in error_messages(response))


async def test_impact_improvement_hand_worked(client, db, world):
    h = bearer(db, world)
    inn = (await post(client, f"/units/{world.unit('UNIT-A1')}/innovations",
                      innovation("Antrean daring"), h)).json()
    # service time 120 -> 45 minutes: 75 minutes less, 75/120 = 5/8 = 62.5 %
    response = await post(client, f"/innovations/{inn['id']}/impacts", {
        "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "120",
        "before_on": "2017-01-10", "after_value": "45", "after_on": "2017-09-10"}, h)
    assert response.status_code == 201, response.text
    imp = response.json()["improvement"]
    assert imp["change"] in ("-75", "-75.0000")
    assert imp["gain"] in ("75", "75.0000")
    assert imp["relative_gain"] == "5/8"
    assert imp["relative_gain_percent"] == "62.50"
    assert imp["improved"] is True
    assert response.json()["direction"] == "lower_is_better"

    # IKM 76.5 -> 82.25 (higher is better): +5.75, 5.75/76.5 = 23/306 = 7.5163...% -> 7.52
    response = await post(client, f"/innovations/{inn['id']}/impacts", {
        "kind": "satisfaction_index", "measure_unit": "ikm", "before_value": "76.5",
        "before_on": "2017-01-10", "after_value": "82.25", "after_on": "2017-12-10"}, h)
    imp = response.json()["improvement"]
    assert imp["relative_gain"] == "23/306"
    assert imp["relative_gain_percent"] == "7.52"


async def test_impact_of_wrong_unit_or_type_refused(client, db, world):
    h = bearer(db, world)
    inn = (await post(client, f"/units/{world.unit('UNIT-A1')}/innovations",
                      innovation("X"), h)).json()
    base = {"kind": "service_time_minutes", "measure_unit": "rupiah", "before_value": "120",
            "before_on": "2017-01-10", "after_value": "45", "after_on": "2017-09-10"}
    response = await post(client, f"/innovations/{inn['id']}/impacts", base, h)
    assert response.status_code == 422
    assert any("Satuan 'rupiah' tidak sesuai" in p for p in error_messages(response))
    steps = base | {"kind": "steps", "measure_unit": "langkah", "after_value": "2.5"}
    response = await post(client, f"/innovations/{inn['id']}/impacts", steps, h)
    assert response.status_code == 422
    dates = base | {"measure_unit": "menit", "after_on": "2016-12-31"}
    response = await post(client, f"/innovations/{inn['id']}/impacts", dates, h)
    assert response.status_code == 422
    text = base | {"measure_unit": "menit", "before_value": "seratus"}
    response = await post(client, f"/innovations/{inn['id']}/impacts", text, h)
    assert response.status_code == 422
    listed = (await client.get(f"/api/v1/innovations/{inn['id']}/impacts", headers=h)).json()
    assert listed == []


async def test_commitment_shares_hand_worked(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    ids = {}
    for name, level in [("Kepala", "pimpinan"), ("Satpam 1", "satpam"), ("Satpam 2", "satpam"),
                        ("Satpam 3", "satpam"), ("Cleaning 1", "cleaning_service")]:
        r = await post(client, f"/units/{unit}/team/members", {"name": name, "level": level}, h)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    for name in ("Kepala", "Satpam 1", "Satpam 2"):
        r = await post(client, f"/units/{unit}/team/pacts",
                       {"member_id": ids[name], "signed_on": "2017-01-20"}, h)
        assert r.status_code == 201
    r = await post(client, f"/units/{unit}/team/activities", {
        "kind": "sosialisasi", "held_on": "2017-02-10", "title": "Sosialisasi ZI",
        "member_ids": [ids["Satpam 3"], ids["Cleaning 1"]]}, h)
    assert r.status_code == 201 and r.json()["member_ids"] == sorted(
        [ids["Satpam 3"], ids["Cleaning 1"]])
    summary = (await client.get(f"/api/v1/units/{unit}/team/commitment", headers=h)).json()
    satpam = next(x for x in summary["levels"] if x["level"] == "satpam")
    # 2 of 3 satpam signed = 66.67 %; 1 of 3 took part = 33.33 %
    assert (satpam["people"], satpam["signed"], satpam["took_part"]) == (3, 2, 1)
    assert satpam["signed_share"] == "2/3" and satpam["signed_percent"] == "66.67"
    assert satpam["took_part_percent"] == "33.33"
    cleaning = next(x for x in summary["levels"] if x["level"] == "cleaning_service")
    assert cleaning["signed_percent"] == "0.00" and cleaning["took_part_percent"] == "100.00"
    staf = next(x for x in summary["levels"] if x["level"] == "staf")
    assert staf["people"] == 0 and staf["signed_percent"] is None
    # overall: 3 of 5 signed = 60 %
    assert summary["overall"]["signed_percent"] == "60.00"
    assert summary["every_level_signed"] is False


async def test_attendance_of_another_units_member_refused(client, db, world):
    other = (await post(client, f"/units/{world.unit('UNIT-B1')}/team/members",
                        {"name": "Orang B", "level": "staf"}, bearer(db, world, "UNIT-B1"))).json()
    r = await post(client, f"/units/{world.unit('UNIT-A1')}/team/activities", {
        "kind": "rapat", "held_on": "2017-02-10", "title": "Rapat", "member_ids": [other["id"]]},
        bearer(db, world))
    assert r.status_code == 422
    r = await post(client, f"/units/{world.unit('UNIT-A1')}/team/pacts",
                   {"member_id": other["id"], "signed_on": "2017-01-20"}, bearer(db, world))
    assert r.status_code == 422


async def test_overdue_and_expiring_with_fixed_today(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    for activity, due, status, progress in [("Lewat", "2018-03-01", "berjalan", 40),
                                            ("Hari ini", "2018-03-02", "belum_mulai", 0),
                                            ("Selesai lewat", "2018-02-01", "selesai", 100)]:
        r = await post(client, f"/units/{unit}/action-items", {
            "area": "manajemen_perubahan", "activity": activity, "due_on": due,
            "status": status, "progress": progress}, h)
        assert r.status_code == 201, r.text
    items = (await client.get(f"/api/v1/units/{unit}/action-items?today=2018-03-02",
                              headers=h)).json()["items"]
    assert {i["activity"]: i["overdue"] for i in items} == {
        "Lewat": True, "Hari ini": False, "Selesai lewat": False}
    only = (await client.get(f"/api/v1/units/{unit}/action-items?today=2018-03-02&overdue=true",
                             headers=h)).json()
    assert only["total"] == 1 and only["items"][0]["activity"] == "Lewat"
    # done with progress 40 is inconsistent
    r = await post(client, f"/units/{unit}/action-items", {
        "area": "manajemen_perubahan", "activity": "X", "status": "selesai", "progress": 40}, h)
    assert r.status_code == 422

    for partner, expires in [("Bank 90 hari", "2018-05-31"), ("Bank 91 hari", "2018-06-01"),
                             ("Lewat", "2018-03-01")]:
        r = await post(client, f"/units/{unit}/partnerships", {
            "partner": partner, "kind": "bank", "signed_on": "2017-01-01",
            "expires_on": expires}, h)
        assert r.status_code == 201, r.text
    # 2018-03-02 + 90 days = 2018-05-31
    listed = (await client.get(f"/api/v1/units/{unit}/partnerships?today=2018-03-02",
                               headers=h)).json()["items"]
    assert {p["partner"]: p["state"] for p in listed} == {
        "Bank 90 hari": "expiring_soon", "Bank 91 hari": "active", "Lewat": "expired"}
    only = (await client.get(f"/api/v1/units/{unit}/partnerships?today=2018-03-02&expiring=true",
                             headers=h)).json()
    assert [p["partner"] for p in only["items"]] == ["Bank 90 hari"]
    r = await post(client, f"/units/{unit}/partnerships", {
        "partner": "Terbalik", "kind": "bank", "signed_on": "2018-01-01",
        "expires_on": "2017-12-31"}, h)
    assert r.status_code == 422


async def test_soft_delete_hides_but_keeps_with_audit(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    inn = (await post(client, f"/units/{unit}/innovations", innovation("Hapus saya"), h)).json()
    r = await client.delete(f"/api/v1/innovations/{inn['id']}", headers=h)
    assert r.status_code == 200 and r.json()["deleted_at"]
    assert (await client.get(f"/api/v1/innovations/{inn['id']}", headers=h)).status_code == 404
    listed = (await client.get(f"/api/v1/units/{unit}/innovations", headers=h)).json()
    assert listed["total"] == 0
    db.expire_all()
    kept = db.get(Innovation, inn["id"])
    assert kept is not None and kept.title == "Hapus saya" and kept.deleted_at is not None
    record = db.exec(select(AuditRecord).where(AuditRecord.entity == "innovation",
                                               AuditRecord.action == "delete")).one()
    assert record.before["title"] == "Hapus saya" and record.before["deleted_at"] is None
    assert record.entity_id == str(inn["id"]) and record.unit_id == unit


async def test_parent_cannot_be_deleted_while_built_on(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    a = (await post(client, f"/units/{unit}/innovations", innovation("Induk"), h)).json()
    await post(client, f"/units/{unit}/innovations",
               innovation("Anak", started="2018-01-01", parent_id=a["id"]), h)
    r = await client.delete(f"/api/v1/innovations/{a['id']}", headers=h)
    assert r.status_code == 409


async def test_update_audited_with_before_and_after(client, db, world):
    h = bearer(db, world)
    inn = (await post(client, f"/units/{world.unit('UNIT-A1')}/innovations",
                      innovation("Judul lama"), h)).json()
    r = await client.patch(f"/api/v1/innovations/{inn['id']}",
                           json={"title": "Judul baru", "stage": "replikasi"}, headers=h)
    assert r.status_code == 200
    record = db.exec(select(AuditRecord).where(AuditRecord.entity == "innovation",
                                               AuditRecord.action == "update")).one()
    assert record.before["title"] == "Judul lama" and record.after["title"] == "Judul baru"
    assert record.before["stage"] == "penerapan" and record.after["stage"] == "replikasi"
    assert record.actor_token_id is not None


async def test_cross_unit_refusals(client, db, world):
    b1 = bearer(db, world, "UNIT-B1")
    inn = (await post(client, f"/units/{world.unit('UNIT-B1')}/innovations",
                      innovation("Milik B1"), b1)).json()
    a1 = bearer(db, world)
    assert (await client.get(f"/api/v1/innovations/{inn['id']}", headers=a1)).status_code == 403
    r = await client.patch(f"/api/v1/innovations/{inn['id']}", json={"title": "Dibajak"},
                           headers=a1)
    assert r.status_code == 403
    assert (await client.delete(f"/api/v1/innovations/{inn['id']}", headers=a1)).status_code == 403
    r = await client.get(f"/api/v1/units/{world.unit('UNIT-B1')}/innovations", headers=a1)
    assert r.status_code == 403
    r = await post(client, f"/units/{world.unit('UNIT-B1')}/innovations", innovation("Z"), a1)
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Innovation, inn["id"]).title == "Milik B1"


async def test_token_scopes(client, db, world):
    unit = world.unit("UNIT-A1")
    read_only = bearer(db, world, scopes=("read",))
    r = await post(client, f"/units/{unit}/innovations", innovation("Tidak boleh"), read_only)
    assert r.status_code == 403
    assert (await client.get(f"/api/v1/units/{unit}/innovations",
                             headers=read_only)).status_code == 200
    surveys_only = bearer(db, world, scopes=("write:surveys",))
    r = await post(client, f"/units/{unit}/milestones",
                   {"kind": "pencanangan", "on_date": "2017-01-16"}, surveys_only)
    assert r.status_code == 403
    writer = bearer(db, world, scopes=("write:programme",))
    r = await post(client, f"/units/{unit}/milestones",
                   {"kind": "pencanangan", "on_date": "2017-01-16"}, writer)
    assert r.status_code == 201
    assert (await client.get(f"/api/v1/units/{unit}/innovations")).status_code == 401


async def test_pagination_and_filters(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    for i in range(5):
        await post(client, f"/units/{unit}/innovations",
                   innovation(f"I{i}", phase="wbk" if i < 3 else "wbbm",
                              started=f"2017-0{i + 1}-01"), h)
    page = (await client.get(f"/api/v1/units/{unit}/innovations?limit=2&offset=2",
                             headers=h)).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 2
    assert [x["title"] for x in page["items"]] == ["I2", "I1"]
    wbbm = (await client.get(f"/api/v1/units/{unit}/innovations?phase=wbbm", headers=h)).json()
    assert wbbm["total"] == 2
    r = await client.get(f"/api/v1/units/{unit}/innovations?limit=0", headers=h)
    assert r.status_code == 422
    r = await post(client, f"/units/{unit}/innovations", innovation("X") | {"bogus": 1}, h)
    assert r.status_code == 422


async def test_milestone_order(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    r = await post(client, f"/units/{unit}/milestones",
                   {"kind": "penetapan_wbk", "on_date": "2018-12-10"}, h)
    assert r.status_code == 422
    p = await post(client, f"/units/{unit}/milestones",
                   {"kind": "pencanangan", "on_date": "2017-01-16"}, h)
    u = await post(client, f"/units/{unit}/milestones",
                   {"kind": "usulan_wbk", "on_date": "2018-06-01"}, h)
    assert u.status_code == 201
    # the proposal needs the declaration: deleting it is refused
    r = await client.delete(f"/api/v1/milestones/{p.json()['id']}", headers=h)
    assert r.status_code == 422
    r = await post(client, f"/units/{unit}/milestones", {"kind": "custom", "on_date": "2018-01-01"},
                   h)
    assert r.status_code == 422


async def test_lke_suggestions_with_innovations_as_evidence(client, db, world):
    h = bearer(db, world)
    unit = world.unit("UNIT-A1")
    inn = (await post(client, f"/units/{unit}/innovations", innovation(
        "Drive-thru", stage="replikasi", services=["SP2D"], differs_from_other_units=True,
        brings_service_closer=True), h)).json()
    await post(client, f"/innovations/{inn['id']}/impacts", {
        "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "120",
        "before_on": "2017-01-10", "after_value": "45", "after_on": "2017-09-10"}, h)
    r = await client.get(f"/api/v1/units/{unit}/lke-suggestions?service=SP2D&service=Konsultasi"
                         "&simplified=SP2D", headers=h)
    got = {x["ref"]: x for x in r.json()["suggestions"]}
    assert got["PPF2F"]["option"] == "A" and got["PPF2F"]["evidence_innovation_ids"] == [inn["id"]]
    # 1 of 2 registered services improved = 1/2, not above 1/2 -> C
    assert got["PRF1A"]["option"] == "C"
    assert got["PRF1B"]["ratio"] == "1/2"
    assert any("Drive-thru" in reason for reason in got["PPF2F"]["reasons"])
