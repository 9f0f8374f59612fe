"""A person's inbox (list, unread count, mark read) and e-mail choices per kind. Each person
reads and changes only their own: the actor is the owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from app.domain.season import messages
from app.models.season import Notification, NotificationPreference
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Forbidden, Invalid, NotFound

PAGE = 50


def _now() -> datetime:
    return datetime.now(UTC)


def _user(actor: Principal | None) -> int:
    if actor is None or actor.user_id is None:
        raise Forbidden("Kotak masuk hanya untuk pengguna yang masuk.", permission="unit.read")
    return actor.user_id


@dataclass(frozen=True)
class Item:
    row: Notification
    title: str
    body: str

    @property
    def unread(self) -> bool:
        return self.row.read_at is None


def unread_count(session: Session, *, actor: Principal | None) -> int:
    return session.exec(_UNREAD, params={"user_id": _user(actor)}).one()


# Built once (the header bell counts on every full page; building a statement costs about as
# much as running it).
_UNREAD = select(func.count()).select_from(Notification).where(
    Notification.user_id == bindparam("user_id"), col(Notification.read_at).is_(None))


def items(session: Session, *, actor: Principal | None, lang: str = "id",
          only_unread: bool = False, page: int = 1) -> list[Item]:
    """The person's notifications, newest first, in ``lang``."""
    user_id = _user(actor)
    query = select(Notification).where(Notification.user_id == user_id)
    if only_unread:
        query = query.where(col(Notification.read_at).is_(None))
    rows = session.exec(
        query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .offset(max(page - 1, 0) * PAGE).limit(PAGE)
    ).all()
    return [Item(r, *messages.message(r.kind, r.params or {}, lang)) for r in rows]


def mark_read(session: Session, *, actor: Principal | None,
              notification_id: int) -> Notification:
    """Mark one of the person's own notifications read (again: no change)."""
    user_id = _user(actor)
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotFound("Notifikasi tidak ditemukan.")
    if row.read_at is None:
        row.read_at = _now()
        session.add(row)
        session.commit()
    return row


def mark_all_read(session: Session, *, actor: Principal | None) -> int:
    user_id = _user(actor)
    changed = session.exec(
        update(Notification).where(
            col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
        ).values(read_at=_now())
    ).rowcount
    session.commit()
    return changed


def preferences(session: Session, *, actor: Principal | None) -> dict[str, str]:
    """kind -> the person's e-mail choice (``now`` when never chosen), in KINDS order."""
    user_id = _user(actor)
    chosen = dict(session.exec(
        select(NotificationPreference.kind, NotificationPreference.mode)
        .where(NotificationPreference.user_id == user_id)
    ).all())
    return {kind: chosen.get(kind, messages.NOW) for kind in messages.KINDS}


def set_preferences(session: Session, *, actor: Principal | None,
                    choices: dict[str, str]) -> dict[str, str]:
    """Save the person's e-mail choice per kind (all or nothing)."""
    user_id = _user(actor)
    problems = [f"{kind}: jenis notifikasi tidak dikenal" for kind in choices
                if kind not in messages.KINDS]
    problems += [f"{kind}: pilihan '{mode}' tidak dikenal" for kind, mode in choices.items()
                 if kind in messages.KINDS and mode not in messages.MODES]
    if problems:
        raise Invalid("Pilihan notifikasi tidak disimpan.", problems=problems)
    before = preferences(session, actor=actor)
    rows = {r.kind: r for r in session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)).all()}
    for kind, mode in choices.items():
        row = rows.get(kind) or NotificationPreference(user_id=user_id, kind=kind, mode=mode)
        row.mode, row.updated_at = mode, _now()
        session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="update", entity="notification_preference",
                 entity_id=user_id, before=before, after=preferences(session, actor=actor))
    session.commit()
    return preferences(session, actor=actor)
