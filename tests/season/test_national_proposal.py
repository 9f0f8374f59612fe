"""The step "Usulan ke Tim Penilai Nasional": done for a unit when its assessment of the year is
final (the TPI accepted it). While it is not, the daily check reminds 7 days ahead, 1 day
ahead and once passed, to the TPI reviewers (the eselon I unit's) and the unit's
coordinator(s); a final unit is not reminded; running the day again sends nothing more. The
oversight table and the unit's dashboard show the step done once final."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.domain.season import calendar as cal
from app.domain.season import messages
from app.models.lke.assessments import Assessment
from app.models.season import Notification
from app.services.season import calendar as season_calendar
from app.services.season.jobs import Runner, check_deadlines
from tests.factories import login, principal
from tests.support.lke_review import new_assessment

WIB = ZoneInfo("Asia/Jakarta")


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=WIB)


def _proposal_notes(db):
    db.expire_all()
    return [(n.unit_id, n.user_id, n.params["stage"], n.params["days_left"])
            for n in db.exec(select(Notification).where(Notification.kind == "deadline")
                             .order_by(Notification.id))
            if n.params.get("step") == cal.NATIONAL_PROPOSAL]


def _final(db, world, unit_code, year):
    a = new_assessment(db, world, unit=unit_code, year=year)
    a.status = "final"  # the TPI accepted it (the review chain is tested in tests/lke)
    db.add(a)
    db.commit()
    return a


def test_reminded_to_the_tpi_and_the_coordinator_until_final(db, world, engine, settings):
    admin = principal(db, world, "admin")
    # Only the proposal has a date: no other step's reminder gets in the way.
    season_calendar.set_calendar(db, actor=admin, unit_id=None, year=2027,
                                 dues={cal.NATIONAL_PROPOSAL: date(2027, 7, 31)})
    _final(db, world, "UNIT-A1", 2027)  # A1 is done; A2 (no coordinator) and B1 are not
    tpi, coord_b1 = world.users["tpi"], world.users["coord_b1"]
    a2, b1 = world.unit("UNIT-A2"), world.unit("UNIT-B1")
    runner = Runner(engine, settings, name="replica-1")
    expected: list = []
    # 31 July - 23 July = 8 days: nothing yet; 24 July = 7 days; 30 July = 1 day;
    # 31 July the due day (already reminded "1 day"); 1 August: passed by 1 day.
    days = {"2027-07-23": [], "2027-07-24": [("due_7", 7)], "2027-07-29": [],
            "2027-07-30": [("due_1", 1)], "2027-07-31": [], "2027-08-01": [("passed", -1)],
            "2027-08-05": []}
    for day, stages in days.items():
        for hour in (8, 13):  # twice the same day, from two "replicas"
            runner.run_once(at(day, hour))
            Runner(engine, settings, name="replica-2").run_once(at(day, hour + 1))
        assert check_deadlines(db, at(day, 20)) == 0  # the check again: nothing new
        db.commit()
        for stage, left in stages:
            expected += [(a2, tpi, stage, left), (b1, tpi, stage, left),
                         (b1, coord_b1, stage, left)]
        assert _proposal_notes(db) == expected, day
    note = db.exec(select(Notification).where(Notification.kind == "deadline",
                                              Notification.user_id == coord_b1)
                   .order_by(Notification.id)).first()
    assert messages.message(note.kind, note.params) == (
        "KPPN B1: tenggat usulan ke Tim Penilai Nasional dalam 7 hari",
        "Tenggat usulan ke Tim Penilai Nasional tahun 2027: 31-07-2027.")
    assert messages.message(note.kind, note.params, "en")[0] == (
        "KPPN B1: proposal to the national team deadline in 7 days")
    # Nothing went to the final unit's people, nor to the regional reviewers.
    people = {u for _unit, u, _s, _d in _proposal_notes(db)}
    assert people == {tpi, coord_b1}


def test_final_shows_the_proposal_done(db, world):
    year = season_calendar.local_today("Asia/Jakarta").year
    season_calendar.set_calendar(db, actor=principal(db, world, "admin"), unit_id=None,
                                 year=year, dues={cal.NATIONAL_PROPOSAL: date(year, 12, 31)})
    a = _final(db, world, "UNIT-A1", year)
    season = season_calendar.unit_season(db, actor=None, unit_id=world.unit("UNIT-A1"))
    assert season.finished and season.next is None
    assert [s.done for s in season.states] == [True, True, True, True]
    other = season_calendar.unit_season(db, actor=None, unit_id=world.unit("UNIT-A2"))
    assert not other.finished and other.states[-1].done is False
    assert db.get(Assessment, a.id).status == "final"


async def test_oversight_and_dashboard_show_the_proposal_done(client, make_client, db, world):
    year = season_calendar.local_today("Asia/Jakarta").year
    season_calendar.set_calendar(db, actor=principal(db, world, "admin"), unit_id=None,
                                 year=year, dues={cal.NATIONAL_PROPOSAL: date(year, 12, 31)})
    _final(db, world, "UNIT-A1", year)
    await login(client, "tpi")
    page = (await client.get(f"/oversight?year={year}")).text
    row_a1 = page.split("KPPN A1", 1)[1].split("</tr>", 1)[0]
    assert "Usulan ke Tim Penilai Nasional" in row_a1 and "selesai" in row_a1
    row_a2 = page.split("KPPN A2", 1)[1].split("</tr>", 1)[0]
    assert "Usulan ke Tim Penilai Nasional" in row_a2 and "selesai" not in row_a2
    coordinator = make_client()
    await login(coordinator, "coord_a1")
    dash = (await coordinator.get(f"/units/{world.unit('UNIT-A1')}")).text
    card = dash.split('id="dash-season"', 1)[1].split("</section>", 1)[0]
    assert "Usulan ke Tim Penilai Nasional" in card and "selesai" in card
