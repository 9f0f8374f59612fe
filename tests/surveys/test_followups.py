"""The follow-up plan through its services: hand-worked findings, the next period's change,
permissions, audit, soft delete and undo, the public reader, PPF4C and the action plan."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.programme import ActionItem
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.integration import survey_followups
from app.services.programme import action_plan
from app.services.surveys import followups
from app.services.surveys import responses as survey_responses
from app.services.surveys.inputs import FollowupIn, FollowupPatch
from tests.factories import principal

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]


def answer(db, campaign, values):
    survey_responses.record_response(
        db, campaign=campaign, answers={(IKM, c): v for c, v in zip(U, values, strict=True)})


@pytest.fixture
def periods(db, world, make_campaign):
    """2019-S1: U9 (1+2)/2 = 3/2, U8 (3+2)/2 = 5/2, U7 (4+3)/2 = 7/2, the rest 4.
    2019-S2: U9 2 (up), U8 3 (up), U7 3 (down from 7/2)."""
    s1 = make_campaign(label="2019-S1", title="Survei S1")
    answer(db, s1, (4, 4, 4, 4, 4, 4, 4, 3, 1))
    answer(db, s1, (4, 4, 4, 4, 4, 4, 3, 2, 2))
    s2 = make_campaign(label="2019-S2", title="Survei S2")
    answer(db, s2, (4, 4, 4, 4, 4, 4, 3, 3, 2))
    return s1, s2


def add(db, actor, campaign, element, action="Perbaikan", **extra):
    return followups.create_followup(
        db, actor=actor, campaign_id=campaign.id,
        data=FollowupIn(element_code=element, action=action, **extra))


def test_plan_findings_actions_and_next_period(db, world, periods):
    s1, s2 = periods
    coord = principal(db, world, "coord_a1")
    a = add(db, coord, s1, "u9", "Loket prioritas", owner="Kasubbag Umum",
            due_on=date(2019, 9, 30), status="selesai")
    assert (a.instrument_code, a.element_code, a.status) == (IKM, "U9", "selesai")
    plan = followups.followup_plan(db, actor=coord, campaign_id=s1.id)
    ikm = plan.instruments[0]
    assert [(e.code, e.nrr) for e in ikm.weakest] == [
        ("U9", Fraction(3, 2)), ("U8", Fraction(5, 2)), ("U7", Fraction(7, 2))]
    assert [e.code for e in ikm.shown] == ["U9", "U8", "U7"]
    assert [x.id for x in ikm.shown[0].actions] == [a.id]
    assert ikm.next.campaign.id == s2.id
    changes = {e.code: e.change for e in ikm.shown}
    assert changes["U9"].change == Fraction(1, 2) and changes["U9"].improved is True
    assert changes["U8"].change == Fraction(1, 2) and changes["U8"].improved is True
    assert changes["U7"].change == Fraction(-1, 2) and changes["U7"].improved is False
    # The latest period has no next one yet.
    later = followups.followup_plan(db, actor=coord, campaign_id=s2.id).instruments[0]
    assert later.next is None and all(e.change is None for e in later.elements)
    # An action on an element outside the three weakest is shown after them.
    add(db, coord, s1, "U1", "Sosialisasi persyaratan")
    ikm = followups.followup_plan(db, actor=coord, campaign_id=s1.id).instruments[0]
    assert [e.code for e in ikm.shown] == ["U9", "U8", "U7", "U1"]


def test_every_problem_at_once_and_nothing_stored(db, world, periods):
    s1, _ = periods
    coord = principal(db, world, "coord_a1")
    with pytest.raises(Invalid) as refused:
        followups.create_followup(db, actor=coord, campaign_id=s1.id, data=FollowupIn.model_construct(
            element_code="U10", action="  ", owner="x" * 201, status="selesai_semua",
            evidence_url="ftp://contoh.go.id/x", evidence_title="", instrument_code=None,
            due_on=None, action_item_id=999999))
    fields = sorted(p.field for p in refused.value.errors)
    assert fields == ["action", "action_item_id", "element_code", "evidence_url", "owner",
                      "status"]
    assert "U10" in next(p.message for p in refused.value.errors if p.field == "element_code")
    assert followups.list_followups(db, actor=coord, campaign_id=s1.id) == []
    with pytest.raises(Invalid):
        add(db, coord, s1, "U1", instrument_code="spak")  # not on this campaign


def test_permissions(db, world, periods):
    s1, _ = periods
    viewer = principal(db, world, "viewer_a1")
    member = principal(db, world, "member_a1")
    other = principal(db, world, "coord_b1")
    with pytest.raises(Forbidden):
        add(db, viewer, s1, "U9")
    with pytest.raises(Forbidden):
        add(db, other, s1, "U9")
    row = add(db, member, s1, "U9")  # surveys.write
    assert followups.list_followups(db, actor=viewer, campaign_id=s1.id)[0].id == row.id
    with pytest.raises(Forbidden):
        followups.list_followups(db, actor=other, campaign_id=s1.id)
    with pytest.raises(Forbidden):  # deleting needs surveys.delete
        followups.delete_followup(db, actor=member, followup_id=row.id)
    with pytest.raises(NotFound):  # addressed through another unit
        followups.get_followup(db, actor=member, followup_id=row.id,
                               unit_id=world.unit("UNIT-B1"))


def test_update_delete_undo_audited(db, world, periods):
    s1, _ = periods
    coord = principal(db, world, "coord_a1")
    row = add(db, coord, s1, "U8", "Menambah kursi tunggu")
    followups.update_followup(db, actor=coord, followup_id=row.id, changes=FollowupPatch(
        status="selesai", evidence_url="https://contoh.go.id/foto.jpg"))
    with pytest.raises(Invalid):
        followups.update_followup(db, actor=coord, followup_id=row.id,
                                  changes=FollowupPatch(element_code="X1"))
    db.refresh(row)
    assert (row.status, row.element_code) == ("selesai", "U8")
    followups.delete_followup(db, actor=coord, followup_id=row.id)
    assert followups.list_followups(db, actor=coord, campaign_id=s1.id) == []
    assert followups.deleted_followup(db, actor=coord, followup_id=row.id).id == row.id
    followups.restore_followup(db, actor=coord, followup_id=row.id)
    assert [r.id for r in followups.list_followups(db, actor=coord, campaign_id=s1.id)] == [row.id]
    actions = db.exec(select(AuditRecord.action).where(
        AuditRecord.entity == "survey_followup", AuditRecord.entity_id == str(row.id))
        .order_by(AuditRecord.id)).all()
    assert list(actions) == ["create", "update", "delete", "restore"]


def test_public_reader_has_no_personal_data(db, world, periods):
    s1, s2 = periods
    coord = principal(db, world, "coord_a1")
    add(db, coord, s1, "U9", "Loket prioritas", owner="Budi Santoso", status="selesai",
        evidence_url="https://contoh.go.id/bukti.pdf", evidence_title="Foto loket")
    add(db, coord, s1, "U7", "Pelatihan petugas", owner="Siti")
    gone = add(db, coord, s2, "U9", "Dihapus")
    followups.delete_followup(db, actor=coord, followup_id=gone.id)
    rows = followups.list_followups_for_unit(db, world.unit("UNIT-A1"))
    assert [(r.period, r.element_code, r.improved) for r in rows] == [
        ("2019-S1", "U7", False), ("2019-S1", "U9", True)]
    assert (rows[1].nrr_before, rows[1].nrr_after) == (Fraction(3, 2), Fraction(2))
    assert rows[1].status_label("en") == "Done" and rows[1].element_name
    text = repr(rows)
    for private in ("Budi", "Siti", "bukti.pdf", "Foto loket"):
        assert private not in text
    assert followups.list_followups_for_unit(db, world.unit("UNIT-B1")) == []


def test_ppf4c_suggestion_from_the_plan(db, world, periods):
    s1, s2 = periods
    coord = principal(db, world, "coord_a1")
    unit = world.unit("UNIT-A1")
    # Findings: S1 U9, U8, U7; S2 U9 (2), U7 (3), U8 (3): six in all.
    s = followups.suggest_lke(db, actor=coord, unit_id=unit, year=2019)
    assert (s.ref, s.option, s.followed_up, s.findings) == ("PPF4C", "D", 0, 6)
    done = [add(db, coord, s1, e, status="selesai") for e in ("U9", "U8")]
    add(db, coord, s1, "U7", status="berjalan")
    s = followups.suggest_lke(db, actor=coord, unit_id=unit, year=2019)
    assert (s.option, s.followed_up, sorted(s.evidence_ids)) == ("C", 2, [d.id for d in done])
    for e in ("U9", "U7"):
        add(db, coord, s2, e, status="selesai")
    assert followups.suggest_lke(db, actor=coord, unit_id=unit, year=2019).option == "B"  # 4/6
    assert followups.suggest_lke(db, actor=coord, unit_id=unit, year=2020) is None
    with pytest.raises(Forbidden):
        followups.suggest_lke(db, actor=principal(db, world, "coord_b1"), unit_id=unit, year=2019)


def test_add_to_action_plan_links_and_counts_in_the_plan(db, world, periods):
    s1, _ = periods
    coord = principal(db, world, "coord_a1")
    row = add(db, coord, s1, "U9", "Loket prioritas", owner="Kasubbag Umum",
              due_on=date(2019, 9, 30), status="berjalan")
    row, item = survey_followups.add_to_action_plan(db, actor=coord, followup_id=row.id)
    assert row.action_item_id == item.id
    assert (item.area, item.lke_ref, item.person_in_charge, item.due_on, item.status,
            item.progress) == ("pelayanan_publik", "PPF4C", "Kasubbag Umum", date(2019, 9, 30),
                               "berjalan", 50)
    assert item.activity == "Tindak lanjut survei 2019-S1 (U9): Loket prioritas"
    items = action_plan.all_action_items(db, unit_id=world.unit("UNIT-A1"))
    assert [i.id for i in items] == [item.id]
    with pytest.raises(Conflict):
        survey_followups.add_to_action_plan(db, actor=coord, followup_id=row.id)
    # A member may write surveys but not the programme: refused, nothing added.
    other = add(db, coord, s1, "U8")
    with pytest.raises(Forbidden):
        survey_followups.add_to_action_plan(db, actor=principal(db, world, "viewer_a1"),
                                            followup_id=other.id)
    assert len(db.exec(select(ActionItem)).all()) == 1
    # Linking an existing item by id works through the follow-up itself.
    followups.update_followup(db, actor=coord, followup_id=other.id,
                              changes=FollowupPatch(action_item_id=item.id))
