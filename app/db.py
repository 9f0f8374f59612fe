"""Engine and session handling for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Table, event, inspect
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlmodel import Session, create_engine

from app.domain.text import clean_text
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


def _clean_texts(obj: object) -> None:
    """No text column keeps an invisible format or control character (app.domain.text):
    the input models clean what they read; this catches text that came in any other way."""
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        value = state.dict.get(attr.key)
        if isinstance(value, str) and value != (cleaned := clean_text(value)):
            setattr(obj, attr.key, cleaned)


@event.listens_for(Session, "before_flush")
def _refuse_unstorable(session, _context, _instances) -> None:
    """Last check before any row is written: the same limits on SQLite as on PostgreSQL,
    and no invisible characters in a text.

    The services validate their input with better words; this keeps a value they missed a
    clear 422 (nothing written) instead of a database error, on both databases.
    """
    problems: list[str] = []
    for obj in list(session.new) + list(session.dirty):
        _clean_texts(obj)
        for problem in _column_problems(obj):
            if problem not in problems:
                problems.append(problem)
    if problems:
        raise Invalid("Data tidak dapat disimpan.", problems=problems)


#: Set on every SQLite connection. ``synchronous=FULL``: in WAL mode the WAL is fsync-ed at
#: every commit, so an acknowledged write survives an OS crash or a power cut, not only a
#: crash of the process (NORMAL fsyncs only at checkpoints: the last commits before a power
#: cut could be lost). The public survey intake commits many responses at once, so the
#: fsync is shared by the batch; measured in bench/README.md ("SQLite synchronous").
#:
#: ``cache_size=-1024``: each connection keeps at most 1 MiB of database pages (SQLite's
#: default is 2,000 KiB). A server holds one connection per request in flight (two for a
#: full page: the page's and the header bell's), up to the pool's 15, so under 8 concurrent
#: clients the default caches reached 30 MB of the process; pages not cached are read from
#: the operating system's file cache, which all connections share. 512 KiB saved ~3 MB more
#: but made the demo unit's pages ~20% slower in process (their pages no longer fit): not
#: kept. Figures in bench/README.md ("Server memory").
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA cache_size=-1024",
)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


# --- bulk writes: a few statements per batch instead of one per row ---------------------------

#: Bound values in one statement, under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_BOUND_VALUES = 30_000


@cache
def _bulk_plan(table: Table, columns: tuple[str, ...], dialect: Dialect):
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    row = "(" + ", ".join([mark] * len(columns)) + ")"
    processors = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    )
    return head, row, processors


@cache
def _unnest_sql(table: Table, columns: tuple[str, ...], dialect: Dialect) -> str:
    casts = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts})"


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows (all with the same keys) in as few round trips as the driver allows,
    skipping SQLAlchemy's per-row statement handling.

    Each value goes through its column type's own bind processor, so it is stored exactly as
    SQLAlchemy would store it (JSON, dates, booleans). SQLite gets multi-row VALUES
    statements, PostgreSQL one ``INSERT ... SELECT FROM unnest(arrays)``.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    head, row_sql, processors = _bulk_plan(table, columns, connection.dialect)
    if connection.dialect.name == "postgresql":
        # One statement whatever the number of rows: a column of values per array
        # parameter, unnested by the server (a multi-row VALUES statement would be too
        # long for psycopg's query cache and re-parsed on every call).
        arrays = [
            [row[name] for row in rows] if process is None
            else [process(row[name]) for row in rows]
            for name, process in zip(columns, processors, strict=True)
        ]
        connection.exec_driver_sql(_unnest_sql(table, columns, connection.dialect), tuple(arrays))
        return
    width = len(columns)
    take = itemgetter(*columns) if width > 1 else (lambda row: (row[columns[0]],))
    processed = [(i, process) for i, process in enumerate(processors) if process is not None]
    per_statement = max(1, MAX_BOUND_VALUES // width)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        values: list[Any] = []
        for row in chunk:
            row_values = list(take(row))
            for i, process in processed:
                row_values[i] = process(row_values[i])
            values += row_values
        connection.exec_driver_sql(head + ", ".join([row_sql] * len(chunk)), tuple(values))


def reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` new primary-key values of ``table`` (an integer ``id``), for rows inserted
    with them in the same transaction.

    PostgreSQL takes them from the column's sequence (safe with any number of writers).
    SQLite first takes the database's write lock (a write that changes nothing), so nobody
    else can insert before this transaction ends, then counts on from the largest id, as
    SQLite itself would.
    """
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        return list(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            f"FROM generate_series(1, %s)", (count,)
        ).scalars())
    connection.exec_driver_sql(f"UPDATE {table.name} SET id = id WHERE 0")
    largest = connection.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}")
    first = largest.scalar_one() + 1
    return list(range(first, first + count))
