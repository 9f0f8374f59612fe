"""The ZI team: decree, members from every level, integrity pacts, activities with their
attendance, and the commitment per level ("from leaders to cleaning staff" as numbers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, exists
from sqlmodel import Session, col, select

from app.domain import programme as dom
from app.models.programme import (
    ActivityAttendance,
    IntegrityPact,
    TeamActivity,
    TeamDecree,
    TeamMember,
)
from app.security.principal import Principal
from app.services.programme._common import (
    READ,
    Kind,
    Links,
    Page,
    check_pillar,
    check_unit,
    choices,
    current_values,
    domain_texts,
    filter_id,
    live,
    live_ids,
    live_of_unit,
    year_bounds,
)
from app.services.programme.inputs import (
    ACTIVITY_KINDS,
    ActivityIn,
    ActivityPatch,
    DecreeIn,
    DecreePatch,
    MemberIn,
    MemberPatch,
    PactIn,
    PactPatch,
    labels_of,
)
from app.services.programme.reading import choice_words

__all__ = ["ACTIVITY_KINDS"]



# --- decrees --------------------------------------------------------------------------------

def current_decree(session: Session, *, unit_id: int) -> TeamDecree | None:
    """The newest live decree of the unit."""
    return session.exec(_DECREE, params={"unit_id": unit_id}).first()


_DECREE = live_of_unit(TeamDecree).order_by(col(TeamDecree.decree_date).desc(),
                                            col(TeamDecree.id).desc())


DECREES = Kind(TeamDecree, "decree_id", "SK tim", "team_decree", DecreeIn, DecreePatch)
get_decree = DECREES.get
create_decree = DECREES.create  # the decree (SK) appointing the team
update_decree = DECREES.update
delete_decree = DECREES.delete


def list_decrees(session: Session, *, actor: Principal | None, unit_id: int,
                 limit: int = 50, offset: int = 0) -> Page[TeamDecree]:
    """The unit's team decrees, newest first."""
    return DECREES.page(session, actor=actor, unit_id=unit_id,
                        order_by=[col(TeamDecree.decree_date).desc(), col(TeamDecree.id).desc()],
                        limit=limit, offset=offset)


# --- members --------------------------------------------------------------------------------

def _member_domain(row_id: Any, v: Mapping[str, Any]) -> dom.Member:
    return dom.Member(
        id=row_id, name=v["name"], level=dom.TeamLevel(v["level"]),
        roles=frozenset(dom.ZiRole(r) for r in v.get("roles") or ()),
        area=dom.ChangeArea(v["area"]) if v.get("area") else None,
    )


def all_members(session: Session, *, unit_id: int, active_only: bool = False) -> list[TeamMember]:
    """Live members of the unit by level (report order) then name."""
    query = live(TeamMember, unit_id)
    if active_only:
        query = query.where(col(TeamMember.active).is_(True))
    order = {level.value: i for i, level in enumerate(dom.TeamLevel)}
    rows = session.exec(query).all()
    return sorted(rows, key=lambda m: (order.get(m.level, 99), m.name.lower(), m.id))


def _member_problems(session: Session, unit_id: int, values: dict[str, Any],
                     row_id: int | None) -> list[str]:
    problems = []
    bad = [r for r in values.get("roles") or () if r not in choices(dom.ZiRole)]
    if bad:
        return [f"Peran ZI tidak dikenal: {', '.join(bad)}; pilih dari: "
                f"{choice_words(tuple(choices(dom.ZiRole)), labels_of(dom.ZiRole))}."]
    others = [m for m in all_members(session, unit_id=unit_id, active_only=True)
              if m.id != row_id]
    team = [_member_domain(m.id, current_values(m, MemberIn)) for m in others]
    if values.get("active", True):
        team.append(_member_domain(row_id or "baru", values))
    names = {m.id: m.name for m in others} | {row_id or "baru": values["name"]}
    for problem in dom.validate_team(team):
        if problem.code == "team.area_required":
            problems.append(f"Area wajib dipilih untuk peran {problem.params['role'].id.lower()}.")
        elif "ids" in problem.params:
            who = ", ".join(names.get(i, str(i)) for i in problem.params["ids"])
            problems.append(f"{problem.text('id')} ({who})")
        else:
            problems.extend(domain_texts([problem], {"name": "Nama"}))
    return problems


MEMBERS = Kind(TeamMember, "member_id", "Anggota tim", "team_member", MemberIn, MemberPatch,
               check=_member_problems)
get_member = MEMBERS.get
create_member = MEMBERS.create  # one penanggung jawab, one ketua per area
update_member = MEMBERS.update
delete_member = MEMBERS.delete  # pacts and attendance stay on record


def list_members(session: Session, *, actor: Principal | None, unit_id: int,
                 level: str | None = None, active: bool | None = None,
                 limit: int = 50, offset: int = 0) -> Page[TeamMember]:
    """The unit's live team members, filtered by level / active."""
    return MEMBERS.page(session, actor=actor, unit_id=unit_id,
                        equal=[(TeamMember.level, level), (TeamMember.active, active)],
                        order_by=[TeamMember.level, TeamMember.name, TeamMember.id],
                        limit=limit, offset=offset)


# --- integrity pacts ------------------------------------------------------------------------

def _pact_problems(session: Session, unit_id: int, values: Mapping[str, Any],
                   _row_id: int | None = None) -> list[str]:
    if not live_ids(session, TeamMember, unit_id, [values["member_id"]]):
        return [f"Anggota tim {values['member_id']} tidak ditemukan di unit ini."]
    return []


PACTS = Kind(IntegrityPact, "pact_id", "Pakta integritas", "integrity_pact", PactIn, PactPatch,
             check=_pact_problems)
get_pact = PACTS.get
create_pact = PACTS.create  # a member's signed pakta integritas
update_pact = PACTS.update
delete_pact = PACTS.delete


def list_pacts(session: Session, *, actor: Principal | None, unit_id: int,
               member_id: int | None = None, limit: int = 50, offset: int = 0
               ) -> Page[IntegrityPact]:
    """The unit's live pacts, newest first; ``member_id`` keeps one member's."""
    def of_member():
        filter_id(member_id, "Anggota tim")
        return [IntegrityPact.member_id == member_id] if member_id else []

    return PACTS.page(session, actor=actor, unit_id=unit_id, where=of_member,
                      order_by=[col(IntegrityPact.signed_on).desc(),
                                col(IntegrityPact.id).desc()], limit=limit, offset=offset)


# --- activities and attendance --------------------------------------------------------------

def _activity_problems(session: Session, unit_id: int, values: Mapping[str, Any],
                       _row_id: int | None) -> list[str]:
    return check_pillar(session, unit_id, values.get("pillar_id"))


ATTENDANCE = Links("member_ids", ActivityAttendance, "activity_id", "member_id", TeamMember,
                   "Peserta tidak ditemukan di tim unit ini: ")
ACTIVITIES = Kind(TeamActivity, "activity_id", "Kegiatan", "team_activity", ActivityIn,
                  ActivityPatch, check=_activity_problems, links=ATTENDANCE)
get_activity = ACTIVITIES.get
create_activity = ACTIVITIES.create  # with who took part (member_ids)
update_activity = ACTIVITIES.update  # and, when member_ids is given, the attendance
delete_activity = ACTIVITIES.delete


def list_activities(session: Session, *, actor: Principal | None, unit_id: int,
                    kind: str | None = None, area: str | None = None,
                    pillar_id: int | None = None, year: int | None = None,
                    limit: int = 50, offset: int = 0) -> Page[TeamActivity]:
    """The unit's live activities, newest first."""
    def in_year():
        if not year:
            return []
        first, last = year_bounds(year)
        return [TeamActivity.held_on >= first, TeamActivity.held_on <= last]

    return ACTIVITIES.page(session, actor=actor, unit_id=unit_id, pillar_id=pillar_id,
                           equal=[(TeamActivity.kind, kind), (TeamActivity.area, area)],
                           where=in_year,
                           order_by=[col(TeamActivity.held_on).desc(),
                                     col(TeamActivity.id).desc()], limit=limit, offset=offset)


def attendee_ids(session: Session, *, activity_id: int) -> list[int]:
    """Ids of the live members recorded as present at an activity."""
    return ATTENDANCE.ids(session, activity_id)


def attendee_ids_of(session: Session, *, activity_ids: Iterable[int]) -> dict[int, list[int]]:
    """``attendee_ids`` of several activities in one query."""
    return ATTENDANCE.ids_of_many(session, activity_ids)


# --- commitment -----------------------------------------------------------------------------

def _commitment_statement(of_year: bool):
    """Each live active member of the unit (bound ``unit_id``) with whether it signed a live
    pact and took part in a live activity (between bound ``first`` and ``last`` when
    ``of_year``): one statement; members of other units never match."""
    unit_id = bindparam("unit_id")
    pacts = [IntegrityPact.member_id == TeamMember.id, IntegrityPact.unit_id == unit_id,
             col(IntegrityPact.deleted_at).is_(None)]
    present = [ActivityAttendance.member_id == TeamMember.id,
               ActivityAttendance.unit_id == unit_id,
               col(ActivityAttendance.deleted_at).is_(None),
               TeamActivity.id == ActivityAttendance.activity_id,
               col(TeamActivity.deleted_at).is_(None)]
    if of_year:
        first, last = bindparam("first"), bindparam("last")
        pacts += [IntegrityPact.signed_on >= first, IntegrityPact.signed_on <= last]
        present += [TeamActivity.held_on >= first, TeamActivity.held_on <= last]
    return (
        select(TeamMember.id, TeamMember.name, TeamMember.level, TeamMember.roles,
               TeamMember.area,
               exists().where(*pacts).correlate(TeamMember).label("signed"),
               exists().where(*present).correlate(TeamMember).label("took_part"))
        .where(TeamMember.unit_id == unit_id, col(TeamMember.deleted_at).is_(None),
               col(TeamMember.active).is_(True))
    )


_COMMITMENT = _commitment_statement(of_year=False)
_COMMITMENT_OF_YEAR = _commitment_statement(of_year=True)


def commitment(session: Session, *, actor: Principal | None, unit_id: int,
               year: int | None = None) -> dom.CommitmentSummary:
    """Per level: active members, how many signed a pact, how many took part in an activity.

    ``year`` limits pacts and activities to that calendar year (None = all time).
    """
    check_unit(actor, READ, unit_id)
    params: dict[str, Any] = {"unit_id": unit_id}
    if year:
        params["first"], params["last"] = year_bounds(year)
    rows = session.exec(_COMMITMENT_OF_YEAR if year else _COMMITMENT, params=params).all()
    return dom.commitment_summary(
        [_member_domain(r.id, {"name": r.name, "level": r.level, "roles": r.roles,
                               "area": r.area}) for r in rows],
        [r.id for r in rows if r.signed], [r.id for r in rows if r.took_part],
    )


def pacts_by_member(session: Session, *, unit_id: int) -> dict[int, IntegrityPact]:
    """member id -> their latest live pact."""
    out: dict[int, IntegrityPact] = {}
    for pact in session.exec(live(IntegrityPact, unit_id).order_by(IntegrityPact.signed_on)):
        out[pact.member_id] = pact
    return out

