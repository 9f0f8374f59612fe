"""Engine and session handling for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import BigInteger, Integer, String, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.services.errors import Invalid

# Ids live in 32-bit integer columns (PostgreSQL `integer`).
MAX_ID = 2**31 - 1


def get_row(session: Session, model, row_id):
    """`session.get`, except that an id no row can have finds nothing instead of failing
    (SQLite refuses integers past 64 bits, PostgreSQL past the column's 32)."""
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
        return None
    return session.get(model, row_id)


def _column_problems(obj: object) -> list[str]:
    """What PostgreSQL would refuse in this row, in words (SQLite would store it silently)."""
    problems: list[str] = []
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        value = state.dict.get(attr.key)
        if value is None:
            continue
        if isinstance(value, str):
            if "\x00" in value:
                problems.append(f"Isian '{attr.key}' berisi karakter NUL yang tidak diizinkan.")
            length = getattr(column.type, "length", None)
            if isinstance(column.type, String) and length and len(value) > length:
                problems.append(f"Isian '{attr.key}' paling banyak {length} karakter.")
        elif isinstance(value, int) and not isinstance(value, bool):
            bound = (
                2**63 if isinstance(column.type, BigInteger)
                else 2**31 if isinstance(column.type, Integer) else None
            )
            if bound and not -bound <= value < bound:
                problems.append(f"Isian '{attr.key}' di luar rentang angka yang dapat disimpan.")
    return problems


@event.listens_for(Session, "before_flush")
def _refuse_unstorable(session, _context, _instances) -> None:
    """Last check before any row is written: the same limits on SQLite as on PostgreSQL.

    The services validate their input with better words; this keeps a value they missed a
    clear 422 (nothing written) instead of a database error, on both databases.
    """
    problems: list[str] = []
    for obj in list(session.new) + list(session.dirty):
        for problem in _column_problems(obj):
            if problem not in problems:
                problems.append(problem)
    if problems:
        raise Invalid("Data tidak dapat disimpan.", problems=problems)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
