"""Every programme service refuses another unit's data on its own: no page, no API, no HTTP.

The rows belong to UNIT-B1. ``coord_a1`` (coordinator of UNIT-A1) may neither read nor write
there: every service answers Forbidden. A call made for UNIT-A1 (a path under
/units/A1/...) with a row id of UNIT-B1 is NotFound, in the same words as an id no row has,
whoever asks (``coord_a1`` or ``admin``, who may read and write everywhere): ids cannot be
probed. In every case nothing is written: no row and no audit record.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from app.services.errors import Forbidden, NotFound
from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    overview,
    partnerships,
    pillars,
    team,
)
from app.services.units import get as get_unit
from tests.factories import principal

TODAY = date(2018, 3, 2)


@pytest.fixture
def b1(db, world):
    """One row of each kind in UNIT-B1, made by the system."""
    unit = world.unit("UNIT-B1")
    inn = innovations.create_innovation(db, actor=None, unit_id=unit, data={
        "title": "Antrean daring", "stage": "penerapan", "phase": "wbk",
        "change_area": "pelayanan_publik", "started_on": "2017-03-01"})
    member = team.create_member(db, actor=None, unit_id=unit,
                                data={"name": "Budi", "level": "staf"})
    return {
        "unit": unit,
        "innovation_id": inn.id,
        "impact_id": innovations.create_impact(db, actor=None, innovation_id=inn.id, data={
            "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "120",
            "before_on": "2017-01-10", "after_value": "45", "after_on": "2017-09-10"}).id,
        "pillar_id": pillars.create_pillar(db, actor=None, unit_id=unit,
                                           data={"name": "Pilar B"}).id,
        "decree_id": team.create_decree(db, actor=None, unit_id=unit, data={
            "number": "KEP-1/2017", "decree_date": "2017-01-16"}).id,
        "member_id": member.id,
        "pact_id": team.create_pact(db, actor=None, unit_id=unit, data={
            "member_id": member.id, "signed_on": "2017-01-20"}).id,
        "activity_id": team.create_activity(db, actor=None, unit_id=unit, data={
            "kind": "rapat", "held_on": "2017-02-10", "title": "Rapat"}).id,
        "item_id": action_plan.create_action_item(db, actor=None, unit_id=unit, data={
            "area": "manajemen_perubahan", "activity": "Susun rencana"}).id,
        "partnership_id": partnerships.create_partnership(db, actor=None, unit_id=unit, data={
            "partner": "Bank B", "kind": "bank"}).id,
        "milestone_id": milestones.create_milestone(db, actor=None, unit_id=unit, data={
            "kind": "pencanangan", "on_date": "2017-01-16"}).id,
    }


# Services addressed by the unit: (name, call(session, actor, unit_id)).
UNIT_CALLS = [
    ("list_innovations", lambda s, a, u: innovations.list_innovations(s, actor=a, unit_id=u)),
    ("create_innovation", lambda s, a, u: innovations.create_innovation(
        s, actor=a, unit_id=u, data={"title": "X", "stage": "ide", "phase": "wbk",
                                     "change_area": "pelayanan_publik",
                                     "started_on": "2018-01-01"})),
    ("counts_by_phase_stage", lambda s, a, u: innovations.counts_by_phase_stage(
        s, actor=a, unit_id=u)),
    ("suggest_lke", lambda s, a, u: innovations.suggest_lke(s, actor=a, unit_id=u)),
    ("service_windows", lambda s, a, u: innovations.service_windows(s, actor=a, unit_id=u)),
    ("list_pillars", lambda s, a, u: pillars.list_pillars(s, actor=a, unit_id=u)),
    ("create_pillar", lambda s, a, u: pillars.create_pillar(
        s, actor=a, unit_id=u, data={"name": "Pilar X"})),
    ("pillar_progress", lambda s, a, u: pillars.pillar_progress(
        s, actor=a, unit_id=u, today=TODAY)),
    ("list_decrees", lambda s, a, u: team.list_decrees(s, actor=a, unit_id=u)),
    ("create_decree", lambda s, a, u: team.create_decree(
        s, actor=a, unit_id=u, data={"number": "KEP-2", "decree_date": "2018-01-01"})),
    ("list_members", lambda s, a, u: team.list_members(s, actor=a, unit_id=u)),
    ("create_member", lambda s, a, u: team.create_member(
        s, actor=a, unit_id=u, data={"name": "Ani", "level": "staf"})),
    ("list_pacts", lambda s, a, u: team.list_pacts(s, actor=a, unit_id=u)),
    ("list_activities", lambda s, a, u: team.list_activities(s, actor=a, unit_id=u)),
    ("create_activity", lambda s, a, u: team.create_activity(
        s, actor=a, unit_id=u, data={"kind": "rapat", "held_on": "2018-01-01",
                                     "title": "Rapat X"})),
    ("commitment", lambda s, a, u: team.commitment(s, actor=a, unit_id=u)),
    ("list_action_items", lambda s, a, u: action_plan.list_action_items(s, actor=a, unit_id=u)),
    ("create_action_item", lambda s, a, u: action_plan.create_action_item(
        s, actor=a, unit_id=u, data={"area": "manajemen_perubahan", "activity": "X"})),
    ("overdue_items", lambda s, a, u: action_plan.overdue_items(
        s, actor=a, unit_id=u, today=TODAY)),
    ("progress_by_area", lambda s, a, u: action_plan.progress_by_area(
        s, actor=a, unit_id=u, today=TODAY)),
    ("list_partnerships", lambda s, a, u: partnerships.list_partnerships(
        s, actor=a, unit_id=u)),
    ("create_partnership", lambda s, a, u: partnerships.create_partnership(
        s, actor=a, unit_id=u, data={"partner": "Bank X", "kind": "bank"})),
    ("expiring", lambda s, a, u: partnerships.expiring(s, actor=a, unit_id=u, today=TODAY)),
    ("list_milestones", lambda s, a, u: milestones.list_milestones(s, actor=a, unit_id=u)),
    ("create_milestone", lambda s, a, u: milestones.create_milestone(
        s, actor=a, unit_id=u, data={"kind": "pencanangan", "on_date": "2018-01-01"})),
    ("unit_overview", lambda s, a, u: overview.unit_overview(
        s, actor=a, unit=get_unit(s, unit_id=u), today=TODAY)),
]

# Services addressed by a row: (name, id key, call(session, actor, row_id, unit_id or None)).
ROW_CALLS = [
    ("get_innovation", "innovation_id", lambda s, a, i, u: innovations.get_innovation(
        s, actor=a, innovation_id=i, unit_id=u)),
    ("update_innovation", "innovation_id", lambda s, a, i, u: innovations.update_innovation(
        s, actor=a, innovation_id=i, unit_id=u, changes={"title": "Diubah"})),
    ("delete_innovation", "innovation_id", lambda s, a, i, u: innovations.delete_innovation(
        s, actor=a, innovation_id=i, unit_id=u)),
    ("lineage", "innovation_id", lambda s, a, i, u: innovations.lineage(
        s, actor=a, innovation_id=i, unit_id=u)),
    ("children", "innovation_id", lambda s, a, i, u: innovations.children(
        s, actor=a, innovation_id=i, unit_id=u)),
    ("partners_of", "innovation_id", lambda s, a, i, u: innovations.partners_of(
        s, actor=a, innovation_id=i, unit_id=u)),
    ("list_impacts", "innovation_id", lambda s, a, i, u: innovations.list_impacts(
        s, actor=a, innovation_id=i, unit_id=u)),
    ("create_impact", "innovation_id", lambda s, a, i, u: innovations.create_impact(
        s, actor=a, innovation_id=i, unit_id=u, data={
            "kind": "service_time_minutes", "measure_unit": "menit", "before_value": "60",
            "before_on": "2017-01-10", "after_value": "30", "after_on": "2017-09-10"})),
    ("get_impact", "impact_id", lambda s, a, i, u: innovations.get_impact(
        s, actor=a, impact_id=i, unit_id=u)),
    ("update_impact", "impact_id", lambda s, a, i, u: innovations.update_impact(
        s, actor=a, impact_id=i, unit_id=u, changes={"after_value": "40"})),
    ("delete_impact", "impact_id", lambda s, a, i, u: innovations.delete_impact(
        s, actor=a, impact_id=i, unit_id=u)),
    ("get_pillar", "pillar_id", lambda s, a, i, u: pillars.get_pillar(
        s, actor=a, pillar_id=i, unit_id=u)),
    ("update_pillar", "pillar_id", lambda s, a, i, u: pillars.update_pillar(
        s, actor=a, pillar_id=i, unit_id=u, changes={"name": "Diubah"})),
    ("delete_pillar", "pillar_id", lambda s, a, i, u: pillars.delete_pillar(
        s, actor=a, pillar_id=i, unit_id=u)),
    ("get_decree", "decree_id", lambda s, a, i, u: team.get_decree(
        s, actor=a, decree_id=i, unit_id=u)),
    ("update_decree", "decree_id", lambda s, a, i, u: team.update_decree(
        s, actor=a, decree_id=i, unit_id=u, changes={"title": "Diubah"})),
    ("delete_decree", "decree_id", lambda s, a, i, u: team.delete_decree(
        s, actor=a, decree_id=i, unit_id=u)),
    ("get_member", "member_id", lambda s, a, i, u: team.get_member(
        s, actor=a, member_id=i, unit_id=u)),
    ("update_member", "member_id", lambda s, a, i, u: team.update_member(
        s, actor=a, member_id=i, unit_id=u, changes={"position": "Kepala"})),
    ("delete_member", "member_id", lambda s, a, i, u: team.delete_member(
        s, actor=a, member_id=i, unit_id=u)),
    ("get_pact", "pact_id", lambda s, a, i, u: team.get_pact(s, actor=a, pact_id=i, unit_id=u)),
    ("update_pact", "pact_id", lambda s, a, i, u: team.update_pact(
        s, actor=a, pact_id=i, unit_id=u, changes={"signed_on": "2017-01-21"})),
    ("delete_pact", "pact_id", lambda s, a, i, u: team.delete_pact(
        s, actor=a, pact_id=i, unit_id=u)),
    ("get_activity", "activity_id", lambda s, a, i, u: team.get_activity(
        s, actor=a, activity_id=i, unit_id=u)),
    ("update_activity", "activity_id", lambda s, a, i, u: team.update_activity(
        s, actor=a, activity_id=i, unit_id=u, changes={"title": "Diubah"})),
    ("delete_activity", "activity_id", lambda s, a, i, u: team.delete_activity(
        s, actor=a, activity_id=i, unit_id=u)),
    ("get_action_item", "item_id", lambda s, a, i, u: action_plan.get_action_item(
        s, actor=a, item_id=i, unit_id=u)),
    ("update_action_item", "item_id", lambda s, a, i, u: action_plan.update_action_item(
        s, actor=a, item_id=i, unit_id=u, changes={"status": "berjalan", "progress": 10})),
    ("delete_action_item", "item_id", lambda s, a, i, u: action_plan.delete_action_item(
        s, actor=a, item_id=i, unit_id=u)),
    ("get_partnership", "partnership_id", lambda s, a, i, u: partnerships.get_partnership(
        s, actor=a, partnership_id=i, unit_id=u)),
    ("update_partnership", "partnership_id", lambda s, a, i, u:
        partnerships.update_partnership(s, actor=a, partnership_id=i, unit_id=u,
                                        changes={"scope": "Diubah"})),
    ("delete_partnership", "partnership_id", lambda s, a, i, u:
        partnerships.delete_partnership(s, actor=a, partnership_id=i, unit_id=u)),
    ("get_milestone", "milestone_id", lambda s, a, i, u: milestones.get_milestone(
        s, actor=a, milestone_id=i, unit_id=u)),
    ("update_milestone", "milestone_id", lambda s, a, i, u: milestones.update_milestone(
        s, actor=a, milestone_id=i, unit_id=u, changes={"note": "Diubah"})),
    ("delete_milestone", "milestone_id", lambda s, a, i, u: milestones.delete_milestone(
        s, actor=a, milestone_id=i, unit_id=u)),
]


def _counts(engine) -> dict[str, int]:
    """Rows in every table, to prove a refusal wrote nothing."""
    names = [t.name for t in SQLModel.metadata.sorted_tables]
    query = " UNION ALL ".join(f"SELECT '{n}' AS t, COUNT(*) AS n FROM {n}" for n in names)
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(text(query))}


def _stamps(engine) -> list:
    """The update stamps of the programme rows (a refused change must leave them as they are)."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables if "updated_at" in t.c
              and t.name in _PROGRAMME_TABLES]
    with engine.connect() as connection:
        return [tuple(connection.execute(text(
            f"SELECT id, updated_at, deleted_at FROM {name} ORDER BY id")).all())
            for name in tables]


_PROGRAMME_TABLES = {
    "pillar", "innovation", "innovation_impact", "team_decree", "team_member",
    "integrity_pact", "team_activity", "action_item", "partnership", "milestone",
}


@pytest.mark.parametrize("name,call", UNIT_CALLS, ids=[c[0] for c in UNIT_CALLS])
def test_unit_services_refuse_a_principal_of_another_unit(db, engine, world, b1, name, call):
    stranger = principal(db, world, "coord_a1")
    before = _counts(engine)
    with pytest.raises(Forbidden):
        call(db, stranger, b1["unit"])
    assert _counts(engine) == before


@pytest.mark.parametrize("name,key,call", ROW_CALLS, ids=[c[0] for c in ROW_CALLS])
def test_row_services_refuse_a_principal_of_another_unit(db, engine, world, b1, name, key,
                                                         call):
    stranger = principal(db, world, "coord_a1")
    before, stamps = _counts(engine), _stamps(engine)
    with pytest.raises(Forbidden):
        call(db, stranger, b1[key], None)
    assert _counts(engine) == before
    assert _stamps(engine) == stamps


MISSING_ID = 99999


@pytest.mark.parametrize("username", ["coord_a1", "admin"])
@pytest.mark.parametrize("name,key,call", ROW_CALLS, ids=[c[0] for c in ROW_CALLS])
def test_row_services_answer_a_row_of_another_unit_like_a_missing_one(
        db, engine, world, b1, name, key, call, username):
    asker = principal(db, world, username)  # admin may read and write UNIT-B1 itself
    a1 = world.unit("UNIT-A1")
    before, stamps = _counts(engine), _stamps(engine)
    with pytest.raises(NotFound) as foreign:
        call(db, asker, b1[key], a1)
    with pytest.raises(NotFound) as missing:
        call(db, asker, MISSING_ID, a1)
    assert foreign.value.message.endswith(f" {b1[key]} tidak ditemukan."), foreign.value.message
    assert foreign.value.message.replace(str(b1[key]), "#") == \
        missing.value.message.replace(str(MISSING_ID), "#")
    assert _counts(engine) == before
    assert _stamps(engine) == stamps


def test_the_same_calls_pass_for_the_rows_own_unit(db, world, b1):
    """The refusals above are about the unit, not the calls: in UNIT-B1 they work."""
    coord = principal(db, world, "coord_b1")
    assert team.get_member(db, actor=coord, member_id=b1["member_id"],
                           unit_id=b1["unit"]).name == "Budi"
    changed = pillars.update_pillar(db, actor=coord, pillar_id=b1["pillar_id"],
                                    unit_id=b1["unit"], changes={"name": "Pilar B baru"})
    assert changed.name == "Pilar B baru"
    assert action_plan.list_action_items(db, actor=coord, unit_id=b1["unit"]).total == 1
