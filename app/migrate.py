"""Alembic from code: upgrade to head, and tell whether a database is at head.

Alembic (with Mako and Pygments, about 11 MB of a server's memory) is imported by the
functions that migrate or restore, never by a serving process: ``at_head``, which the
readiness probe (/readyz) calls, reads the stored revision with one SELECT and the newest
revisions from the migration files themselves (``script_heads``; a test checks it against
Alembic's own answer).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


#: The PostgreSQL advisory lock `zona migrate` holds (any number; Zona takes no other).
MIGRATION_LOCK_KEY = 7_420_150


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """One `zona migrate` at a time on a PostgreSQL database: replicas that start together
    (each container runs it before serving) wait here in turn, and the later ones find the
    schema at head and the data files loaded. SQLite needs none (one process serves it)."""
    if not database_url.startswith("postgresql"):
        yield
        return
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"),
                               {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision of every branch."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "heads")


def head_revisions(database_url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


@cache
def script_heads(versions: Path = MIGRATIONS_DIR / "versions") -> frozenset[str]:
    """The newest revisions of the migration files: those no other file names as its
    ``down_revision``. Read once per process (the files are the installed code)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else getattr(
                node, "target", None)
            if not isinstance(target, ast.Name) or node.value is None:
                continue
            if target.id == "revision":
                revisions.add(ast.literal_eval(node.value))
            elif target.id == "down_revision":
                value = ast.literal_eval(node.value)
                parents.update((value,) if isinstance(value, str) else value or ())
    return frozenset(revisions - parents)


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions recorded in the database (none before its first migration)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return set(connection.execute(text("SELECT version_num FROM alembic_version"))
                   .scalars())


def at_head(engine: Engine) -> bool:
    return stored_revisions(engine) == script_heads()
