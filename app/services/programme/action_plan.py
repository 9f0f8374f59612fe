"""The action plan (rencana aksi): items per change area, progress and overdue items."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col

from app.domain import programme as dom
from app.models.programme import ActionItem
from app.security.principal import Principal
from app.services.programme._common import (
    READ,
    Kind,
    Page,
    check_pillar,
    check_unit,
    current_values,
    domain_texts,
    live_of_unit,
)
from app.services.programme.inputs import ActionItemIn, ActionItemPatch

ENTITY = "action_item"


def to_domain(row: ActionItem) -> dom.ActionItem:
    return _domain(row.id, current_values(row, ActionItemIn))


def _domain(row_id: Any, v: Mapping[str, Any]) -> dom.ActionItem:
    return dom.ActionItem(
        id=row_id, title=v["activity"], area=dom.ChangeArea(v["area"]),
        status=dom.ItemStatus(v["status"] or "belum_mulai"), progress=v["progress"] or 0,
        due_on=v.get("due_on"), started_on=v.get("started_on"),
        lke_ref=v.get("lke_ref") or None,
    )


def _check(session: Session, unit_id: int, values: dict[str, Any], _row_id: int | None = None
           ) -> list[str]:
    if values.get("lke_ref"):
        values["lke_ref"] = values["lke_ref"].strip().upper()
    if values.get("progress") is None:
        values["progress"] = 0
    problems = check_pillar(session, unit_id, values.get("pillar_id"))
    problems += domain_texts(dom.validate_action_item(_domain("baru", values)),
                             {"title": "Kegiatan"})
    return problems


_ALL_ITEMS = live_of_unit(ActionItem).order_by(ActionItem.area, col(ActionItem.due_on),
                                               ActionItem.id)


def all_action_items(session: Session, *, unit_id: int) -> list[ActionItem]:
    return list(session.exec(_ALL_ITEMS, params={"unit_id": unit_id}).all())


ITEMS = Kind(ActionItem, "item_id", "Butir rencana aksi", ENTITY, ActionItemIn, ActionItemPatch,
             check=_check)
get_action_item = ITEMS.get
create_action_item = ITEMS.create  # progress 0-100 consistent with status, due after start
update_action_item = ITEMS.update
delete_action_item = ITEMS.delete


def list_action_items(
    session: Session, *, actor: Principal | None, unit_id: int, area: str | None = None,
    status: str | None = None, pillar_id: int | None = None, overdue_on: date | None = None,
    limit: int = 50, offset: int = 0,
) -> Page[ActionItem]:
    """The unit's live items by area then due date; ``overdue_on`` keeps only items overdue
    on that day (open and past due)."""
    def overdue():
        if overdue_on is None:
            return []
        return [col(ActionItem.status).in_([s.value for s in dom.ItemStatus if s.is_open]),
                col(ActionItem.due_on).is_not(None), col(ActionItem.due_on) < overdue_on]

    return ITEMS.page(session, actor=actor, unit_id=unit_id, pillar_id=pillar_id,
                      equal=[(ActionItem.area, area), (ActionItem.status, status)],
                      where=overdue,
                      order_by=[ActionItem.area, col(ActionItem.due_on), ActionItem.id],
                      limit=limit, offset=offset)


def is_overdue(row: ActionItem, today: date) -> bool:
    """Open and past its due date on ``today`` (the due day itself is not late)."""
    return dom.is_overdue(to_domain(row), today)


def overdue_items(session: Session, *, actor: Principal | None, unit_id: int, today: date
                  ) -> list[ActionItem]:
    """Open items past their due date, the oldest due first."""
    check_unit(actor, READ, unit_id)
    items = [i for i in all_action_items(session, unit_id=unit_id) if is_overdue(i, today)]
    return sorted(items, key=lambda i: (i.due_on, i.id))


def progress_by_area(
    session: Session, *, actor: Principal | None, unit_id: int, today: date
) -> dict[dom.ChangeArea, dom.Progress]:
    """Progress of the plan in each of the six areas (LKE order) on ``today``."""
    check_unit(actor, READ, unit_id)
    return dom.progress_by_area(
        [to_domain(i) for i in all_action_items(session, unit_id=unit_id)], today
    )
