"""Shared machinery of the programme services: field coercion with Indonesian messages,
pagination, loading a live row with the unit check, stamps, soft delete and audit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlmodel import Session, SQLModel, col, func, select

from app.domain.programme import Problem
from app.models.base import utcnow
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Forbidden, Invalid, NotFound

T = TypeVar("T", bound=SQLModel)

WRITE = "programme.write"
READ = "unit.read"
MAX_LIMIT = 200
# Integers are stored in 32-bit columns; ids and counts beyond are refused, not sent.
MAX_INT = 2**31 - 1
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass
class Page(Generic[T]):
    """One page of rows and the total number matching the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class F:
    """How one input field is read: its kind, Indonesian label and limits.

    kinds: str, text, date, int, decimal, bool, enum, list (of short strings), ids (of ints),
    ref (an int id or None).
    """

    kind: str
    label: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    default: Any = None


@dataclass
class Coerced:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def choices(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def coerce(specs: Mapping[str, F], data: Mapping[str, Any], *, partial: bool) -> Coerced:
    """Read ``data`` (typed values from the API or strings from a form) against ``specs``.

    Unknown keys are refused. With ``partial`` (an update) only the given keys are read and
    required fields may be absent, but not emptied.
    """
    out = Coerced()
    for key in data:
        if key not in specs:
            out.problems.append(f"Kolom '{key}' tidak dikenal.")
    for name, spec in specs.items():
        if name not in data:
            if partial:
                continue
            if spec.required:
                out.problems.append(f"{spec.label} wajib diisi.")
                continue
            out.values[name] = _default(spec)
            continue
        value = data[name]
        try:
            out.values[name] = _one(spec, value)
        except ValueError as exc:
            out.problems.append(str(exc))
    return out


def _default(spec: F) -> Any:
    if spec.kind in ("list", "ids"):
        return list(spec.default or [])
    if spec.kind in ("str", "text") and spec.default is None:
        return ""
    if spec.kind == "bool" and spec.default is None:
        return False
    return spec.default


def _one(spec: F, value: Any) -> Any:
    kind, label = spec.kind, spec.label
    if kind in ("list", "ids"):
        if value is None or value == "":
            items: list[Any] = []
        elif isinstance(value, str):
            items = [v.strip() for v in value.replace("\r", "").replace(";", "\n").split("\n")]
        elif isinstance(value, list | tuple):
            items = list(value)
        else:
            raise ValueError(f"{label} harus berupa daftar.")
        if kind == "list":
            cleaned = []
            for item in items:
                if not isinstance(item, str):
                    raise ValueError(f"{label} harus berupa daftar teks.")
                item = item.strip()
                if item and item not in cleaned:
                    if len(item) > (spec.max_length or 200):
                        raise ValueError(f"Isian {label} terlalu panjang: '{item[:40]}...'.")
                    cleaned.append(item)
            return cleaned
        ids: list[int] = []
        for item in items:
            if item in ("", None):
                continue
            number = _int(item, label)
            if number not in ids:
                ids.append(number)
        return ids
    if _blank(value):
        if spec.required:
            raise ValueError(f"{label} wajib diisi.")
        if spec.default is not None:
            return spec.default  # emptied on an update: back to the default, as on creation
        if kind in ("str", "text"):
            return ""
        if kind == "bool":
            return False
        return None
    if kind in ("str", "text"):
        if not isinstance(value, str):
            raise ValueError(f"{label} harus berupa teks.")
        value = value.strip()
        if spec.max_length and len(value) > spec.max_length:
            raise ValueError(f"{label} paling panjang {spec.max_length} karakter.")
        return value
    if kind == "enum":
        text = str(value).strip().lower()
        if text not in spec.choices:
            raise ValueError(
                f"{label} '{value}' tidak dikenal; pilih salah satu: {', '.join(spec.choices)}."
            )
        return text
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"{label} harus berupa tanggal (TTTT-BB-HH).") from None
    if kind in ("int", "ref"):
        number = _int(value, label)
        if spec.low is not None and number < spec.low:
            raise ValueError(f"{label} tidak boleh kurang dari {spec.low}.")
        if spec.high is not None and number > spec.high:
            raise ValueError(f"{label} tidak boleh lebih dari {spec.high}.")
        return number
    if kind == "decimal":
        if isinstance(value, bool) or isinstance(value, float):
            # floats are inexact; the API sends numbers as strings or integers
            value = str(value)
        try:
            number = Decimal(str(value).strip().replace(" ", ""))
        except InvalidOperation:
            raise ValueError(f"{label} harus berupa angka (gunakan titik untuk desimal).") from None
        if not number.is_finite():
            raise ValueError(f"{label} harus berupa angka.")
        if abs(number) >= Decimal(10) ** 14:
            raise ValueError(f"{label} terlalu besar.")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "on", "ya", "yes"):
            return True
        if text in ("0", "false", "off", "tidak", "no"):
            return False
        raise ValueError(f"{label} harus ya atau tidak.")
    raise AssertionError(kind)


def _int(value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{label} harus berupa bilangan bulat.")
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{label} harus berupa bilangan bulat.") from None
    if not -MAX_INT <= value <= MAX_INT:
        raise ValueError(f"{label} di luar rentang yang diizinkan.")
    return value


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
        raise Forbidden("Anda tidak berwenang untuk tindakan ini.")


def load(
    session: Session, model: type[T], row_id: int, *, actor: Principal | None, permission: str,
    what: str,
) -> T:
    """A live row by id, or NotFound; Forbidden when it belongs to a unit the actor can't use."""
    row = session.get(model, row_id)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise NotFound(f"{what} {row_id} tidak ditemukan.")
    check_unit(actor, permission, row.unit_id)
    return row


def live(model: type[T], unit_id: int):
    """SELECT of the unit's live rows of a model."""
    return select(model).where(model.unit_id == unit_id, col(model.deleted_at).is_(None))


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
    """Add, flush and audit a new row (the caller commits)."""
    stamp_new(row, actor)
    session.add(row)
    session.flush()
    after = audit.snapshot(row) | (extra or {})
    audit.record(session, actor=actor, action="create", entity=entity, entity_id=row.id,
                 unit_id=row.unit_id, after=after)
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


def current_values(row: SQLModel, specs: Mapping[str, F]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in specs}


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
