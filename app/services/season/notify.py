"""Writing notifications: called in plain sight by the service where something happens,
before its commit, so the notification is stored with the change or not at all (outbox).

Each recipient gets one inbox row; the e-mail is decided by the person's choice for the
kind (``now``, ``digest`` or ``none``) and composed later by the sender (app.services.season
.mail), in the person's language with links from ZONA_BASE_URL. Works on a Session or a
Core connection (the survey intake writes through Core).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.domain.display import format_grouped
from app.domain.lke import review as rv
from app.domain.season import messages
from app.models.accounts import Membership, User
from app.models.season import Notification, NotificationPreference
from app.models.surveys.records import SurveyCampaign
from app.models.units import Unit
from app.security.principal import ROLE_PERMISSIONS

_NOTE = Notification.__table__
_PREF = NotificationPreference.__table__
_MEMBER = Membership.__table__
_USER = User.__table__
_UNIT = Unit.__table__
_CAMPAIGN = SurveyCampaign.__table__


def score_text(total: str) -> str:
    """An exact score as people read it: "87,56" (2 decimals, Indonesian comma)."""
    try:
        value = rv.parse_exact(str(total))
    except (ValueError, ZeroDivisionError, ArithmeticError):
        return str(total)
    return format_grouped(value, 2)


def _now() -> datetime:
    return datetime.now(UTC)


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


# --- who ---------------------------------------------------------------------------------

#: Every role a person can hold at a unit.
ALL_ROLES = tuple(ROLE_PERMISSIONS)


def unit_people(db: Session | Connection, *, unit_id: int, roles: Iterable[str]) -> list[int]:
    """Active people holding one of ``roles`` at the unit itself."""
    rows = _connection(db).execute(
        select(_MEMBER.c.user_id).join(_USER, _USER.c.id == _MEMBER.c.user_id).where(
            _MEMBER.c.unit_id == unit_id, _MEMBER.c.role.in_(list(roles)),
            _USER.c.is_active.is_(True),
        ).order_by(_MEMBER.c.user_id)
    ).scalars().all()
    return list(dict.fromkeys(rows))


def _chain(connection: Connection, unit_id: int) -> list[tuple[int, str]]:
    """The units above ``unit_id``, nearest first, with their level."""
    out: list[tuple[int, str]] = []
    current = connection.execute(
        select(_UNIT.c.parent_id).where(_UNIT.c.id == unit_id)
    ).scalar()
    while current is not None and len(out) < 50:
        row = connection.execute(
            select(_UNIT.c.id, _UNIT.c.level, _UNIT.c.parent_id).where(_UNIT.c.id == current)
        ).first()
        if row is None:
            break
        out.append((row.id, row.level))
        current = row.parent_id
    return out


def reviewers(db: Session | Connection, *, unit_id: int, level: str) -> list[int]:
    """The reviewers who act for ``unit_id`` at ``level``: those of the nearest unit above
    it of that level's kind that has reviewers (the rule of app.services.lke.submission)."""
    connection = _connection(db)
    kinds = rv.REVIEWER_UNIT_LEVELS.get(level, frozenset())
    for above_id, above_level in _chain(connection, unit_id):
        if above_level not in kinds:
            continue
        people = unit_people(connection, unit_id=above_id, roles=("reviewer",))
        if people:
            return people
    return []


def unit_team(db: Session | Connection, *, unit_id: int) -> list[int]:
    """The unit's coordinator(s) and members."""
    return unit_people(db, unit_id=unit_id, roles=("coordinator", "member"))


def area_pics(db: Session | Connection, *, unit_id: int) -> list[int]:
    """Who hears of a flagged question. Zona has no per-area PIC account (the team's area
    PICs are names in the team list, not people who sign in), so: the unit's members (the
    role described as area PIC), or its coordinator when it has no member."""
    return (unit_people(db, unit_id=unit_id, roles=("member",))
            or unit_people(db, unit_id=unit_id, roles=("coordinator",)))


def unit_name(db: Session | Connection, unit_id: int) -> str:
    return _connection(db).execute(
        select(_UNIT.c.name).where(_UNIT.c.id == unit_id)
    ).scalar() or ""


# --- what --------------------------------------------------------------------------------

def modes(db: Session | Connection, *, user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each person's e-mail choice for a kind (``now`` when they never chose)."""
    ids = list(user_ids)
    chosen = dict(_connection(db).execute(
        select(_PREF.c.user_id, _PREF.c.mode).where(
            _PREF.c.user_id.in_(ids or [-1]), _PREF.c.kind == kind)
    ).all())
    return {uid: chosen.get(uid, messages.NOW) for uid in ids}


def notify(
    db: Session | Connection,
    *,
    kind: str,
    user_ids: Iterable[int],
    unit_id: int | None,
    params: Mapping[str, Any],
    link: str = "",
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """Store one notification per person (each once per ``dedupe_key``, when given) in the
    caller's transaction; returns how many were stored. The caller commits."""
    if kind not in messages.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    connection = _connection(db)
    people = list(dict.fromkeys(user_ids))
    if not people:
        return 0
    chosen = modes(connection, user_ids=people, kind=kind)
    at = now or _now()
    stored = 0
    for user_id in people:
        values = {
            "user_id": user_id, "kind": kind, "unit_id": unit_id, "params": dict(params),
            "link": link, "created_at": at, "read_at": None,
            "email_mode": chosen[user_id], "email_id": None,
            "dedupe_key": f"{dedupe_key}:u{user_id}" if dedupe_key else None,
        }
        if dedupe_key is None:
            connection.execute(insert(_NOTE), values)
            stored += 1
            continue
        # Found by a scan another replica may run at the same moment: once per key.
        if connection.execute(
            select(_NOTE.c.id).where(_NOTE.c.dedupe_key == values["dedupe_key"])
        ).first() is not None:
            continue
        try:
            with connection.begin_nested():
                connection.execute(insert(_NOTE), values)
            stored += 1
        except IntegrityError:
            continue
    return stored


# --- the events, one function each (called by the service where they happen) ------------

def assessment_submitted(db: Session | Connection, *, assessment, level: str, actor_label: str,
                         round_: int, total: str) -> int:
    """To the reviewers of the level the assessment now waits for."""
    return notify(
        db, kind=messages.ASSESSMENT_SUBMITTED,
        user_ids=reviewers(db, unit_id=assessment.unit_id, level=level),
        unit_id=assessment.unit_id, link=f"/assessments/{assessment.id}/review",
        params={"unit": unit_name(db, assessment.unit_id), "year": assessment.year,
                "level": level, "actor": actor_label, "round": round_,
                "total": score_text(total)},
    )


def assessment_decided(db: Session | Connection, *, assessment, level: str, decision: str,
                       actor_label: str, total: str, note: str | None,
                       flagged: list[str], next_level: str | None, round_: int) -> int:
    """Returned or accepted: to the unit's coordinator and members; the flagged questions
    to the area PICs; accepted towards a next level: to that level's reviewers."""
    unit = unit_name(db, assessment.unit_id)
    kind = (messages.ASSESSMENT_RETURNED if decision == rv.RETURN
            else messages.ASSESSMENT_ACCEPTED)
    stored = notify(
        db, kind=kind, user_ids=unit_team(db, unit_id=assessment.unit_id),
        unit_id=assessment.unit_id, link=f"/assessments/{assessment.id}",
        params={"unit": unit, "year": assessment.year, "level": level,
                "actor": actor_label, "total": score_text(total),
                "note": (note or "")[:300]},
    )
    if flagged:
        stored += notify(
            db, kind=messages.QUESTION_FLAGGED, user_ids=area_pics(db, unit_id=assessment.unit_id),
            unit_id=assessment.unit_id, link=f"/assessments/{assessment.id}",
            params={"unit": unit, "year": assessment.year, "level": level,
                    "count": len(flagged), "refs": ", ".join(flagged[:20])},
        )
    if next_level is not None:
        stored += assessment_submitted(db, assessment=assessment, level=next_level,
                                       actor_label=actor_label, round_=round_, total=total)
    return stored


def campaign_closed(db: Session | Connection, *, campaign, count: int) -> int:
    """To the unit's coordinator and members, once per campaign (closing by hand or by its
    closing date, whichever is seen first)."""
    return notify(
        db, kind=messages.CAMPAIGN_CLOSED, user_ids=unit_team(db, unit_id=campaign.unit_id),
        unit_id=campaign.unit_id,
        link=f"/units/{campaign.unit_id}/surveys/campaigns/{campaign.id}",
        params={"unit": unit_name(db, campaign.unit_id), "title": campaign.title,
                "period": campaign.period_label, "count": count},
        dedupe_key=f"campaign_closed:{campaign.id}",
    )


def answers_held(db: Session | Connection, *, unit_id: int, campaign_id: int,
                 now: datetime | None = None) -> int:
    """To the people who review held answers (the unit's coordinators), once per campaign
    and day however many batches are held."""
    title = _connection(db).execute(
        select(_CAMPAIGN.c.title).where(_CAMPAIGN.c.id == campaign_id)
    ).scalar() or ""
    day = (now or _now()).date().isoformat()
    return notify(
        db, kind=messages.ANSWERS_HELD,
        user_ids=unit_people(db, unit_id=unit_id, roles=("coordinator",)), unit_id=unit_id,
        link=f"/units/{unit_id}/surveys/campaigns/{campaign_id}/responses",
        params={"unit": unit_name(db, unit_id), "title": title},
        dedupe_key=f"answers_held:{campaign_id}:{day}",
    )
