"""Milestones of the unit's ZI road (pencanangan -> WBK -> WBBM, and custom ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.domain import programme as dom
from app.models.programme import Milestone
from app.security.principal import Principal
from app.services.programme._common import (
    READ,
    WRITE,
    Page,
    check_unit,
    create_row,
    current_values,
    live,
    load,
    paginate,
    refuse,
    soft_delete,
    update_row,
    year_bounds,
)
from app.services.programme.inputs import MilestoneIn, MilestonePatch, load_input

ENTITY = "milestone"


def to_domain(row: Milestone) -> dom.Milestone:
    return dom.Milestone(row.id, dom.MilestoneKind(row.kind), row.on_date, row.title)


def all_milestones(session: Session, *, unit_id: int) -> list[Milestone]:
    """Every live milestone of the unit, oldest first."""
    return list(session.exec(
        live(Milestone, unit_id).order_by(Milestone.on_date, Milestone.id)
    ).all())


def list_milestones(
    session: Session, *, actor: Principal | None, unit_id: int, kind: str | None = None,
    year: int | None = None, limit: int = 50, offset: int = 0,
) -> Page[Milestone]:
    """The unit's live milestones, oldest first."""
    check_unit(actor, READ, unit_id)
    query = live(Milestone, unit_id)
    if kind:
        query = query.where(Milestone.kind == kind)
    if year:
        first, last = year_bounds(year)
        query = query.where(Milestone.on_date >= first, Milestone.on_date <= last)
    return paginate(session, query, order_by=[Milestone.on_date, Milestone.id],
                    limit=limit, offset=offset)


def get_milestone(session: Session, *, actor: Principal | None, milestone_id: int,
                  unit_id: int | None = None, permission: str = READ) -> Milestone:
    """One live milestone (of ``unit_id`` when given)."""
    return load(session, Milestone, milestone_id, actor=actor, permission=permission,
                what="Tonggak", unit_id=unit_id)


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
    others = [to_domain(m) for m in all_milestones(session, unit_id=unit_id) if m.id != row_id]
    mine = dom.Milestone(row_id or "baru", dom.MilestoneKind(values["kind"]), values["on_date"],
                         values.get("title") or "")
    return _timeline_problems(sorted(others + [mine], key=lambda m: m.on), {})


def create_milestone(
    session: Session, *, actor: Principal | None, unit_id: int, data: MilestoneIn | Mapping
) -> Milestone:
    """Record a milestone; the order pencanangan < usulan < penetapan must hold."""
    check_unit(actor, WRITE, unit_id)
    values = load_input(MilestoneIn, data).read()
    refuse(MilestoneIn.refusal, _check(session, unit_id, values, None))
    return create_row(session, Milestone(unit_id=unit_id, **values), actor=actor, entity=ENTITY)


def update_milestone(
    session: Session, *, actor: Principal | None, milestone_id: int,
    changes: MilestonePatch | Mapping, unit_id: int | None = None,
) -> Milestone:
    row = get_milestone(session, actor=actor, milestone_id=milestone_id, unit_id=unit_id,
                        permission=WRITE)
    values = load_input(MilestonePatch, changes).read()
    merged = current_values(row, MilestoneIn) | values
    refuse(MilestoneIn.refusal, _check(session, row.unit_id, merged, row.id))
    return update_row(session, row, values, actor=actor, entity=ENTITY)


def delete_milestone(session: Session, *, actor: Principal | None, milestone_id: int,
                     unit_id: int | None = None) -> Milestone:
    """Soft-delete a milestone unless a later one needs it (e.g. the WBK award needs its
    proposal)."""
    row = get_milestone(session, actor=actor, milestone_id=milestone_id, unit_id=unit_id,
                        permission=WRITE)
    rest = [to_domain(m) for m in all_milestones(session, unit_id=row.unit_id) if m.id != row.id]
    refuse("Tonggak tidak dapat dihapus karena tonggak lain bergantung padanya.",
           _timeline_problems(rest, {}))
    return soft_delete(session, row, actor=actor, entity=ENTITY)
