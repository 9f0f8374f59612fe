"""The unit's own strategic pillars and the progress of what is tagged with each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlmodel import Session, col, func, select

from app.domain import programme as dom
from app.models.programme import ActionItem, Innovation, Partnership, Pillar, TeamActivity
from app.security.principal import Principal
from app.services.errors import Conflict
from app.services.programme._common import (
    READ,
    WRITE,
    Kind,
    Page,
    check_unit,
    live,
    live_of_unit,
    soft_delete,
)
from app.services.programme.inputs import PillarIn, PillarPatch

ENTITY = "pillar"


_ALL_PILLARS = live_of_unit(Pillar).order_by(Pillar.position, Pillar.id)


def all_pillars(session: Session, *, unit_id: int) -> list[Pillar]:
    """Every live pillar of the unit (for pickers), in order."""
    return list(session.exec(_ALL_PILLARS, params={"unit_id": unit_id}).all())


PILLARS = Kind(Pillar, "pillar_id", "Pilar", ENTITY, PillarIn, PillarPatch)
get_pillar = PILLARS.get
create_pillar = PILLARS.create  # define a pillar of the unit
update_pillar = PILLARS.update


def list_pillars(
    session: Session, *, actor: Principal | None, unit_id: int, limit: int = 50, offset: int = 0
) -> Page[Pillar]:
    """The unit's live pillars, in their order."""
    return PILLARS.page(session, actor=actor, unit_id=unit_id,
                        order_by=[Pillar.position, Pillar.id], limit=limit, offset=offset)


def delete_pillar(session: Session, *, actor: Principal | None, pillar_id: int,
                  unit_id: int | None = None) -> Pillar:
    """Soft-delete a pillar nothing live is tagged with any more."""
    row = PILLARS.get(session, actor=actor, pillar_id=pillar_id, unit_id=unit_id,
                      permission=WRITE)
    tagged = sum(
        len(session.exec(live(model, row.unit_id).where(model.pillar_id == row.id)).all())
        for model in (ActionItem, Innovation, TeamActivity, Partnership)
    )
    if tagged:
        raise Conflict(
            f"Pilar '{row.name}' masih dipakai oleh {tagged} butir (rencana aksi, inovasi, "
            "kegiatan atau kemitraan); pindahkan dulu butir tersebut ke pilar lain."
        )
    return soft_delete(session, row, actor=actor, entity=ENTITY)


@dataclass(frozen=True)
class PillarProgress:
    """What is tagged with one pillar and how far it is. Shares are exact (None = nothing)."""

    pillar: Pillar
    actions: dom.Progress
    innovations: int
    innovations_in_operation: int
    activities: int
    partnerships: int
    partnerships_active: int

    @property
    def mean_progress(self) -> Fraction | None:
        return self.actions.mean_progress


def pillar_progress(
    session: Session, *, actor: Principal | None, unit_id: int, today: date
) -> list[PillarProgress]:
    """Progress of every live pillar of the unit on ``today``."""
    from app.services.programme.action_plan import to_domain as action_to_domain

    check_unit(actor, READ, unit_id)
    pillars = all_pillars(session, unit_id=unit_id)
    if not pillars:
        return []
    ids = [p.id for p in pillars]

    def tagged(model):
        return session.exec(live(model, unit_id).where(col(model.pillar_id).in_(ids))).all()

    actions = tagged(ActionItem)
    return progress_per_pillar(
        pillars, actions=[(a.pillar_id, action_to_domain(a)) for a in actions],
        innovations=tagged(Innovation), partnerships=tagged(Partnership),
        activities=activities_per_pillar(session, unit_id=unit_id), today=today,
    )


def activities_per_pillar(session: Session, *, unit_id: int) -> dict[int | None, int]:
    """pillar id (None: untagged) -> how many live team activities are tagged with it."""
    return {pillar_id: int(n)
            for pillar_id, n in session.exec(_ACTIVITIES, params={"unit_id": unit_id})}


_ACTIVITIES = live_of_unit(TeamActivity.pillar_id, func.count()).group_by(TeamActivity.pillar_id)


def progress_per_pillar(
    pillars: Sequence[Pillar], *, actions: Iterable[tuple[int | None, dom.ActionItem]],
    innovations: Iterable[Innovation], partnerships: Iterable[Partnership],
    activities: Mapping[int | None, int], today: date,
) -> list[PillarProgress]:
    """``pillar_progress`` from rows already read (pure): the unit's live action items as
    (pillar id, domain item), innovations and partnerships (untagged ones are ignored), and
    the count of live team activities per pillar."""
    ids = {p.id for p in pillars}
    mine: dict[int, list[dom.ActionItem]] = {i: [] for i in ids}
    for pillar_id, item in actions:
        if pillar_id in ids:
            mine[pillar_id].append(item)
    inns: dict[int, list[Innovation]] = {i: [] for i in ids}
    for row in innovations:
        if row.pillar_id in ids:
            inns[row.pillar_id].append(row)
    parts: dict[int, list[Partnership]] = {i: [] for i in ids}
    for row in partnerships:
        if row.pillar_id in ids:
            parts[row.pillar_id].append(row)
    out = []
    for pillar in pillars:
        active = sum(
            1 for p in parts[pillar.id]
            if dom.partnership_state(p.signed_on, p.expires_on, today)
            in (dom.PartnershipState.ACTIVE, dom.PartnershipState.EXPIRING_SOON)
        )
        out.append(
            PillarProgress(
                pillar=pillar,
                actions=dom.progress_of(mine[pillar.id], today),
                innovations=len(inns[pillar.id]),
                innovations_in_operation=sum(
                    1 for i in inns[pillar.id] if dom.Stage(i.stage).in_operation
                ),
                activities=activities.get(pillar.id, 0),
                partnerships=len(parts[pillar.id]),
                partnerships_active=active,
            )
        )
    return out


def pillar_names(session: Session, *, unit_id: int) -> dict[int, str]:
    """pillar id -> name, including deleted pillars (for labels on old rows)."""
    rows = session.exec(select(Pillar.id, Pillar.name).where(Pillar.unit_id == unit_id)).all()
    return dict(rows)
