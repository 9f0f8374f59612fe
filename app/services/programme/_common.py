"""Shared machinery of the programme services: pagination, loading a live row with the unit
check, stamps, soft delete and audit. Input reading lives with the input models (``inputs``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam
from sqlmodel import Session, SQLModel, col, func, select

from app.domain.programme import Problem
from app.models.base import utcnow
from app.security.principal import Principal, missing
from app.services import audit
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.programme.inputs import MAX_INT, ProgrammeInput, load_input

T = TypeVar("T", bound=SQLModel)

WRITE = "programme.write"
READ = "unit.read"
MAX_LIMIT = 200
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass
class Page(Generic[T]):
    """One page of rows and the total number matching the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int


def choices(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def year_bounds(year: int) -> tuple[date, date]:
    """The first and last day of a filter year, or Invalid when the year is out of range."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(f"Tahun harus antara {MIN_YEAR} dan {MAX_YEAR}.")
    return date(year, 1, 1), date(year, 12, 31)


def filter_id(value: int | None, label: str) -> int | None:
    """An id given as a filter: beyond the id range it can match nothing, so it is refused."""
    if value is not None and not 0 <= value <= MAX_INT:
        raise Invalid(f"{label} tidak dikenal.")
    return value


def domain_texts(problems: Iterable[Problem], labels: Mapping[str, str] | None = None) -> list[str]:
    """Indonesian texts of domain problems; field names replaced by their labels."""
    texts = []
    for problem in problems:
        if problem.field and labels and problem.field in labels and problem.code == "required":
            texts.append(f"{labels[problem.field]} wajib diisi.")
        else:
            texts.append(problem.text("id"))
    return texts


def refuse(message: str, problems: Sequence[str]) -> None:
    """Raise Invalid when there are problems (nothing is stored)."""
    if problems:
        raise Invalid(message, problems=list(problems))


def check_unit(actor: Principal | None, permission: str, unit_id: int) -> None:
    """Forbidden unless the actor (None = the system) holds the permission at the unit."""
    if actor is not None and not actor.can(permission, unit_id):
        name, message = missing(actor, permission, unit_id)
        raise Forbidden(message, permission=name)


def load(
    session: Session, model: type[T], row_id: int, *, actor: Principal | None, permission: str,
    what: str, unit_id: int | None = None,
) -> T:
    """A live row by id, or NotFound; Forbidden when it belongs to a unit the actor can't use.

    With ``unit_id`` (a path under /units/{unit_id}/...) a row of another unit is NotFound in
    the same words as a row that does not exist, whoever asks: ids cannot be probed.
    """
    row = session.get(model, row_id)
    if row is None or getattr(row, "deleted_at", None) is not None or (
        unit_id is not None and row.unit_id != unit_id
    ):
        raise NotFound(f"{what} {row_id} tidak ditemukan.")
    check_unit(actor, permission, row.unit_id)
    return row


def live(model: type[T], unit_id: int):
    """SELECT of the unit's live rows of a model."""
    return select(model).where(model.unit_id == unit_id, col(model.deleted_at).is_(None))


def live_of_unit(*columns: Any):
    """``live`` of the model of ``columns`` (one model, or some of its columns) with the unit
    as the bound parameter ``unit_id``: a module builds such a statement once (building one
    costs about as much as running it here) and runs it with params={"unit_id": ...}."""
    model = columns[0] if isinstance(columns[0], type) else columns[0].class_
    return select(*columns).where(model.unit_id == bindparam("unit_id"),
                                  col(model.deleted_at).is_(None))


def paginate(session: Session, query, *, order_by: Sequence[Any], limit: int, offset: int) -> Page:
    if limit < 1 or limit > MAX_LIMIT:
        raise Invalid(f"Batas (limit) harus antara 1 dan {MAX_LIMIT}.")
    if offset < 0:
        raise Invalid("Offset tidak boleh negatif.")
    if offset > MAX_INT:
        raise Invalid("Offset terlalu besar.")
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(*order_by).offset(offset).limit(limit)).all()
    return Page(items=list(rows), total=total, limit=limit, offset=offset)


def live_ids(session: Session, model: type[SQLModel], unit_id: int, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` are live rows of the unit."""
    ids = set(ids)
    if not ids:
        return set()
    rows = session.exec(
        select(model.id).where(
            col(model.id).in_(ids), model.unit_id == unit_id, col(model.deleted_at).is_(None)
        )
    ).all()
    return set(rows)


def check_pillar(session: Session, unit_id: int, pillar_id: int | None) -> list[str]:
    from app.models.programme import Pillar

    if pillar_id is None or live_ids(session, Pillar, unit_id, [pillar_id]):
        return []
    return [f"Pilar {pillar_id} tidak ditemukan di unit ini."]


def stamp_new(row: SQLModel, actor: Principal | None) -> None:
    row.created_by = actor.user_id if actor else None
    row.created_at = utcnow()


def apply(row: SQLModel, values: Mapping[str, Any], actor: Principal | None) -> None:
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    row.updated_by = actor.user_id if actor else None


def create_row(
    session: Session, row: T, *, actor: Principal | None, entity: str, extra: dict | None = None
) -> T:
    """Add and audit a new row, and commit."""
    stamp_new(row, actor)
    session.add(row)
    session.flush()
    after = audit.snapshot(row) | (extra or {})
    audit.record(session, actor=actor, action="create", entity=entity, entity_id=row.id,
                 unit_id=row.unit_id, after=after)
    session.commit()
    return row


def update_row(
    session: Session, row: T, values: Mapping[str, Any], *, actor: Principal | None,
    entity: str, before: dict | None = None, after: dict | None = None,
    links: Callable[[], None] | None = None,
) -> T:
    """Change a row (and its links, when given), audited, and commit. ``before``/``after``
    add what the row's snapshot does not hold (e.g. linked ids)."""
    old = audit.snapshot(row) | (before or {})
    apply(row, values, actor)
    session.add(row)
    if links is not None:
        links()
    audit.record(session, actor=actor, action="update", entity=entity, entity_id=row.id,
                 unit_id=row.unit_id, before=old, after=audit.snapshot(row) | (after or {}))
    session.commit()
    return row


def soft_delete(
    session: Session, row: SQLModel, *, actor: Principal | None, entity: str,
    extra: dict | None = None,
) -> SQLModel:
    """Mark a row deleted (kept for the record), audited, and commit."""
    before = audit.snapshot(row) | (extra or {})
    now = utcnow()
    row.deleted_at = now
    row.updated_at = now
    row.updated_by = actor.user_id if actor else None
    session.add(row)
    audit.record(session, actor=actor, action="delete", entity=entity, entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    session.commit()
    return row


def current_values(row: SQLModel, model: type[ProgrammeInput]) -> dict[str, Any]:
    """The row's stored values of the model's fields (links such as member_ids excluded)."""
    return {name: getattr(row, name) for name in _stored_fields(type(row), model)}


@functools.cache
def _stored_fields(row_type: type[SQLModel], model: type[ProgrammeInput]) -> tuple[str, ...]:
    """The fields of the input model the table has (of two classes: fixed once imported)."""
    stored = row_type.model_fields
    return tuple(name for name in (model.creates or model).model_fields if name in stored)


def unit_today(session: Session, unit_id: int) -> date:
    """Today's date in the unit's time zone (overdue and expiry are judged on it)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.models.units import Unit

    unit = session.get(Unit, unit_id)
    try:
        zone = ZoneInfo(unit.timezone if unit else "Asia/Jakarta")
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Jakarta")
    return datetime.now(zone).date()


@dataclass(frozen=True)
class Links:
    """Rows linked to a row through a link table: the members at an activity, the innovations
    of a partnership. Unlinking is soft (the link is kept, marked deleted) and only live
    linked rows count."""

    field: str  # the input field with the wanted ids, e.g. "member_ids"
    model: type[SQLModel]  # the link table
    parent: str  # its column naming the row, e.g. "activity_id"
    child: str  # its column naming the linked row, e.g. "member_id"
    target: type[SQLModel]  # the table of the linked rows
    missing: str  # the start of the message for ids not live in the unit

    def ids(self, session: Session, row_id: int) -> list[int]:
        """Ids of the live rows linked to ``row_id``."""
        child = getattr(self.model, self.child)
        return list(session.exec(
            select(child).join(self.target, self.target.id == child).where(
                getattr(self.model, self.parent) == row_id,
                col(self.model.deleted_at).is_(None), col(self.target.deleted_at).is_(None),
            ).order_by(child)
        ).all())

    def ids_of_many(self, session: Session, row_ids: Iterable[int]) -> dict[int, list[int]]:
        """``ids`` of several rows in one query: row id -> ids of its live linked rows
        (every asked row present, [] when it links none)."""
        wanted = list(row_ids)
        out: dict[int, list[int]] = {row_id: [] for row_id in wanted}
        if not wanted:
            return out
        parent = getattr(self.model, self.parent)
        child = getattr(self.model, self.child)
        for parent_id, child_id in session.exec(
            select(parent, child).join(self.target, self.target.id == child).where(
                col(parent).in_(wanted),
                col(self.model.deleted_at).is_(None), col(self.target.deleted_at).is_(None),
            ).order_by(parent, child)
        ).all():
            out[parent_id].append(child_id)
        return out

    def problems(self, session: Session, unit_id: int, wanted: list[int] | None) -> list[str]:
        if not wanted:
            return []
        missing = sorted(set(wanted) - live_ids(session, self.target, unit_id, wanted))
        return [self.missing + ", ".join(str(i) for i in missing) + "."] if missing else []

    def set(self, session: Session, row: SQLModel, wanted: list[int],
            actor: Principal | None) -> None:
        """Link exactly ``wanted`` (restoring links removed before)."""
        links = session.exec(
            select(self.model).where(getattr(self.model, self.parent) == row.id)).all()
        by_child = {getattr(link, self.child): link for link in links}
        now = utcnow()
        user = actor.user_id if actor else None
        for child, link in by_child.items():
            if child not in wanted and link.deleted_at is None:
                link.deleted_at, link.updated_at, link.updated_by = now, now, user
                session.add(link)
        for child in wanted:
            link = by_child.get(child)
            if link is None:
                session.add(self.model(unit_id=row.unit_id, created_by=user,
                                       **{self.parent: row.id, self.child: child}))
            elif link.deleted_at is not None:
                link.deleted_at, link.updated_at, link.updated_by = None, now, user
                session.add(link)
        session.flush()


Check = Callable[[Session, int, dict[str, Any], "int | None"], list[str]]


@dataclass(frozen=True)
class Kind(Generic[T]):
    """The read / create / change / delete use cases every kind of programme row shares.

    A service module binds them under its own names, e.g. ``get_pillar = PILLARS.get``; the
    row is addressed by ``id_name`` (``get_pillar(session, actor=..., pillar_id=3)``) and,
    from a page under /units/{unit_id}, ``unit_id``: a row of another unit is then NotFound.
    ``check(session, unit_id, values, row_id)`` returns the Indonesian problems of the values
    about to be stored (on a change: the row's values with the changes; ``row_id`` None on a
    create); it may normalise ``values`` in place (e.g. upper-case an LKE code).
    """

    model: type[T]
    id_name: str
    what: str  # the Indonesian name in "<what> 12 tidak ditemukan."
    entity: str  # the audit entity
    create_input: type[ProgrammeInput]
    patch_input: type[ProgrammeInput]
    check: Check | None = None
    links: Links | None = None

    def _id(self, given: Mapping[str, int]) -> int:
        if set(given) != {self.id_name}:
            raise TypeError(f"expected the keyword {self.id_name}, got {sorted(given)}")
        return given[self.id_name]

    def page(
        self, session: Session, *, actor: Principal | None, unit_id: int,
        order_by: Sequence[Any], limit: int, offset: int,
        equal: Iterable[tuple[Any, Any]] = (), pillar_id: int | None = None,
        where: Callable[[], Iterable[Any]] | None = None,
    ) -> Page[T]:
        """One page of the unit's live rows: ``equal`` holds (column, value) filters, applied
        when the value is given (not None or ""); ``where()`` adds conditions, built once the
        actor and the pillar are checked (a bad year or date then reads as Invalid)."""
        check_unit(actor, READ, unit_id)
        filter_id(pillar_id, "Pilar")
        query = live(self.model, unit_id)
        if pillar_id is not None:
            equal = [*equal, (self.model.pillar_id, pillar_id)]
        for column, value in equal:
            if value not in (None, ""):
                query = query.where(column == value)
        conditions = list(where()) if where is not None else []
        if conditions:
            query = query.where(*conditions)
        return paginate(session, query, order_by=order_by, limit=limit, offset=offset)

    def get(self, session: Session, *, actor: Principal | None, unit_id: int | None = None,
            permission: str = READ, **row_id: int) -> T:
        """One live row (of ``unit_id`` when given)."""
        return load(session, self.model, self._id(row_id), actor=actor, permission=permission,
                    what=self.what, unit_id=unit_id)

    def refuse_problems(self, session: Session, unit_id: int, values: dict[str, Any],
                        row_id: int | None, wanted: list[int] | None = None) -> None:
        problems = self.check(session, unit_id, values, row_id) if self.check else []
        if self.links is not None:
            problems += self.links.problems(session, unit_id, wanted)
        refuse(self.create_input.refusal, problems)

    def create(self, session: Session, *, actor: Principal | None, unit_id: int,
               data: ProgrammeInput | Mapping[str, Any]) -> T:
        """Store a new row of the unit (and its links); Invalid (nothing stored) with the
        problems."""
        check_unit(actor, WRITE, unit_id)
        values = load_input(self.create_input, data).read()
        if self.links is None:
            self.refuse_problems(session, unit_id, values, None)
            return create_row(session, self.model(unit_id=unit_id, **values), actor=actor,
                              entity=self.entity)
        wanted = values.pop(self.links.field)
        self.refuse_problems(session, unit_id, values, None, wanted)
        row = self.model(unit_id=unit_id, **values)
        session.add(row)
        session.flush()
        self.links.set(session, row, wanted, actor)
        return create_row(session, row, actor=actor, entity=self.entity,
                          extra={self.links.field: wanted})

    def update(self, session: Session, *, actor: Principal | None,
               changes: ProgrammeInput | Mapping[str, Any], unit_id: int | None = None,
               **row_id: int) -> T:
        """Change the given fields (and the links, when given); the whole result must still
        be valid."""
        row = self.get(session, actor=actor, unit_id=unit_id, permission=WRITE, **row_id)
        values = load_input(self.patch_input, changes).read()
        links = self.links
        wanted = values.pop(links.field, None) if links else None
        merged = current_values(row, self.create_input) | values
        self.refuse_problems(session, row.unit_id, merged, row.id, wanted)
        if links is None:
            return update_row(session, row, {k: merged[k] for k in values}, actor=actor,
                              entity=self.entity)
        old = links.ids(session, row.id)
        return update_row(
            session, row, {k: merged[k] for k in values}, actor=actor, entity=self.entity,
            before={links.field: old},
            after={links.field: wanted if wanted is not None else old},
            links=None if wanted is None else lambda: links.set(session, row, wanted, actor),
        )

    def delete(self, session: Session, *, actor: Principal | None, unit_id: int | None = None,
               **row_id: int) -> T:
        """Soft-delete the row (kept for the record, its links too), audited."""
        row = self.get(session, actor=actor, unit_id=unit_id, permission=WRITE, **row_id)
        extra = {self.links.field: self.links.ids(session, row.id)} if self.links else None
        return soft_delete(session, row, actor=actor, entity=self.entity, extra=extra)

    def deleted(self, session: Session, *, actor: Principal | None, unit_id: int,
                row_id: int) -> T:
        """A soft-deleted row of the unit (what an undo would bring back), or NotFound."""
        row = session.get(self.model, row_id)
        if row is None or row.unit_id != unit_id or getattr(row, "deleted_at", None) is None:
            raise NotFound(f"{self.what} {row_id} tidak ditemukan di antara yang dihapus.")
        check_unit(actor, WRITE, unit_id)
        return row

    def restore(self, session: Session, *, actor: Principal | None, unit_id: int,
                row_id: int) -> T:
        """Undo a soft delete: the row is live again if it is still valid among the live rows
        (e.g. no other milestone took its place); Invalid otherwise. Audited."""
        row = self.deleted(session, actor=actor, unit_id=unit_id, row_id=row_id)
        values = current_values(row, self.create_input)
        if self.links is not None:
            values.pop(self.links.field, None)
        self.refuse_problems(session, unit_id, values, row.id)
        before = audit.snapshot(row)
        now = utcnow()
        row.deleted_at = None
        row.updated_at = now
        row.updated_by = actor.user_id if actor else None
        session.add(row)
        audit.record(session, actor=actor, action="restore", entity=self.entity,
                     entity_id=row.id, unit_id=row.unit_id, before=before,
                     after=audit.snapshot(row))
        session.commit()
        return row
