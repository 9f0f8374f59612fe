"""Partnerships (kerjasama kelembagaan): agreements, linked innovations, expiry state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.domain import programme as dom
from app.domain.programme.plan import DEFAULT_WARN_DAYS
from app.models.base import utcnow
from app.models.programme import Innovation, Partnership, PartnershipInnovation
from app.security.principal import Principal
from app.services.programme._common import (
    READ,
    WRITE,
    Kind,
    Page,
    check_pillar,
    check_unit,
    create_row,
    current_values,
    domain_texts,
    live,
    live_ids,
    refuse,
    soft_delete,
    update_row,
)
from app.services.programme.inputs import PARTNER_KINDS as KINDS
from app.services.programme.inputs import PartnershipIn, PartnershipPatch, load_input

ENTITY = "partnership"

KIND_LABELS = {
    "pemda": "Pemerintah daerah", "bank": "Bank", "universitas": "Perguruan tinggi",
    "media": "Media", "komunitas": "Komunitas", "instansi_lain": "Instansi lain",
    "other": "Lainnya",
}
WARN_DAYS = DEFAULT_WARN_DAYS  # an agreement with 90 days or fewer left "expires soon"

__all__ = ["KINDS"]


def _check(session: Session, unit_id: int, values: Mapping[str, Any],
           innovation_ids: list[int] | None) -> list[str]:
    problems = check_pillar(session, unit_id, values.get("pillar_id"))
    problems += domain_texts(dom.validate_partnership(values.get("signed_on"),
                                                      values.get("expires_on")))
    if innovation_ids:
        missing = sorted(set(innovation_ids) - live_ids(session, Innovation, unit_id,
                                                        innovation_ids))
        if missing:
            problems.append(
                "Inovasi terkait tidak ditemukan di unit ini: "
                + ", ".join(str(i) for i in missing) + "."
            )
    return problems


def innovation_ids(session: Session, *, partnership_id: int) -> list[int]:
    """Ids of the live innovations linked to a partnership."""
    return list(session.exec(
        select(PartnershipInnovation.innovation_id).join(
            Innovation, Innovation.id == PartnershipInnovation.innovation_id
        ).where(
            PartnershipInnovation.partnership_id == partnership_id,
            col(PartnershipInnovation.deleted_at).is_(None),
            col(Innovation.deleted_at).is_(None),
        ).order_by(PartnershipInnovation.innovation_id)
    ).all())


def _set_links(session: Session, row: Partnership, wanted: list[int],
               actor: Principal | None) -> None:
    links = session.exec(
        select(PartnershipInnovation).where(PartnershipInnovation.partnership_id == row.id)
    ).all()
    by_innovation = {link.innovation_id: link for link in links}
    now = utcnow()
    for innovation_id, link in by_innovation.items():
        if innovation_id not in wanted and link.deleted_at is None:
            link.deleted_at = now
            link.updated_at, link.updated_by = now, actor.user_id if actor else None
            session.add(link)
    for innovation_id in wanted:
        link = by_innovation.get(innovation_id)
        if link is None:
            session.add(PartnershipInnovation(
                unit_id=row.unit_id, partnership_id=row.id, innovation_id=innovation_id,
                created_by=actor.user_id if actor else None,
            ))
        elif link.deleted_at is not None:
            link.deleted_at = None
            link.updated_at, link.updated_by = now, actor.user_id if actor else None
            session.add(link)
    session.flush()


def all_partnerships(session: Session, *, unit_id: int) -> list[Partnership]:
    return list(session.exec(live(Partnership, unit_id).order_by(Partnership.partner)).all())


PARTNERSHIPS = Kind(Partnership, "partnership_id", "Kemitraan", ENTITY, PartnershipIn,
                    PartnershipPatch)
get_partnership = PARTNERSHIPS.get


def list_partnerships(
    session: Session, *, actor: Principal | None, unit_id: int, kind: str | None = None,
    pillar_id: int | None = None, expiring_on: date | None = None, limit: int = 50,
    offset: int = 0,
) -> Page[Partnership]:
    """The unit's live partnerships; ``expiring_on`` keeps those expiring soon on that day."""
    def expiring_soon():
        if expiring_on is None:
            return []
        return [col(Partnership.signed_on).is_not(None),
                col(Partnership.signed_on) <= expiring_on,
                col(Partnership.expires_on) >= expiring_on,
                col(Partnership.expires_on) <= expiring_on + timedelta(days=WARN_DAYS)]

    return PARTNERSHIPS.page(session, actor=actor, unit_id=unit_id, pillar_id=pillar_id,
                             equal=[(Partnership.kind, kind)], where=expiring_soon,
                             order_by=[Partnership.partner, Partnership.id],
                             limit=limit, offset=offset)


def create_partnership(
    session: Session, *, actor: Principal | None, unit_id: int, data: PartnershipIn | Mapping
) -> Partnership:
    """Record an agreement (expiry after signing; linked innovations of the same unit)."""
    check_unit(actor, WRITE, unit_id)
    values = load_input(PartnershipIn, data).read()
    wanted = values.pop("innovation_ids")
    refuse(PartnershipIn.refusal, _check(session, unit_id, values, wanted))
    row = Partnership(unit_id=unit_id, **values)
    session.add(row)
    session.flush()
    _set_links(session, row, wanted, actor)
    return create_row(session, row, actor=actor, entity=ENTITY, extra={"innovation_ids": wanted})


def update_partnership(
    session: Session, *, actor: Principal | None, partnership_id: int,
    changes: PartnershipPatch | Mapping, unit_id: int | None = None,
) -> Partnership:
    """Change an agreement and, when given, its linked innovations."""
    row = PARTNERSHIPS.get(session, actor=actor, partnership_id=partnership_id,
                           unit_id=unit_id, permission=WRITE)
    values = load_input(PartnershipPatch, changes).read()
    wanted = values.pop("innovation_ids", None)
    merged = current_values(row, PartnershipIn) | values
    refuse(PartnershipIn.refusal, _check(session, row.unit_id, merged, wanted))
    old = innovation_ids(session, partnership_id=row.id)
    return update_row(
        session, row, values, actor=actor, entity=ENTITY,
        before={"innovation_ids": old},
        after={"innovation_ids": wanted if wanted is not None else old},
        links=None if wanted is None else lambda: _set_links(session, row, wanted, actor),
    )


def delete_partnership(session: Session, *, actor: Principal | None, partnership_id: int,
                       unit_id: int | None = None) -> Partnership:
    row = PARTNERSHIPS.get(session, actor=actor, partnership_id=partnership_id,
                           unit_id=unit_id, permission=WRITE)
    links = innovation_ids(session, partnership_id=row.id)
    return soft_delete(session, row, actor=actor, entity=ENTITY, extra={"innovation_ids": links})


def state(row: Partnership, today: date) -> dom.PartnershipState:
    """Not signed yet / active / expiring soon (<= 90 days left) / expired, on ``today``."""
    return dom.partnership_state(row.signed_on, row.expires_on, today, WARN_DAYS)


def expiring(session: Session, *, actor: Principal | None, unit_id: int, today: date
             ) -> list[Partnership]:
    """Agreements expiring within the warning period, the soonest first."""
    check_unit(actor, READ, unit_id)
    rows = [p for p in all_partnerships(session, unit_id=unit_id)
            if state(p, today) is dom.PartnershipState.EXPIRING_SOON]
    return sorted(rows, key=lambda p: (p.expires_on, p.id))
