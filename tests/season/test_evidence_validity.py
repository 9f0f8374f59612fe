"""Evidence past its validity: an optional "valid until" date set on upload / link and changed
afterwards (page and API, audited, bad dates refused with nothing changed); the library marks
expired evidence "kedaluwarsa"; the daily check warns the unit's coordinator(s) and the
uploader (while still a member) 14 days ahead (once) and once expired, with worked dates;
running the day again sends nothing more."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.domain.season import messages
from app.models.audit import AuditRecord
from app.models.lke.evidence import Evidence
from app.models.season import Notification
from app.services.lke import evidence as evidence_svc
from app.services.season.jobs import Runner, check_evidence
from tests.factories import login, principal
from tests.support.lke_review import PDF

WIB = ZoneInfo("Asia/Jakarta")


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=WIB)


def _notes(db, kind=None):
    db.expire_all()
    query = select(Notification).where(
        Notification.kind.in_([messages.EVIDENCE_EXPIRING, messages.EVIDENCE_EXPIRED]))
    if kind:
        query = query.where(Notification.kind == kind)
    return [(n.kind, n.user_id, n.params["title"], n.params["days_left"])
            for n in db.exec(query.order_by(Notification.id))]


def _audit(db, evidence_id):
    db.expire_all()
    return [(a.action, (a.before or {}).get("valid_until"), (a.after or {}).get("valid_until"))
            for a in db.exec(select(AuditRecord).where(
                AuditRecord.entity == "evidence", AuditRecord.entity_id == str(evidence_id))
                .order_by(AuditRecord.id))]


async def test_api_sets_and_changes_the_validity(client, make_client, world, db):
    csrf = await login(client, "member_a1")
    unit = world.unit("UNIT-A1")
    headers = {"X-CSRF-Token": csrf}
    r = await client.post(f"/api/v1/units/{unit}/evidence",
                          data={"title": "Sertifikat ISO", "valid_until": "2027-03-24"},
                          files={"file": ("iso.pdf", PDF, "application/pdf")}, headers=headers)
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]
    assert r.json()["valid_until"] == "2027-03-24"
    r = await client.post(f"/api/v1/units/{unit}/evidence/links", headers=headers,
                          json={"url": "https://kppn.go.id/sk.pdf", "title": "SK",
                                "valid_until": "2027-04-30"})
    assert (r.status_code, r.json()["valid_until"]) == (201, "2027-04-30")
    link_id = r.json()["id"]
    # A date far from any real validity, or not a date: refused, nothing stored.
    for bad in ("1900-01-01", "31-02-2027"):
        r = await client.post(f"/api/v1/units/{unit}/evidence/links", headers=headers,
                              json={"url": "https://kppn.go.id/x.pdf", "valid_until": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert len(db.exec(select(Evidence)).all()) == 2
    # Changed, then cleared; each change audited with before and after.
    r = await client.patch(f"/api/v1/evidence/{file_id}", json={"valid_until": "2027-05-01"},
                           headers=headers)
    assert (r.status_code, r.json()["valid_until"]) == (200, "2027-05-01")
    r = await client.patch(f"/api/v1/evidence/{file_id}", json={"valid_until": None},
                           headers=headers)
    assert (r.status_code, r.json()["valid_until"]) == (200, None)
    r = await client.patch(f"/api/v1/evidence/{file_id}", json={"valid_until": "2200-01-01"},
                           headers=headers)
    assert r.status_code == 422
    assert _audit(db, file_id) == [("upload", None, "2027-03-24"),
                                   ("update", "2027-03-24", "2027-05-01"),
                                   ("update", "2027-05-01", None)]
    assert _audit(db, link_id) == [("create", None, "2027-04-30")]
    # Another unit's coordinator may not change it.
    other = make_client()
    other_csrf = await login(other, "coord_b1")
    r = await other.patch(f"/api/v1/evidence/{link_id}", json={"valid_until": "2030-01-01"},
                          headers={"X-CSRF-Token": other_csrf})
    assert r.status_code in (403, 404)
    db.expire_all()
    assert db.get(Evidence, link_id).valid_until == date(2027, 4, 30)


async def test_library_page_sets_edits_and_marks_expired(client, world, db):
    csrf = await login(client, "coord_a1")
    unit = world.unit("UNIT-A1")
    r = await client.post(f"/units/{unit}/evidence/links", data={
        "csrf_token": csrf, "url": "https://kppn.go.id/sk-lama.pdf", "title": "SK lama",
        "valid_until": "2000-01-31"})
    assert r.status_code == 303, r.text
    row = db.exec(select(Evidence).where(Evidence.title == "SK lama")).one()
    assert row.valid_until == date(2000, 1, 31)
    page = (await client.get(f"/units/{unit}/evidence")).text
    assert "31-01-2000" in page and "kedaluwarsa" in page
    # Renewed to a date well ahead: no longer marked.
    ahead = date.today() + timedelta(days=400)
    r = await client.post(f"/evidence/{row.id}/validity", data={
        "csrf_token": csrf, "valid_until": ahead.isoformat()})
    assert r.status_code == 303
    page = (await client.get(f"/units/{unit}/evidence")).text
    assert ahead.strftime("%d-%m-%Y") in page and "kedaluwarsa" not in page
    # Not a date: an Indonesian message, nothing changed.
    r = await client.post(f"/evidence/{row.id}/validity", data={
        "csrf_token": csrf, "valid_until": "besok"})
    assert r.status_code == 422
    assert "Berlaku sampai" in r.text
    db.expire_all()
    assert db.get(Evidence, row.id).valid_until == ahead
    # Emptied: valid without end.
    r = await client.post(f"/evidence/{row.id}/validity", data={
        "csrf_token": csrf, "valid_until": ""})
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Evidence, row.id).valid_until is None
    # The new kinds have their e-mail choice like the others.
    prefs = (await client.get("/notifications/preferences")).text
    assert "Eviden segera habis masa berlakunya" in prefs and "Eviden kedaluwarsa" in prefs


def test_daily_check_warns_14_days_ahead_and_once_expired(db, world, engine, settings):
    unit = world.unit("UNIT-A1")
    coord, member = world.users["coord_a1"], world.users["member_a1"]
    member_actor = principal(db, world, "member_a1")
    iso = evidence_svc.add_link(db, actor=member_actor, unit_id=unit, title="Sertifikat ISO",
                                url="https://kppn.go.id/iso.pdf", valid_until=date(2027, 3, 24))
    # Uploaded by someone who is not (any more) a member of the unit: the coordinator only.
    sk = Evidence(unit_id=unit, kind="link", title="SK Tim", url="https://kppn.go.id/sk.pdf",
                  uploaded_by=world.users["member_b1"], uploaded_by_label="Member_B1",
                  valid_until=date(2027, 3, 10))
    far = Evidence(unit_id=unit, kind="link", title="Jauh", url="https://kppn.go.id/j.pdf",
                   valid_until=date(2027, 6, 30))
    gone = Evidence(unit_id=unit, kind="link", title="Dihapus", url="https://kppn.go.id/d.pdf",
                    valid_until=date(2027, 3, 12), deleted_at=at("2027-01-01"))
    db.add_all([sk, far, gone])
    db.commit()

    runner = Runner(engine, settings, name="replica-1")
    # 9 March: the ISO certificate has 15 days left (24 - 9), SK Tim 1 day: only SK Tim.
    for _ in range(2):
        runner.run_once(at("2027-03-09"))
        Runner(engine, settings, name="replica-2").run_once(at("2027-03-09", 9))
    assert _notes(db) == [("evidence_expiring", coord, "SK Tim", 1)]
    # 10 March: ISO 14 days left -> coordinator and the uploader (a member); SK Tim's day
    # itself is still valid: nothing new for it.
    for hour in (8, 12):
        runner.run_once(at("2027-03-10", hour))
    assert check_evidence(db, at("2027-03-10", 13)) == 0  # a scan again: nothing new
    assert _notes(db)[1:] == [("evidence_expiring", coord, "Sertifikat ISO", 14),
                              ("evidence_expiring", member, "Sertifikat ISO", 14)]
    # 11 March: SK Tim expired yesterday -> once, to the coordinator.
    runner.run_once(at("2027-03-11"))
    runner.run_once(at("2027-03-11", 15))
    assert _notes(db, "evidence_expired") == [("evidence_expired", coord, "SK Tim", -1)]
    # 25 March: ISO expired (24 March was its last day).
    runner.run_once(at("2027-03-24"))
    assert len(_notes(db, "evidence_expired")) == 1
    runner.run_once(at("2027-03-25"))
    runner.run_once(at("2027-03-25", 16))
    assert _notes(db, "evidence_expired")[1:] == [
        ("evidence_expired", coord, "Sertifikat ISO", -1),
        ("evidence_expired", member, "Sertifikat ISO", -1)]
    # Renewed to 10 April: warned again 14 days before the new date (27 March), once.
    evidence_svc.set_valid_until(db, actor=member_actor, evidence_id=iso.id,
                                 valid_until=date(2027, 4, 10))
    assert check_evidence(db, at("2027-03-26")) == 0  # 15 days left
    assert check_evidence(db, at("2027-03-27")) == 2
    assert check_evidence(db, at("2027-03-27", 20)) == 0
    db.commit()
    assert len(_notes(db)) == 8
    # The messages, in Indonesian and English, from the stored parameters.
    note = db.exec(select(Notification).where(
        Notification.kind == "evidence_expired", Notification.user_id == member)).one()
    assert messages.message(note.kind, note.params) == (
        'KPPN A1: eviden "Sertifikat ISO" kedaluwarsa',
        "Eviden hanya berlaku sampai 24-03-2027. Ganti dengan yang masih berlaku.")
    assert messages.message(note.kind, note.params, "en")[0] == (
        'KPPN A1: evidence "Sertifikat ISO" expired')
    first = db.exec(select(Notification).where(
        Notification.kind == "evidence_expiring", Notification.user_id == member)
        .order_by(Notification.id)).first()
    assert messages.message(first.kind, first.params)[0] == (
        'KPPN A1: eviden "Sertifikat ISO" berakhir dalam 14 hari')
    assert messages.message(first.kind, first.params, "en")[0] == (
        'KPPN A1: evidence "Sertifikat ISO" expires in 14 days')
    assert first.link == f"/units/{unit}/evidence#evidence-{iso.id}"


async def test_worksheet_panel_sets_the_validity_and_marks_expired(client, world, db):
    from app.services.lke import frameworks
    from tests.support.lke_review import new_assessment

    frameworks.sync_bundled(db)
    a = new_assessment(db, world, year=2026)
    csrf = await login(client, "member_a1")
    r = await client.post(f"/assessments/{a.id}/questions/PPA1A/evidence/url", data={
        "csrf_token": csrf, "url": "https://kppn.go.id/sk-2019.pdf", "title": "SK 2019",
        "valid_until": "2019-12-31"})
    assert r.status_code == 303, r.text
    row = db.exec(select(Evidence).where(Evidence.title == "SK 2019")).one()
    assert row.valid_until == date(2019, 12, 31)
    panel = (await client.get(f"/assessments/{a.id}/questions/PPA1A/evidence")).text
    item = panel.split("SK 2019", 1)[1].split("</li>", 1)[0]
    assert "kedaluwarsa" in item
    r = await client.post(f"/assessments/{a.id}/questions/PPA1A/evidence/url", data={
        "csrf_token": csrf, "url": "https://kppn.go.id/x.pdf", "valid_until": "1800-01-01"})
    assert r.status_code == 422 and "antara tahun 2000 dan 2100" in r.text
    assert len(db.exec(select(Evidence)).all()) == 1
