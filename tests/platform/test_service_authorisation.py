"""The accounts, units, tokens and audit services refuse a principal of another unit on
their own, with no route in front of them, and write nothing when they do."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from app.models import ApiToken, AuditRecord, Membership, PredicateAward, Unit, User
from app.services import audit, units
from app.services.accounts import tokens
from app.services.accounts import users as accounts
from app.services.errors import Forbidden, NotFound
from tests.factories import principal

TABLES = (ApiToken, AuditRecord, Membership, PredicateAward, Unit, User)


def _counts(db) -> dict[str, int]:
    return {t.__name__: db.exec(select(func.count()).select_from(t)).one() for t in TABLES}


@pytest.fixture
def a1_token(db, world):
    """A token of UNIT-A1, issued by the system."""
    return tokens.create(
        db, actor=None, unit_id=world.unit("UNIT-A1"), name="Portal A1", scopes=["read"]
    ).token


@pytest.fixture
def outsider(db, world):
    """The coordinator of UNIT-B1: every permission there, none at UNIT-A1."""
    return principal(db, world, "coord_b1")


def test_tokens_of_another_unit_are_refused(db, world, a1_token, outsider):
    a1 = world.unit("UNIT-A1")
    before = _counts(db)
    with pytest.raises(Forbidden):
        tokens.create(db, actor=outsider, unit_id=a1, name="mine now", scopes=["read"])
    with pytest.raises(Forbidden):
        tokens.list_for_unit(db, actor=outsider, unit_id=a1)
    with pytest.raises(Forbidden):
        tokens.get(db, actor=outsider, token_id=a1_token.id)
    with pytest.raises(Forbidden):
        tokens.revoke(db, actor=outsider, token_id=a1_token.id)
    with pytest.raises(Forbidden):
        tokens.revoke(db, actor=outsider, unit_id=a1, token_id=a1_token.id)
    # Acting in its own unit, it still cannot reach the other unit's token, which is not
    # found there in the words of a token that does not exist.
    with pytest.raises(NotFound) as refused:
        tokens.revoke(db, actor=outsider, unit_id=world.unit("UNIT-B1"), token_id=a1_token.id)
    assert refused.value.message == f"Token {a1_token.id} tidak ditemukan."
    db.expire_all()
    assert _counts(db) == before
    assert db.get(ApiToken, a1_token.id).revoked_at is None


def test_tokens_of_the_own_unit_are_managed(db, world, a1_token):
    coordinator = principal(db, world, "coord_a1")
    a1 = world.unit("UNIT-A1")
    issued = tokens.create(db, actor=coordinator, unit_id=a1, name="Kios", scopes=["read"])
    listed = tokens.list_for_unit(db, actor=coordinator, unit_id=a1)
    assert [t.name for t in listed] == ["Kios", "Portal A1"]  # newest first
    revoked = tokens.revoke(db, actor=coordinator, unit_id=a1, token_id=issued.token.id)
    assert revoked.revoked_at is not None


def test_a_member_without_token_rights_is_refused_in_the_own_unit(db, world, a1_token):
    member = principal(db, world, "member_a1")
    before = _counts(db)
    with pytest.raises(Forbidden):
        tokens.create(db, actor=member, unit_id=world.unit("UNIT-A1"), name="x",
                      scopes=["read"])
    with pytest.raises(Forbidden):
        tokens.revoke(db, actor=member, token_id=a1_token.id)
    assert _counts(db) == before


def test_units_of_another_unit_are_refused(db, world, outsider):
    a1 = world.unit("UNIT-A1")
    before = _counts(db)
    with pytest.raises(Forbidden):
        units.get(db, unit_id=a1, actor=outsider)
    with pytest.raises(Forbidden):
        units.predicate_history(db, unit_id=a1, actor=outsider)
    with pytest.raises(Forbidden):
        units.add_predicate(db, actor=outsider, unit_id=a1, predicate="WBK", year=2018,
                            decree_number="KEP-1/2018", decree_date=date(2018, 12, 10))
    with pytest.raises(Forbidden):  # only administrators add units
        units.create(db, actor=outsider, code="UNIT-B2", name="KPPN B2", level="unit",
                     parent_id=world.unit("KANWIL-B"))
    assert _counts(db) == before
    # The list holds only what the principal may read: the coordinator's own unit, and for
    # the regional reviewer its office and the two units below it.
    assert [u.code for u in units.list_units(db, actor=outsider)] == ["UNIT-B1"]
    reviewer = principal(db, world, "reviewer_a")
    # (a set: the order by name follows the database's collation)
    assert {u.code for u in units.list_units(db, actor=reviewer)} == {
        "KANWIL-A", "UNIT-A1", "UNIT-A2"
    }


def test_the_audit_log_of_another_unit_is_refused(db, world, a1_token, outsider):
    a1 = world.unit("UNIT-A1")
    with pytest.raises(Forbidden):
        audit.search(db, actor=outsider, unit_id=a1)
    with pytest.raises(Forbidden):  # a member of the unit does not read its log
        audit.search(db, actor=principal(db, world, "member_a1"), unit_id=a1)
    own = audit.search(db, actor=principal(db, world, "coord_a1"), unit_id=a1)
    assert [(r.entity, r.action) for r in own.records][0] == ("api_token", "create")
    assert {r.unit_id for r in own.records} == {a1}


def test_people_and_memberships_are_for_administrators(db, world, outsider):
    before = _counts(db)
    with pytest.raises(Forbidden):
        accounts.create_user(db, actor=outsider, username="intruder", full_name="Intruder",
                             password="x" * 20)
    with pytest.raises(Forbidden):
        accounts.add_membership(db, actor=outsider, user_id=world.users["coord_b1"],
                                unit_id=world.unit("UNIT-A1"), role="coordinator")
    with pytest.raises(Forbidden):
        accounts.set_language(db, actor=outsider, user_id=world.users["coord_a1"],
                              language="en")
    db.expire_all()
    assert _counts(db) == before
    assert accounts.get_user(db, user_id=world.users["coord_a1"]).language == "id"
    accounts.set_language(db, actor=outsider, user_id=world.users["coord_b1"], language="en")
    assert accounts.get_user(db, user_id=world.users["coord_b1"]).language == "en"
