"""The action plan (rencana aksi): items per change area, progress and overdue items."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col

from app.domain import programme as dom
from app.models.programme import ActionItem
from app.security.principal import Principal
from app.services import audit
from app.services.programme._common import (
    READ,
    WRITE,
    F,
    Page,
    apply,
    check_pillar,
    check_unit,
    choices,
    coerce,
    create_row,
    current_values,
    domain_texts,
    filter_id,
    live,
    load,
    paginate,
    refuse,
    soft_delete,
)

ENTITY = "action_item"

FIELDS: dict[str, F] = {
    "area": F("enum", "Area perubahan", required=True, choices=choices(dom.ChangeArea)),
    "activity": F("str", "Kegiatan", required=True, max_length=300),
    "output_target": F("str", "Target keluaran", max_length=300),
    "person_in_charge": F("str", "Penanggung jawab", max_length=200),
    "started_on": F("date", "Tanggal mulai"),
    "due_on": F("date", "Batas waktu"),
    "status": F("enum", "Status", choices=choices(dom.ItemStatus), default="belum_mulai"),
    "progress": F("int", "Kemajuan (%)", default=0),
    "evidence_title": F("str", "Judul bukti", max_length=200),
    "evidence_url": F("str", "Tautan bukti", max_length=500),
    "lke_ref": F("str", "Kode LKE", max_length=10),
    "pillar_id": F("ref", "Pilar"),
}


def to_domain(row: ActionItem) -> dom.ActionItem:
    return _domain(row.id, current_values(row, FIELDS))


def _domain(row_id: Any, v: Mapping[str, Any]) -> dom.ActionItem:
    return dom.ActionItem(
        id=row_id, title=v["activity"], area=dom.ChangeArea(v["area"]),
        status=dom.ItemStatus(v["status"] or "belum_mulai"), progress=v["progress"] or 0,
        due_on=v.get("due_on"), started_on=v.get("started_on"),
        lke_ref=v.get("lke_ref") or None,
    )


def _check(session: Session, unit_id: int, values: dict[str, Any]) -> list[str]:
    if values.get("lke_ref"):
        values["lke_ref"] = values["lke_ref"].strip().upper()
    if values.get("progress") is None:
        values["progress"] = 0
    problems = check_pillar(session, unit_id, values.get("pillar_id"))
    problems += domain_texts(dom.validate_action_item(_domain("baru", values)),
                             {"title": "Kegiatan"})
    return problems


def list_action_items(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    area: str | None = None,
    status: str | None = None,
    pillar_id: int | None = None,
    overdue_on: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[ActionItem]:
    """The unit's live items by area then due date; ``overdue_on`` keeps only items overdue
    on that day (open and past due)."""
    check_unit(actor, READ, unit_id)
    filter_id(pillar_id, "Pilar")
    query = live(ActionItem, unit_id)
    for column, value in ((ActionItem.area, area), (ActionItem.status, status),
                          (ActionItem.pillar_id, pillar_id)):
        if value not in (None, ""):
            query = query.where(column == value)
    if overdue_on is not None:
        query = query.where(
            col(ActionItem.status).in_([s.value for s in dom.ItemStatus if s.is_open]),
            col(ActionItem.due_on).is_not(None), col(ActionItem.due_on) < overdue_on,
        )
    return paginate(session, query, order_by=[ActionItem.area, col(ActionItem.due_on),
                                              ActionItem.id], limit=limit, offset=offset)


def all_action_items(session: Session, *, unit_id: int) -> list[ActionItem]:
    return list(session.exec(
        live(ActionItem, unit_id).order_by(ActionItem.area, col(ActionItem.due_on), ActionItem.id)
    ).all())


def get_action_item(session: Session, *, actor: Principal | None, item_id: int) -> ActionItem:
    return load(session, ActionItem, item_id, actor=actor, permission=READ,
                what="Butir rencana aksi")


def create_action_item(
    session: Session, *, actor: Principal | None, unit_id: int, data: Mapping[str, Any]
) -> ActionItem:
    """Add an item to the plan (progress 0-100 consistent with status, due after start)."""
    check_unit(actor, WRITE, unit_id)
    got = coerce(FIELDS, data, partial=False)
    refuse("Rencana aksi tidak dapat disimpan.", got.problems)
    refuse("Rencana aksi tidak dapat disimpan.", _check(session, unit_id, got.values))
    row = create_row(session, ActionItem(unit_id=unit_id, **got.values), actor=actor,
                     entity=ENTITY)
    session.commit()
    return row


def update_action_item(
    session: Session, *, actor: Principal | None, item_id: int, changes: Mapping[str, Any]
) -> ActionItem:
    """Change an item; the result must still be valid."""
    row = load(session, ActionItem, item_id, actor=actor, permission=WRITE,
               what="Butir rencana aksi")
    got = coerce(FIELDS, changes, partial=True)
    refuse("Rencana aksi tidak dapat disimpan.", got.problems)
    merged = current_values(row, FIELDS) | got.values
    refuse("Rencana aksi tidak dapat disimpan.", _check(session, row.unit_id, merged))
    before = audit.snapshot(row)
    apply(row, {k: merged[k] for k in got.values}, actor)
    session.add(row)
    audit.record(session, actor=actor, action="update", entity=ENTITY, entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    session.commit()
    return row


def delete_action_item(session: Session, *, actor: Principal | None, item_id: int) -> ActionItem:
    row = load(session, ActionItem, item_id, actor=actor, permission=WRITE,
               what="Butir rencana aksi")
    return soft_delete(session, row, actor=actor, entity=ENTITY)


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
