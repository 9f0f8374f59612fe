"""The database part of a backup: SQLite's online backup API, and PostgreSQL's own client
tools (pg_dump, pg_restore) run with the password in PGPASSWORD, never on the command line."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from app.db import make_engine
from app.migrate import current_revisions
from app.services.backup.archive import BackupError

POSTGRES_CLIENT_PACKAGE = "postgresql-client"


def require_tool(name: str, purpose: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on the PATH; it is needed to {purpose}. Install the Debian "
            f"package {POSTGRES_CLIENT_PACKAGE} (apt-get install {POSTGRES_CLIENT_PACKAGE}), "
            "whose major version must be at least the PostgreSQL server's."
        )
    return path


def _tool_version(path: str) -> str:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _major(version: str) -> int | None:
    match = re.search(r"(\d+)(?:\.\d+)*", version)
    return int(match.group(1)) if match else None


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The connection URI for pg_dump/pg_restore (no password in it: that goes through
    PGPASSWORD in their environment, never on the command line)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port,
        database=url.database, query=url.query,
    )  # (URL.set(password=None) would keep the password)
    uri = plain.render_as_string(hide_password=False)
    return uri, env


def _server_version(engine) -> str:
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    except SQLAlchemyError:
        return "unknown"


def _tool_failed(tool: str, stderr: str, tool_version: str, server_version: str) -> BackupError:
    lines = [f"{tool} failed: {stderr.strip() or '(no message)'}"]
    tool_major, server_major = _major(tool_version), _major(server_version)
    lines.append(f"{tool}: {tool_version}; PostgreSQL server: {server_version}.")
    if tool_major is not None and server_major is not None and tool_major < server_major:
        lines.append(
            f"{tool} is older than the server: install {POSTGRES_CLIENT_PACKAGE} "
            f"{server_major} or newer (e.g. from apt.postgresql.org) and try again."
        )
    elif "version" in stderr.lower():
        lines.append(
            f"The client tools must be of a major version at least the server's "
            f"(install a matching {POSTGRES_CLIENT_PACKAGE})."
        )
    return BackupError("\n".join(lines))


def _database_problem(url: URL, exc: Exception) -> BackupError:
    shown = url.render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return BackupError(f"Cannot reach the database {shown}: {reason}")


def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Restore needs a SQLite database file (ZONA_DATABASE_URL).")
    return Path(url.database)


def sqlite_snapshot(source: Path, into: Path) -> dict[str, Any]:
    """A consistent copy of a live SQLite database (SQLite's online backup API, in one step:
    one read transaction, so writers carry on and the copy is one moment of the database)."""
    if not source.is_file():
        raise BackupError(f"No SQLite database at {source}.")
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(into)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            (check,) = dst.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"The SQLite database {source} is damaged: {check}")
            try:
                rows = dst.execute("SELECT version_num FROM alembic_version").fetchall()
            except sqlite3.OperationalError:
                raise BackupError(
                    f"The database {source} has no Zona schema yet: nothing to back up."
                ) from None
        finally:
            dst.close()
    finally:
        src.close()
    return {"backend": "sqlite", "alembic_revisions": sorted(row[0] for row in rows)}


def sqlite_tables(path: Path) -> list[str] | None:
    """The tables of a SQLite file; None when it is not a SQLite database at all."""
    try:
        connection = sqlite3.connect(path)
        try:
            return [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )]
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return None


def postgres_dump(url: URL, into: Path) -> dict[str, Any]:
    """``pg_dump --format=custom`` of the configured database (its own consistent
    snapshot, taken while the server keeps writing)."""
    pg_dump = require_tool("pg_dump", "back up a PostgreSQL database")
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        try:
            revisions = sorted(current_revisions(engine))
        except SQLAlchemyError as exc:
            raise _database_problem(url, exc) from None
        if not revisions:
            raise BackupError("The database has no Zona schema yet: nothing to back up.")
        server_version = _server_version(engine)
    finally:
        engine.dispose()
    tool_version = _tool_version(pg_dump)
    uri, env = _libpq(url)
    done = subprocess.run(
        [pg_dump, "--format=custom", "--no-password", f"--file={into}", f"--dbname={uri}"],
        env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise _tool_failed("pg_dump", done.stderr, tool_version, server_version)
    return {
        "backend": "postgresql", "alembic_revisions": revisions,
        "server_version": server_version, "dump_tool": tool_version,
    }


def postgres_tables(url: URL) -> list[str]:
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )).scalars())
    except SQLAlchemyError as exc:
        raise _database_problem(url, exc) from None
    finally:
        engine.dispose()


def postgres_restore(pg_restore: str, url: URL, dump: Path) -> None:
    """``pg_restore`` into the configured (empty) database, in one transaction: a failure
    leaves it empty."""
    uri, env = _libpq(url)
    done = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         "--no-password", f"--dbname={uri}", str(dump)],
        env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            server_version = _server_version(engine)
        finally:
            engine.dispose()
        raise _tool_failed("pg_restore", done.stderr, _tool_version(pg_restore), server_version)
