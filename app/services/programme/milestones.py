"""Milestones of the unit's ZI road (pencanangan -> WBK -> WBBM, and custom ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.domain import programme as dom
from app.models.programme import Milestone
from app.security.principal import Principal
from app.services.programme._common import (
    WRITE,
    Kind,
    Page,
    live,
    refuse,
    soft_delete,
    year_bounds,
)
from app.services.programme.inputs import MilestoneIn, MilestonePatch

ENTITY = "milestone"


def to_domain(row: Milestone) -> dom.Milestone:
    return dom.Milestone(row.id, dom.MilestoneKind(row.kind), row.on_date, row.title)


def all_milestones(session: Session, *, unit_id: int) -> list[Milestone]:
    """Every live milestone of the unit, oldest first."""
    return list(session.exec(
        live(Milestone, unit_id).order_by(Milestone.on_date, Milestone.id)
    ).all())


def _timeline_problems(rows: list[dom.Milestone], labels: Mapping[Any, str]) -> list[str]:
    texts = []
    for problem in dom.validate_timeline(rows):
        if problem.code == "required":
            texts.append("Judul wajib diisi untuk tonggak lain.")
        else:
            texts.append(problem.text("id"))
    return texts


def _check(session: Session, unit_id: int, values: Mapping[str, Any], row_id: int | None
           ) -> list[str]:
    """The order pencanangan < usulan < penetapan must hold with these values stored."""
    others = [to_domain(m) for m in all_milestones(session, unit_id=unit_id) if m.id != row_id]
    mine = dom.Milestone(row_id or "baru", dom.MilestoneKind(values["kind"]), values["on_date"],
                         values.get("title") or "")
    return _timeline_problems(sorted(others + [mine], key=lambda m: m.on), {})


MILESTONES = Kind(Milestone, "milestone_id", "Tonggak", ENTITY, MilestoneIn, MilestonePatch,
                  check=_check)
get_milestone = MILESTONES.get
create_milestone = MILESTONES.create
update_milestone = MILESTONES.update


def list_milestones(
    session: Session, *, actor: Principal | None, unit_id: int, kind: str | None = None,
    year: int | None = None, limit: int = 50, offset: int = 0,
) -> Page[Milestone]:
    """The unit's live milestones, oldest first."""
    def in_year():
        if not year:
            return []
        first, last = year_bounds(year)
        return [Milestone.on_date >= first, Milestone.on_date <= last]

    return MILESTONES.page(session, actor=actor, unit_id=unit_id,
                           equal=[(Milestone.kind, kind)], where=in_year,
                           order_by=[Milestone.on_date, Milestone.id], limit=limit,
                           offset=offset)


def delete_milestone(session: Session, *, actor: Principal | None, milestone_id: int,
                     unit_id: int | None = None) -> Milestone:
    """Soft-delete a milestone unless a later one needs it (e.g. the WBK award needs its
    proposal)."""
    row = MILESTONES.get(session, actor=actor, milestone_id=milestone_id, unit_id=unit_id,
                         permission=WRITE)
    rest = [to_domain(m) for m in all_milestones(session, unit_id=row.unit_id) if m.id != row.id]
    refuse("Tonggak tidak dapat dihapus karena tonggak lain bergantung padanya.",
           _timeline_problems(rest, {}))
    return soft_delete(session, row, actor=actor, entity=ENTITY)
