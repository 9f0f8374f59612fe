"""Programme services end to end against the migrated database."""

from datetime import date
from decimal import Decimal

import pytest

from app.services.errors import Invalid
from app.services.programme import action_plan, innovations, milestones, partnerships, pillars, team


def test_services_roundtrip(db, world):
    u = world.unit("UNIT-A1")
    p = pillars.create_pillar(db, actor=None, unit_id=u, data={"name": "Pilar 1", "target_year": 2019})
    a = innovations.create_innovation(db, actor=None, unit_id=u, data={
        "title": "Layanan drive-thru", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": date(2017, 3, 1),
        "launched_on": date(2017, 6, 1), "services": ["SP2D"], "pillar_id": p.id})
    with pytest.raises(Invalid):
        innovations.create_innovation(db, actor=None, unit_id=u, data={
            "title": "X", "stage": "penerapan", "phase": "wbbm", "change_area": "pelayanan_publik",
            "started_on": date(2018, 3, 1), "parent_id": a.id})
    imp = innovations.create_impact(db, actor=None, innovation_id=a.id, data={
        "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "120",
        "before_on": "2017-01-10", "after_value": 45, "after_on": "2017-09-10"})
    view = innovations.list_impacts(db, actor=None, innovation_id=a.id)[0]
    assert view.improvement.gain == Decimal(75)
    assert view.relative_gain_percent == Decimal("62.5")
    assert imp.direction == "lower_is_better"
    s = innovations.suggest_lke(db, actor=None, unit_id=u, services_registered=["SP2D", "X"])
    assert s.suggestions.prf1a.option == "C"
    m = team.create_member(db, actor=None, unit_id=u, data={"name": "Budi", "level": "satpam"})
    team.create_pact(db, actor=None, unit_id=u, data={"member_id": m.id, "signed_on": "2018-01-02"})
    act = team.create_activity(db, actor=None, unit_id=u, data={
        "kind": "rapat", "held_on": "2018-02-01", "title": "Rapat", "member_ids": [m.id]})
    team.update_activity(db, actor=None, activity_id=act.id, changes={"member_ids": []})
    team.update_activity(db, actor=None, activity_id=act.id, changes={"member_ids": [m.id]})
    c = team.commitment(db, actor=None, unit_id=u)
    assert c.overall.signed == 1 and c.overall.took_part == 1
    item = action_plan.create_action_item(db, actor=None, unit_id=u, data={
        "area": "manajemen_perubahan", "activity": "Susun rencana", "due_on": "2018-03-01",
        "status": "berjalan", "progress": 40, "lke_ref": "ppa2a", "pillar_id": p.id})
    assert item.lke_ref == "PPA2A"
    assert action_plan.overdue_items(db, actor=None, unit_id=u, today=date(2018, 3, 2))
    part = partnerships.create_partnership(db, actor=None, unit_id=u, data={
        "partner": "Bank X", "kind": "bank", "signed_on": "2018-01-01",
        "expires_on": "2018-12-31", "innovation_ids": [a.id]})
    assert partnerships.innovation_ids(db, partnership_id=part.id) == [a.id]
    assert partnerships.expiring(db, actor=None, unit_id=u, today=date(2018, 11, 1))
    milestones.create_milestone(db, actor=None, unit_id=u, data={"kind": "pencanangan", "on_date": "2017-02-01"})
    with pytest.raises(Invalid):
        milestones.create_milestone(db, actor=None, unit_id=u, data={"kind": "penetapan_wbk", "on_date": "2018-02-01"})
    prog = pillars.pillar_progress(db, actor=None, unit_id=u, today=date(2018, 3, 2))
    assert prog[0].innovations == 1 and prog[0].actions.overdue == 1
    windows = innovations.service_windows(db, actor=None, unit_id=u)
    assert windows[0].service == "SP2D"
