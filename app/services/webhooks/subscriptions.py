"""A unit's webhook subscriptions: create, change, remove; ``webhooks.manage`` at the unit.

A subscription covers its own unit; one made by an administrator may cover the whole
subtree below its unit (``include_subtree``) and may be allowed a private target
(``allow_private``). Every change is audited; removal is soft (the delivery log stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.db import get_row
from app.models.webhooks import WebhookSubscription
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import FieldProblem, Forbidden, Invalid, NotFound
from app.services.webhooks import urls
from app.services.webhooks.events import EVENT_TYPES
from app.services.webhooks.signing import new_secret

MANAGE = "webhooks.manage"
MAX_DESCRIPTION = 200
ADMIN_ONLY = "Hanya administrator yang dapat mencakup unit di bawahnya atau mengizinkan alamat privat."
NOT_FOUND = "Langganan webhook tidak ditemukan."


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SubscriptionInput:
    """What a page form or an API body gives (None: keep the stored value on a change)."""

    url: str | None = None
    events: Sequence[str] | None = None
    description: str | None = None
    active: bool | None = None
    include_subtree: bool | None = None
    allow_private: bool | None = None


def _is_admin(actor: Principal | None) -> bool:
    return actor is None or actor.is_admin


def _snapshot(sub: WebhookSubscription) -> dict | None:
    return audit.snapshot(sub, exclude={"secret"})


def _check(data: SubscriptionInput, *, allow_private_setting: bool, stored_allow: bool,
           actor: Principal | None, stored_subtree: bool,
           stored_url: str | None = None) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    wants_admin = (data.include_subtree and not stored_subtree) or \
        (data.allow_private and not stored_allow)
    if wants_admin and not _is_admin(actor):
        found.append(FieldProblem("include_subtree" if data.include_subtree else "allow_private",
                                  "admin_only", ADMIN_ONLY))
    if data.url is not None and data.url.strip() != stored_url:
        # An administrator's permission covers the address they saw: a new address from
        # anyone else must pass on its own (or by the deployment's setting).
        allow = allow_private_setting or (_is_admin(actor) and bool(
            data.allow_private if data.allow_private is not None else stored_allow
        ))
        for message in urls.problems(data.url, allow_private=allow):
            found.append(FieldProblem("url", "url_refused", message))
    if data.events is not None:
        events = list(data.events)
        if not events:
            found.append(FieldProblem("events", "required", "Pilih sedikitnya satu jenis peristiwa."))
        for n, name in enumerate(events):
            if name not in EVENT_TYPES:
                found.append(FieldProblem(f"events[{n}]", "unknown_event",
                                          f"Jenis peristiwa '{name}' tidak dikenal."))
    if data.description is not None and len(data.description) > MAX_DESCRIPTION:
        found.append(FieldProblem("description", "too_long",
                                  f"Keterangan maksimal {MAX_DESCRIPTION} karakter."))
    return found


def _save(session: Session, sub: WebhookSubscription, *, actor: Principal | None, action: str,
          before: dict | None) -> None:
    """The change and its audit record in one commit (the secret is never in the log)."""
    session.add(sub)
    audit.record(session, actor=actor, action=action, entity="webhook_subscription",
                 entity_id=sub.id, unit_id=sub.unit_id, before=before, after=_snapshot(sub))
    session.commit()


def _raise(found: list[FieldProblem], title: str) -> None:
    if found:
        raise Invalid(title, problems=[p.message for p in found], errors=found)


def list_for_unit(
    session: Session, *, actor: Principal | None, unit_id: int
) -> list[WebhookSubscription]:
    """The unit's live subscriptions, oldest first."""
    units.get(session, unit_id=unit_id, actor=actor, permission=MANAGE)
    return list(session.exec(
        select(WebhookSubscription).where(
            WebhookSubscription.unit_id == unit_id,
            col(WebhookSubscription.deleted_at).is_(None),
        ).order_by(WebhookSubscription.id)
    ).all())


def get(
    session: Session, *, actor: Principal | None, subscription_id: int,
    unit_id: int | None = None,
) -> WebhookSubscription:
    """One live subscription, for who may manage its unit's webhooks (others: not found);
    with ``unit_id``, only one of that unit (a page's address names the unit)."""
    return _find(session, actor, subscription_id, unit_id, removed=False)


def _find(
    session: Session, actor: Principal | None, subscription_id: int, unit_id: int | None,
    *, removed: bool,
) -> WebhookSubscription:
    """A live (or, with ``removed``, a deleted) subscription the actor may manage; NotFound
    otherwise, Forbidden for a reader of its unit."""
    sub = get_row(session, WebhookSubscription, subscription_id)
    if (sub is None or (sub.deleted_at is not None) != removed
            or (unit_id is not None and sub.unit_id != unit_id)):
        raise NotFound(NOT_FOUND)
    if actor is not None and not actor.can(MANAGE, sub.unit_id):
        if actor.can("unit.read", sub.unit_id):
            raise Forbidden(units.FORBIDDEN, permission=MANAGE)
        raise NotFound(NOT_FOUND)
    return sub


def create(
    session: Session, *, actor: Principal | None, unit_id: int, data: SubscriptionInput,
    allow_private_setting: bool = False,
) -> WebhookSubscription:
    """Subscribe a URL to event types for the unit; the signing secret is made here."""
    units.get(session, unit_id=unit_id, actor=actor, permission=MANAGE)
    full = SubscriptionInput(
        url=data.url or "", events=list(data.events or []), description=data.description or "",
        active=True if data.active is None else data.active,
        include_subtree=bool(data.include_subtree), allow_private=bool(data.allow_private),
    )
    _raise(_check(full, allow_private_setting=allow_private_setting, stored_allow=False,
                  actor=actor, stored_subtree=False), "Langganan webhook tidak disimpan.")
    sub = WebhookSubscription(
        unit_id=unit_id, url=full.url.strip(), events=list(dict.fromkeys(full.events)),
        description=(full.description or "").strip(), active=bool(full.active),
        include_subtree=bool(full.include_subtree), allow_private=bool(full.allow_private),
        secret=new_secret(), created_by_label=actor.label if actor else "system",
    )
    session.add(sub)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="webhook_subscription",
                 entity_id=sub.id, unit_id=unit_id, after=_snapshot(sub))
    session.commit()
    return sub


def update(
    session: Session, *, actor: Principal | None, subscription_id: int, data: SubscriptionInput,
    allow_private_setting: bool = False,
) -> WebhookSubscription:
    """Change the URL, event types, description, or turn it on/off (admins: scope flags)."""
    sub = get(session, actor=actor, subscription_id=subscription_id)
    _raise(_check(data, allow_private_setting=allow_private_setting,
                  stored_allow=sub.allow_private, actor=actor,
                  stored_subtree=sub.include_subtree, stored_url=sub.url),
           "Langganan webhook tidak diubah.")
    if data.allow_private is False and data.url is None and not allow_private_setting:
        # Taking the permission away: the stored URL must then pass on its own.
        _raise([FieldProblem("url", "url_refused", m)
                for m in urls.problems(sub.url, allow_private=False)],
               "Langganan webhook tidak diubah.")
    before = _snapshot(sub)
    if data.url is not None:
        sub.url = data.url.strip()
    if data.events is not None:
        sub.events = list(dict.fromkeys(data.events))
    if data.description is not None:
        sub.description = data.description.strip()
    if data.active is not None:
        sub.active = data.active
    if data.include_subtree is not None and (_is_admin(actor) or not data.include_subtree):
        sub.include_subtree = data.include_subtree
    if data.allow_private is not None and (_is_admin(actor) or not data.allow_private):
        sub.allow_private = data.allow_private
    sub.updated_at = _now()
    _save(session, sub, actor=actor, action="update", before=before)
    return sub


def rotate_secret(
    session: Session, *, actor: Principal | None, subscription_id: int
) -> WebhookSubscription:
    """A new signing secret (deliveries from now on are signed with it)."""
    sub = get(session, actor=actor, subscription_id=subscription_id)
    before = _snapshot(sub)
    sub.secret = new_secret()
    sub.updated_at = _now()
    session.add(sub)
    audit.record(session, actor=actor, action="rotate_secret", entity="webhook_subscription",
                 entity_id=sub.id, unit_id=sub.unit_id, before=before, after=_snapshot(sub))
    session.commit()
    return sub


def delete(session: Session, *, actor: Principal | None, subscription_id: int) -> None:
    """Remove a subscription (soft: its deliveries and their log stay; pending ones stop)."""
    sub = get(session, actor=actor, subscription_id=subscription_id)
    before = _snapshot(sub)
    sub.deleted_at = _now()
    sub.active = False
    _save(session, sub, actor=actor, action="delete", before=before)


def deleted(
    session: Session, *, actor: Principal | None, subscription_id: int,
    unit_id: int | None = None,
) -> WebhookSubscription:
    """A removed subscription (of the unit, when given): what an undo would bring back, for
    who may manage its unit's webhooks; NotFound otherwise (Forbidden for a reader)."""
    return _find(session, actor, subscription_id, unit_id, removed=True)


def restore(
    session: Session, *, actor: Principal | None, subscription_id: int,
    unit_id: int | None = None,
) -> WebhookSubscription:
    """Undo a delete: the subscription is live again, active as it was before the delete
    (deliveries skipped meanwhile are not sent). Audited as "restore"."""
    sub = deleted(session, actor=actor, subscription_id=subscription_id, unit_id=unit_id)
    before = _snapshot(sub)
    was = audit.last_before(session, entity="webhook_subscription", entity_id=sub.id)
    sub.deleted_at = None
    sub.active = bool(was.get("active", True))
    sub.updated_at = _now()
    _save(session, sub, actor=actor, action="restore", before=before)
    return sub
