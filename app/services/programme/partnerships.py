"""Partnerships (kerjasama kelembagaan): agreements, linked innovations, expiry state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col

from app.domain import programme as dom
from app.domain.programme.plan import DEFAULT_WARN_DAYS
from app.models.programme import Innovation, Partnership, PartnershipInnovation
from app.security.principal import Principal
from app.services.programme._common import (
    READ,
    Kind,
    Links,
    Page,
    check_pillar,
    check_unit,
    domain_texts,
    live,
)
from app.services.programme.inputs import PARTNER_KINDS as KINDS
from app.services.programme.inputs import PartnershipIn, PartnershipPatch

ENTITY = "partnership"

WARN_DAYS = DEFAULT_WARN_DAYS  # an agreement with 90 days or fewer left "expires soon"

__all__ = ["KINDS"]


def _check(session: Session, unit_id: int, values: Mapping[str, Any],
           _row_id: int | None) -> list[str]:
    problems = check_pillar(session, unit_id, values.get("pillar_id"))
    return problems + domain_texts(dom.validate_partnership(values.get("signed_on"),
                                                            values.get("expires_on")))


LINKED = Links("innovation_ids", PartnershipInnovation, "partnership_id", "innovation_id",
               Innovation, "Inovasi terkait tidak ditemukan di unit ini: ")


def innovation_ids(session: Session, *, partnership_id: int) -> list[int]:
    """Ids of the live innovations linked to a partnership."""
    return LINKED.ids(session, partnership_id)


def innovation_ids_of(session: Session, *, partnership_ids: Iterable[int]) -> dict[int, list[int]]:
    """``innovation_ids`` of several partnerships in one query."""
    return LINKED.ids_of_many(session, partnership_ids)


PARTNERSHIPS = Kind(Partnership, "partnership_id", "Kemitraan", ENTITY, PartnershipIn,
                    PartnershipPatch, check=_check, links=LINKED)
get_partnership = PARTNERSHIPS.get
# expiry after signing; linked innovations of the same unit
create_partnership = PARTNERSHIPS.create
update_partnership = PARTNERSHIPS.update  # and, when given, the linked innovations
delete_partnership = PARTNERSHIPS.delete


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


def all_partnerships(session: Session, *, unit_id: int) -> list[Partnership]:
    return list(session.exec(live(Partnership, unit_id).order_by(Partnership.partner)).all())


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
