"""The season's pages (Indonesian): inbox with bell count, mark read / all read, opening a
notification goes to its thing; the e-mail preferences; the calendar set by an admin and by
a regional office, refused for a coordinator, bad dates listed and nothing stored."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from app.domain.season import calendar as cal
from app.models.season import EvaluationCalendar, Notification, NotificationPreference
from app.services.season import calendar as season_calendar
from app.services.season import notify
from tests.factories import login, principal


def _notes(db, world, n=3):
    for i in range(n):
        notify.notify(db, kind="campaign_closed", user_ids=[world.users["coord_a1"]],
                      unit_id=world.unit("UNIT-A1"), link=f"/units/{world.unit('UNIT-A1')}",
                      params={"unit": "KPPN A1", "title": f"Survei {i}", "period": "2026-S1",
                              "count": 10 + i})
    notify.notify(db, kind="campaign_closed", user_ids=[world.users["coord_b1"]],
                  unit_id=world.unit("UNIT-B1"), link="/", params={"unit": "KPPN B1",
                                                                   "title": "Lain"})
    db.commit()


async def test_inbox_bell_and_reading(client, db, world):
    _notes(db, world)
    csrf = await login(client, "coord_a1")
    bell = await client.get("/notifications/bell")
    assert '<span class="bell-count" aria-hidden="true">3</span>' in bell.text
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert "3 belum dibaca" in page.text
    assert 'KPPN A1: survei "Survei 2" ditutup' in page.text.replace("&#34;", '"')
    assert "Periode 2026-S1; 12 responden." in page.text
    assert "Lain" not in page.text  # another person's notification
    first = db.exec(select(Notification).where(
        Notification.user_id == world.users["coord_a1"]).order_by(Notification.id)).first()
    r = await client.post(f"/notifications/{first.id}/open", data={"csrf_token": csrf})
    assert (r.status_code, r.headers["location"]) == (303, f"/units/{world.unit('UNIT-A1')}")
    assert "2 belum dibaca" in (await client.get("/notifications")).text
    other = db.exec(select(Notification).where(
        Notification.user_id == world.users["coord_b1"])).one()
    r = await client.post(f"/notifications/{other.id}/read", data={"csrf_token": csrf})
    assert r.status_code == 404
    db.expire_all()
    assert db.get(Notification, other.id).read_at is None
    r = await client.post("/notifications/read-all", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert "Semua sudah dibaca." in (await client.get("/notifications")).text
    assert "bell-count" not in (await client.get("/notifications/bell")).text


async def test_preferences(client, db, world):
    csrf = await login(client, "viewer_a1")
    page = await client.get("/notifications/preferences")
    assert page.status_code == 200 and "Ringkasan harian" in page.text
    r = await client.post("/notifications/preferences", data={
        "csrf_token": csrf, "mode_deadline": "digest", "mode_campaign_closed": "none"})
    assert r.status_code == 200 and "Pilihan tersimpan." in r.text
    chosen = dict(db.exec(select(NotificationPreference.kind, NotificationPreference.mode)
                          .where(NotificationPreference.user_id == world.users["viewer_a1"])
                          ).all())
    assert chosen["deadline"] == "digest" and chosen["campaign_closed"] == "none"
    assert chosen["assessment_returned"] == "now"
    r = await client.post("/notifications/preferences", data={
        "csrf_token": csrf, "mode_deadline": "weekly"})
    assert r.status_code == 422 and "pilihan &#39;weekly&#39; tidak dikenal" in r.text
    db.expire_all()
    assert db.exec(select(NotificationPreference).where(
        NotificationPreference.kind == "deadline")).one().mode == "digest"


async def test_calendar_set_by_admin_and_regional_office(client, make_client, db, world):
    csrf = await login(client, "admin")
    form = {"csrf_token": csrf, "scope": "all", "year": "2026",
            "self_assessment_due": "2026-03-31", "regional_review_due": "2026-04-30",
            "tpi_review_due": "2026-06-15", "national_proposal_due": "2026-07-31",
            "period_0_label": "2026-S1", "period_0_opens": "2026-01-01",
            "period_0_closes": "2026-06-30"}
    r = await client.post("/calendar", data=form)
    assert (r.status_code, r.headers["location"]) == (303, "/calendar?year=2026")
    row = db.exec(select(EvaluationCalendar)).one()
    assert (row.unit_id, row.self_assessment_due, row.survey_periods) == (
        None, date(2026, 3, 31),
        [{"label": "2026-S1", "opens_on": "2026-01-01", "closes_on": "2026-06-30"}])
    page = await client.get("/calendar?year=2026")
    assert "31-03-2026" in page.text and "Seluruh unit" in page.text
    # dates out of order: listed, nothing changed
    r = await client.post("/calendar", data={**form, "regional_review_due": "2026-03-01",
                                             "tpi_review_due": "bukan-tanggal"})
    assert r.status_code == 422
    assert "tanggal tidak valid" in r.text and "tidak boleh sebelum" in r.text
    db.expire_all()
    assert db.exec(select(EvaluationCalendar)).one().regional_review_due == date(2026, 4, 30)

    kanwil = make_client()
    csrf_k = await login(kanwil, "reviewer_a")
    page = await kanwil.get("/calendar?year=2026")
    assert "Atur: Kanwil A" in page.text and "Seluruh unit (semua kantor)" not in page.text
    r = await kanwil.post("/calendar", data={**form, "csrf_token": csrf_k,
                                             "scope": str(world.unit("KANWIL-A")),
                                             "self_assessment_due": "2026-03-20"})
    assert r.status_code == 303
    r = await kanwil.post("/calendar", data={**form, "csrf_token": csrf_k,
                                             "scope": str(world.unit("KANWIL-B"))})
    assert r.status_code == 403
    r = await kanwil.post("/calendar", data={**form, "csrf_token": csrf_k, "scope": "all"})
    assert r.status_code == 403
    # the unit's own regional office's calendar wins over the whole tree's
    season = season_calendar.unit_season(db, actor=principal(db, world, "admin"),
                                         unit_id=world.unit("UNIT-A1"), year=2026)
    assert season.calendar.unit_id == world.unit("KANWIL-A")
    assert season.states[0].due == date(2026, 3, 20)
    assert season.states[1].due == date(2026, 4, 30)
    other = season_calendar.unit_season(db, actor=None, unit_id=world.unit("UNIT-B1"),
                                        year=2026)
    assert other.calendar.unit_id is None and other.states[0].due == date(2026, 3, 31)

    coord = make_client()
    csrf_c = await login(coord, "coord_a1")
    r = await coord.post("/calendar", data={**form, "csrf_token": csrf_c})
    assert r.status_code == 403
    unit_page = await coord.get(f"/units/{world.unit('UNIT-A1')}/calendar")
    assert unit_page.status_code == 200 and "20-03-2026" in unit_page.text
    office_page = await kanwil.get(f"/units/{world.unit('KANWIL-A')}/calendar")
    assert "mengikuti kalender ini" in office_page.text and "terlambat" not in office_page.text
    assert len(db.exec(select(EvaluationCalendar)).all()) == 2
    assert cal.STEPS[0] == "self_assessment"


async def test_the_bell_shows_the_count_without_javascript(client, make_client, db, world):
    """A plain GET (no script runs) of any page shows the unread count in the header."""
    _notes(db, world)
    await login(client, "coord_a1")
    for path in (f"/units/{world.unit('UNIT-A1')}", f"/units/{world.unit('UNIT-A1')}/evidence"):
        page = (await client.get(path)).text
        bell = page.split('id="bell"', 1)[1].split("</a>", 1)[0]
        assert '<span class="bell-count" aria-hidden="true">3</span>' in bell, path
        assert "(3 belum dibaca)" in bell
        assert 'hx-trigger="load"' not in bell  # no request needed to show it
    # Someone with nothing unread: the bell without a count.
    member = make_client()
    await login(member, "member_a1")
    page = (await member.get(f"/units/{world.unit('UNIT-A1')}")).text
    assert 'id="bell"' in page and "bell-count" not in page
