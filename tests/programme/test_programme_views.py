"""The unit dashboard's programme cards, the timeline page and the programme demo, against the
migrated database, through the pages a person uses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import func, select

from app.domain.programme import LkeScore, PartnershipState, SurveyPoint, TeamLevel
from app.models.audit import AuditRecord
from app.models.programme import Innovation, IntegrityPact, TeamMember
from app.services import demo, units
from app.services.integration import timeline, timeline_sources
from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    overview,
    partnerships,
    pillars,
    team,
)
from app.web import units as dashboard
from tests.factories import login

TODAY = date(2019, 6, 1)


def _programme(db, unit_id):
    """A small hand-made programme (numbers worked out in the tests below)."""
    p1 = pillars.create_pillar(db, actor=None, unit_id=unit_id, data={
        "name": "Layanan tanpa tatap muka", "target_year": 2019, "position": 1})
    pillars.create_pillar(db, actor=None, unit_id=unit_id, data={
        "name": "Budaya kerja", "position": 2})
    wbk = innovations.create_innovation(db, actor=None, unit_id=unit_id, data={
        "title": "Antrean daring", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2017, 4, 3),
        "launched_on": date(2017, 9, 1), "pillar_id": p1.id})
    innovations.create_innovation(db, actor=None, unit_id=unit_id, data={
        "title": "Tanpa tatap muka", "stage": "replikasi", "phase": "wbbm",
        "change_area": "pelayanan_publik", "started_on": date(2019, 1, 14),
        "parent_id": wbk.id, "pembeda_what_is_new": "Tanda tangan elektronik",
        "pembeda_citizen_benefit": "Tidak perlu datang"})
    innovations.create_innovation(db, actor=None, unit_id=unit_id, data={
        "title": "Klinik desa", "stage": "uji_coba", "phase": "wbbm",
        "change_area": "pelayanan_publik", "started_on": date(2019, 3, 1)})
    people = {}
    for name, level in [("Kepala", "pimpinan"), ("Kasi", "pejabat"), ("Staf 1", "staf"),
                        ("Staf 2", "staf"), ("Satpam", "satpam"), ("Kebersihan", "cleaning_service")]:
        people[name] = team.create_member(db, actor=None, unit_id=unit_id,
                                          data={"name": name, "level": level}).id
    for name in ("Kepala", "Kasi", "Staf 1", "Satpam"):
        team.create_pact(db, actor=None, unit_id=unit_id,
                         data={"member_id": people[name], "signed_on": date(2017, 2, 14)})
    team.create_activity(db, actor=None, unit_id=unit_id, data={
        "kind": "sosialisasi", "held_on": date(2017, 2, 14), "title": "Sosialisasi",
        "member_ids": [people["Kepala"], people["Staf 1"], people["Kebersihan"]]})
    for activity, status, progress, due in [
        ("Selesai", "selesai", 100, TODAY - timedelta(days=100)),
        ("Terlambat lama", "berjalan", 50, TODAY - timedelta(days=30)),
        ("Terlambat sebentar", "belum_mulai", 0, TODAY - timedelta(days=1)),
        ("Jatuh tempo hari ini", "berjalan", 20, TODAY),
    ]:
        action_plan.create_action_item(db, actor=None, unit_id=unit_id, data={
            "area": "pelayanan_publik", "activity": activity, "status": status,
            "progress": progress, "due_on": due, "pillar_id": p1.id})
    for partner, expires in [("Pemkab", TODAY + timedelta(days=90)),
                             ("Bank", TODAY + timedelta(days=91)),
                             ("Kampus", TODAY - timedelta(days=10))]:
        partnerships.create_partnership(db, actor=None, unit_id=unit_id, data={
            "partner": partner, "kind": "pemda", "signed_on": date(2017, 1, 1),
            "expires_on": expires})
    return people


def test_overview_numbers_are_the_hand_counted_ones(db, world):
    unit = units.get(db, unit_id=world.unit("UNIT-A1"))
    _programme(db, unit.id)
    o = overview.unit_overview(db, unit=unit, today=TODAY)

    assert (o.innovations.total, o.innovations.phase_total("wbk"),
            o.innovations.phase_total("wbbm")) == (3, 1, 2)
    assert o.innovations.count("wbbm", "uji_coba") == 1
    assert o.innovations.count("wbk", "inisiatif") == 0
    assert o.innovations.developed == 1  # the WBBM one built on the WBK one
    assert o.innovations.launched == 1

    s = o.team.summary
    assert (s.overall.people, s.overall.signed, s.overall.took_part) == (6, 4, 3)
    assert (s.level(TeamLevel.STAF).signed, s.level(TeamLevel.STAF).people) == (1, 2)
    assert s.level(TeamLevel.CLEANING_SERVICE).signed == 0
    assert s.level(TeamLevel.CLEANING_SERVICE).took_part == 1
    assert s.level(TeamLevel.PPNPN).people == 0
    assert o.team.activities == 1

    # 4 items: mean progress (100 + 50 + 0 + 20) / 4 = 42.5; the one due today is not late
    assert o.plan.mean_progress == Decimal("42.5")
    assert [(i.item.activity, i.days_late) for i in o.overdue] == [
        ("Terlambat lama", 30), ("Terlambat sebentar", 1)]
    first, second = o.pillars
    assert first.pillar.name == "Layanan tanpa tatap muka" and first.actions.overdue == 2
    assert first.innovations == 1 and second.actions.items == 0
    assert o.untagged_items == 0

    # 90 days left = expiring soon; 91 = still active; ended 10 days ago = shown as expired
    assert o.partnerships[PartnershipState.EXPIRING_SOON] == 1
    assert o.partnerships[PartnershipState.ACTIVE] == 1
    assert [(e.partnership.partner, e.days_left) for e in o.expiring] == [
        ("Kampus", -10), ("Pemkab", 90)]


async def test_dashboard_shows_the_cards_and_keeps_slot_order(client, db, world):
    _programme(db, world.unit("UNIT-A1"))
    await login(client, "viewer_a1")
    page = await client.get(f"/units/{world.unit('UNIT-A1')}")
    assert page.status_code == 200
    html = page.text
    order = [html.index(f'id="{card}"') for card in (
        "dash-lke", "dash-surveys", "dash-innovations", "dash-team", "dash-pillars",
        "dash-overdue", "dash-partners", "predicates")]
    assert order == sorted(order)
    assert "Tanpa tatap muka" not in html  # the dashboard counts, it does not list
    assert "Terlambat lama" in html and "terlambat" in html
    assert "4 dari 6 orang menandatangani pakta integritas (67%)" in html
    assert 'style="' not in html  # CSP: no inline styles


async def test_a_capability_fills_a_reserved_slot(client, db, world, monkeypatch):
    def lke_panel(session, principal, unit, read):
        return {"template": "pages/units/slot_surveys.html", "context": {}, "slot": "lke",
                "order": dashboard.PANEL_ORDER["lke"]}

    # only this panel: the real LKE card (app.web.lke.worksheet) fills the slot with the same id
    monkeypatch.setattr(dashboard, "DASHBOARD_PANELS", [lke_panel])
    await login(client, "viewer_a1")
    html = (await client.get(f"/units/{world.unit('UNIT-A1')}")).text
    assert 'id="dash-lke"' not in html  # the empty LKE card gave way to the panel
    assert html.count('id="dash-surveys"') == 2


async def test_timeline_page_tells_the_road_and_plugs_in_sources(client, db, world, monkeypatch):
    unit_id = world.unit("UNIT-A1")
    _programme(db, unit_id)
    for kind, on in [("pencanangan", date(2017, 2, 14)), ("usulan_wbk", date(2018, 5, 28))]:
        milestones.create_milestone(db, actor=None, unit_id=unit_id,
                                    data={"kind": kind, "on_date": on, "title": f"T {kind}"})
    units.add_predicate(db, actor=None, unit_id=unit_id, predicate="WBK", year=2018,
                        decree_number="KEP-77/2018", decree_date=date(2018, 12, 10))
    await login(client, "member_a1")
    html = (await client.get(f"/units/{unit_id}/timeline")).text
    for year in (2017, 2018, 2019):
        assert f'id="tahun-{year}"' in html
    assert "KEP-77/2018" in html and "Antrean daring" in html
    assert "Nilai LKE" not in html and "Indeks survei" not in html  # no source, no numbers

    monkeypatch.setattr(timeline_sources, "survey_points", lambda session, unit: [
        SurveyPoint(date(2018, 12, 20), "ikm", Decimal("86.456"))])
    monkeypatch.setattr(timeline_sources, "lke_scores", lambda session, unit: [
        LkeScore(date(2018, 4, 30), Decimal("78.525"), "tpi")])
    html = (await client.get(f"/units/{unit_id}/timeline")).text
    assert "86,46" in html and "78,53" in html  # Indonesian display, rounded half up
    html_en = (await client.get(f"/units/{unit_id}/timeline?lang=en")).text
    assert "78.53" in html_en and "Integrity Zone journey" in html_en


async def test_another_units_people_cannot_see_the_timeline(client, world):
    url = f"/units/{world.unit('UNIT-A1')}/timeline"
    anonymous = await client.get(url)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, "member_b1")
    assert (await client.get(url)).status_code == 403
    assert (await client.get(f"/units/{world.unit('UNIT-A1')}")).status_code == 403


async def test_the_reviewer_above_sees_the_units_timeline(client, world):
    await login(client, "reviewer_a")
    assert (await client.get(f"/units/{world.unit('UNIT-A1')}/timeline")).status_code == 200


def test_demo_is_labelled_honest_and_idempotent(db):
    first = demo.load(db)
    unit_id = first.unit_ids["KPPN-TJP"]
    innovation_rows = db.exec(select(Innovation).where(Innovation.unit_id == unit_id)).all()
    assert len(innovation_rows) == 3 and all("(demo)" in i.title for i in innovation_rows)
    members = db.exec(select(TeamMember).where(TeamMember.unit_id == unit_id)).all()
    assert all(m.name.endswith("(demo)") for m in members)
    s = team.commitment(db, actor=None, unit_id=unit_id)
    # 18 people from the head of office to cleaning staff; 3 have not signed (staf, satpam,
    # cleaning service): 15 of 18
    assert (s.overall.people, s.overall.signed) == (18, 15)
    assert not s.every_level_signed and not s.empty_levels

    wbbm = next(i for i in innovation_rows if i.phase == "wbbm" and i.parent_id)
    assert wbbm.pembeda_what_is_new and wbbm.pembeda_citizen_benefit
    impacts = innovations.list_impacts(db, actor=None, innovation_id=wbbm.id)
    assert {(v.impact.kind, v.improvement.gain) for v in impacts} == {
        ("service_time_minutes", Decimal(15)), ("steps", Decimal(2))}

    unit = units.get(db, unit_id=unit_id)
    o = overview.unit_overview(db, unit=unit)
    assert o.overdue and o.expiring and len(o.pillars) == 5
    assert o.expiring[0].state is PartnershipState.EXPIRING_SOON

    t = timeline.unit_timeline(db, unit=unit)
    assert [y.year for y in t.years] == [2017, 2018, 2019]
    assert [s.reached for s in t.road] == [True, True, True, True, False]
    award = [e for e in t.years[1].events if e.decree]
    assert len(award) == 1 and award[0].on == date(2018, 12, 10)  # one event, not two

    audits = db.exec(select(func.count()).select_from(AuditRecord)).one()
    pacts = db.exec(select(func.count()).select_from(IntegrityPact)).one()
    again = demo.load(db)
    assert again.created == []
    assert db.exec(select(func.count()).select_from(AuditRecord)).one() == audits
    assert db.exec(select(func.count()).select_from(IntegrityPact)).one() == pacts


@pytest.mark.parametrize("path", ["/units/{id}", "/units/{id}/timeline"])
async def test_pages_work_for_a_unit_with_nothing_recorded(client, world, path):
    await login(client, "viewer_a1")
    response = await client.get(path.format(id=world.unit("UNIT-A1")))
    assert response.status_code == 200
