"""Backup and restore of a whole Zona instance (``zona backup``, ``zona restore``).

One tar archive (gzip-compressed, unless its name ends in ``.tar``) holds everything an
instance needs to answer as before:

    database/zona.sqlite3   SQLite: a snapshot by SQLite's online backup API
    database/zona.pgdump    PostgreSQL: ``pg_dump --format=custom``, made by this module
    secret_key              the key that signs sessions and links (see below)
    uploads/...             the upload store (evidence files), laid out as on disk
    manifest.json           last: format version, Zona version, creation time, database
                            backend and Alembic revision, and the sha256 and size of every
                            other file (and a checksum of the manifest itself)

The database is copied first, then the upload store: an evidence file is stored before its
row is committed, so every file the snapshot names is on disk by the time the files are read
(a file uploaded after the snapshot is carried along, harmless). Hidden files (a name starting
with ``.``) are uploads still being written and are left out.

The secret key: in development it is the generated ``<data dir>/secret_key`` file, which is
always archived. Where it comes from the environment (``ZONA_SECRET_KEY``, production) it is
NOT written into the archive unless asked (``include_secret``); the manifest keeps only a
fingerprint so that a restore can tell whether the key in use is the one the backup was
made with. Without the same key every session and signed link made before is refused.

A restore goes into an empty data folder only (no database tables, no file in the upload
store), checks every sha256 before it writes anything, writes the upload files and the key,
and restores the database last. If anything fails on the way, what it wrote is removed.

These are system operations of the command line (``actor=None`` by nature): the archive is
the audit log as it was, and a restore brings back that log unchanged.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.db import make_engine
from app.migrate import alembic_config, current_revisions, head_revisions

FORMAT = "zona-backup"
#: The archive layout this code writes; a restore refuses archives of a higher version.
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SECRET_MEMBER = "secret_key"
UPLOADS_PREFIX = "uploads/"
DATABASE_MEMBERS = {"sqlite": "database/zona.sqlite3", "postgresql": "database/zona.pgdump"}
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
POSTGRES_CLIENT_PACKAGE = "postgresql-client"

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    files: int
    at_head: bool
    notes: list[str] = field(default_factory=list)


# --- small helpers ------------------------------------------------------------------------

def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def key_fingerprint(key: str) -> str:
    """A short fingerprint of a secret key, to tell keys apart without storing them."""
    return hashlib.sha256(b"zona-backup-key-check\0" + key.encode()).hexdigest()[:16]


def zona_version() -> str:
    try:
        return metadata.version("zona")
    except metadata.PackageNotFoundError:
        return "unknown"


def _quiet(_message: str) -> None:
    return None


class _Counter:
    """Progress lines for long work: about ten per run, and the last one."""

    def __init__(self, report: Progress, label: str, total: int | None) -> None:
        self.report, self.label, self.total = report, label, total
        self.step = max(1, total // 10) if total else 200
        self.done = 0
        self.bytes = 0

    def tick(self, size: int) -> None:
        self.done += 1
        self.bytes += size
        if self.done % self.step == 0 and self.done != self.total:
            self.line()

    def line(self) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        self.report(f"{self.label}: {self.done}{of} files ({human_size(self.bytes)})")


class _HashingReader:
    """Reads through a file object, hashing and counting what passes."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _hash_stream(source: IO[bytes], out: IO[bytes] | None = None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _count_files(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(len(files) for _root, _dirs, files in os.walk(folder))


# --- PostgreSQL client tools --------------------------------------------------------------

def _tool(name: str, purpose: str) -> str:
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


# --- backup -------------------------------------------------------------------------------

def default_target(settings: Settings, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "backups" / f"zona-backup-{stamp}.tar.gz"


def _sqlite_snapshot(source: Path, into: Path) -> dict[str, Any]:
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


def _postgres_dump(url: URL, into: Path) -> dict[str, Any]:
    """``pg_dump --format=custom`` of the configured database (its own consistent
    snapshot, taken while the server keeps writing)."""
    pg_dump = _tool("pg_dump", "back up a PostgreSQL database")
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


def _upload_files(upload_dir: Path, target: Path) -> list[tuple[Path, str]]:
    """The files of the upload store, as (path, archive name), in a stable order.

    Hidden files and folders (``.upload-...``: a write in progress) are left out, and so are
    the archive being written and its folder when they lie inside the store."""
    if not upload_dir.is_dir():
        return []
    skip = {target, target.parent} - {upload_dir}
    found: list[tuple[Path, str]] = []
    for root, dirs, files in os.walk(upload_dir):  # symlinks to folders are not followed
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and here / d not in skip)
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or path in skip or path.is_symlink():
                continue
            found.append((path, UPLOADS_PREFIX + path.relative_to(upload_dir).as_posix()))
    return found


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _ArchiveWriter:
    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.files: list[dict[str, Any]] = []

    def add_file(self, name: str, path: Path) -> int:
        with open(path, "rb") as source:
            stat = os.fstat(source.fileno())
            reader = _HashingReader(source)
            self.tar.addfile(_tarinfo(name, stat.st_size, stat.st_mtime), reader)
        self.files.append({"path": name, "sha256": reader.digest.hexdigest(), "size": stat.st_size})
        return stat.st_size

    def add_bytes(self, name: str, data: bytes, *, listed: bool = True) -> None:
        self.tar.addfile(_tarinfo(name, len(data), datetime.now(UTC).timestamp()), io.BytesIO(data))
        if listed:
            self.files.append(
                {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            )


def _secret_for_archive(settings: Settings, include_secret: bool) -> tuple[bytes | None, dict]:
    if settings.secret_key:
        info = {"source": "environment", "included": include_secret,
                "fingerprint": key_fingerprint(settings.secret_key)}
        return (settings.secret_key.encode() if include_secret else None), info
    key_file = settings.data_dir / "secret_key"
    if not settings.is_production and key_file.is_file():
        data = key_file.read_bytes()
        info = {"source": "file", "included": True,
                "fingerprint": key_fingerprint(data.decode().strip())}
        return data, info
    return None, {"source": "none", "included": False, "fingerprint": None}


def manifest_checksum(manifest: dict[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_backup(
    settings: Settings,
    *,
    target: Path | None = None,
    include_secret: bool = False,
    progress: Progress | None = None,
) -> BackupResult:
    """Write one archive of the database, the upload store and the secret key.

    Safe while the server runs. The archive is written under a temporary name beside the
    target and renamed at the end: a failed backup leaves no half archive."""
    report = progress or _quiet
    url = make_url(settings.resolved_database_url())
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"Unsupported database backend: {backend}.")
    if backend == "postgresql":
        _tool("pg_dump", "back up a PostgreSQL database")  # before anything is written
    target = Path(target or default_target(settings)).absolute()
    if target.exists():
        raise BackupError(f"{target} exists already: choose another name.")
    compress = not target.name.endswith(".tar")
    target.parent.mkdir(parents=True, exist_ok=True)
    secret, secret_info = _secret_for_archive(settings, include_secret)
    upload_dir = settings.resolved_upload_dir().absolute()

    staging = Path(tempfile.mkdtemp(prefix=".zona-backup-", dir=target.parent))
    partial = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
    try:
        report(f"database ({backend}): taking a snapshot ...")
        snapshot = staging / PurePosixPath(DATABASE_MEMBERS[backend]).name
        if backend == "sqlite":
            database = _sqlite_snapshot(Path(url.database or ""), snapshot)
        else:
            database = _postgres_dump(url, snapshot)
        database["file"] = DATABASE_MEMBERS[backend]
        uploads = _upload_files(upload_dir, target)
        report(f"uploads: {len(uploads)} files to copy from {upload_dir}")
        with open(partial, "xb") as raw:
            os.fchmod(raw.fileno(), 0o600)  # evidence and perhaps the key: owner only
            gz = (
                gzip.GzipFile(filename=target.name.removesuffix(".gz"), mode="wb",
                              fileobj=raw, compresslevel=6)
                if compress else None
            )
            with tarfile.open(fileobj=gz or raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                writer = _ArchiveWriter(tar)
                writer.add_file(database["file"], snapshot)
                report(f"database: {human_size(snapshot.stat().st_size)}")
                if secret is not None:
                    writer.add_bytes(SECRET_MEMBER, secret)
                counter = _Counter(report, "uploads", len(uploads))
                vanished = 0
                for path, name in uploads:
                    try:
                        counter.tick(writer.add_file(name, path))
                    except FileNotFoundError:
                        vanished += 1  # removed since the folder was listed
                if uploads:
                    counter.line()
                manifest: dict[str, Any] = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "zona_version": zona_version(),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": database,
                    "uploads": {"files": counter.done, "bytes": counter.bytes},
                    "secret_key": secret_info,
                    "files": writer.files,
                }
                manifest["checksum"] = manifest_checksum(manifest)
                writer.add_bytes(
                    MANIFEST_NAME, json.dumps(manifest, indent=1).encode(), listed=False
                )
            if gz is not None:
                gz.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
        _fsync_dir(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    notes = []
    if vanished:
        notes.append(f"{vanished} upload file(s) were removed while the backup ran (left out).")
    if secret_info["source"] == "environment" and not include_secret:
        notes.append(
            "The secret key comes from ZONA_SECRET_KEY and is NOT in the archive: keep it "
            "safe; a restored instance needs the same ZONA_SECRET_KEY to accept the sessions "
            "and signed links made before (or back up with --include-secret)."
        )
    elif secret_info["source"] == "environment":
        notes.append(
            "The archive holds ZONA_SECRET_KEY (--include-secret): store it as carefully as "
            "the key itself."
        )
    elif secret_info["source"] == "none":
        notes.append("No secret key to archive (none configured and no generated key file).")
    return BackupResult(path=target, size=target.stat().st_size, manifest=manifest, notes=notes)


# --- reading an archive -------------------------------------------------------------------

@contextlib.contextmanager
def _open_archive(archive: Path) -> Iterator[tuple[tarfile.TarFile, IO[bytes]]]:
    """The archive as a tar stream read once from the start (gzip-compressed or plain), and
    the stream under it (read to its end, it checks the gzip CRC)."""
    with open(archive, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            yield tar, stream


def _check_member_name(name: str) -> None:
    path = PurePosixPath(name)
    if (
        not name or "\\" in name or path.is_absolute() or name != path.as_posix()
        or any(part in ("", ".", "..") for part in path.parts)
    ):
        raise BackupError(f"The archive holds an unsafe entry name: {name!r}.")
    if name in (MANIFEST_NAME, SECRET_MEMBER) or name in DATABASE_MEMBERS.values():
        return
    if name.startswith(UPLOADS_PREFIX) and len(path.parts) >= 2:
        return
    raise BackupError(f"The archive holds an entry a Zona backup does not have: {name!r}.")


def _read_failure(archive: Path, exc: BaseException) -> BackupError:
    return BackupError(
        f"{archive} cannot be read as a Zona backup (damaged, truncated or not a tar "
        f"archive): {exc or type(exc).__name__}. Nothing was restored."
    )


_HEX = re.compile(r"[0-9a-f]{64}")


def _parse_manifest(raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BackupError("The archive's manifest.json is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This is not a Zona backup (its manifest names another format).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BackupError("The archive's manifest.json is damaged (no format version).")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"This archive was written by a newer Zona ({manifest.get('zona_version')}, "
            f"backup format {version}); this Zona ({zona_version()}) reads format "
            f"{FORMAT_VERSION} and older. Install a newer Zona to restore it."
        )
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise BackupError("The archive's manifest.json is damaged (its checksum differs).")
    files = manifest.get("files")
    database = manifest.get("database")
    secret = manifest.get("secret_key")
    ok = (
        isinstance(files, list)
        and all(
            isinstance(entry, dict) and isinstance(entry.get("path"), str)
            and isinstance(entry.get("sha256"), str) and _HEX.fullmatch(entry["sha256"])
            and isinstance(entry.get("size"), int)
            for entry in files
        )
        and isinstance(database, dict)
        and database.get("backend") in DATABASE_MEMBERS
        and database.get("file") == DATABASE_MEMBERS.get(database.get("backend"))
        and isinstance(database.get("alembic_revisions"), list)
        and all(isinstance(rev, str) for rev in database["alembic_revisions"])
        and isinstance(secret, dict)
    )
    if not ok:
        raise BackupError("The archive's manifest.json is incomplete.")
    return manifest


def verify_archive(archive: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Read the whole archive and check every file against its manifest; returns the
    manifest. Writes nothing."""
    report = progress or _quiet
    found: dict[str, tuple[str, int]] = {}
    manifest_raw: bytes | None = None
    counter = _Counter(report, "checked", None)
    try:
        with _open_archive(archive) as (tar, stream):
            for member in tar:
                if member.isdir():
                    continue
                name = member.name
                if not member.isfile():
                    raise BackupError(
                        f"The archive holds {name!r}, which is not a plain file (links and "
                        "devices are never part of a Zona backup)."
                    )
                _check_member_name(name)
                if name in found or (name == MANIFEST_NAME and manifest_raw is not None):
                    raise BackupError(f"The archive holds {name!r} twice.")
                source = tar.extractfile(member)
                assert source is not None
                if name == MANIFEST_NAME:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise BackupError("The archive's manifest.json is implausibly large.")
                    manifest_raw = source.read()
                    continue
                found[name] = _hash_stream(source)
                counter.tick(found[name][1])
            while stream.read(CHUNK):  # to the end: a damaged gzip trailer is found too
                pass
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError) as exc:
        raise _read_failure(archive, exc) from None
    if manifest_raw is None:
        raise BackupError(
            f"{archive} has no manifest.json: not a Zona backup, or a truncated one. "
            "Nothing was restored."
        )
    manifest = _parse_manifest(manifest_raw)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    problems = [f"missing from the archive: {name}" for name in sorted(listed.keys() - found.keys())]
    problems += [f"not in the manifest: {name}" for name in sorted(found.keys() - listed.keys())]
    for name in sorted(listed.keys() & found.keys()):
        if (listed[name]["sha256"], listed[name]["size"]) != found[name]:
            problems.append(f"content differs from its sha256: {name}")
    if manifest["database"]["file"] not in listed:
        problems.append(f"no database file ({manifest['database']['file']})")
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise BackupError(
            f"{archive} is damaged: nothing was restored.\n- " + "\n- ".join(shown)
        )
    report(f"checked: {counter.done} files, every sha256 matches the manifest")
    return manifest


# --- restore ------------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Restore needs a SQLite database file (ZONA_DATABASE_URL).")
    return Path(url.database)


def _sqlite_tables(path: Path) -> list[str] | None:
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


def _postgres_tables(url: URL) -> list[str]:
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


def _what_is_there(settings: Settings, url: URL) -> list[str]:
    """Why the configured data folder is not empty (nothing: it is)."""
    problems = []
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path.exists():
            tables = _sqlite_tables(path)
            if tables is None:
                problems.append(f"{path} exists and is not a SQLite database")
            elif tables:
                problems.append(f"the database {path} has {len(tables)} tables")
        for suffix in ("-wal", "-journal"):
            side = Path(f"{path}{suffix}")
            if side.exists() and side.stat().st_size > 0:
                problems.append(f"{side} exists (a database was in use here)")
    else:
        tables = _postgres_tables(url)
        if tables:
            shown = url.render_as_string(hide_password=True)
            problems.append(f"the database {shown} has {len(tables)} tables")
    upload_dir = settings.resolved_upload_dir()
    files = _count_files(upload_dir)
    if files:
        problems.append(f"the upload folder {upload_dir} holds {files} files")
    return problems


def _known_revisions(database_url: str) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    return {revision.revision for revision in script.walk_revisions()}


def _members(tar: tarfile.TarFile) -> Iterator[tuple[str, IO[bytes]]]:
    """The archive's files again, in order (each is checked as ``_copy_checked`` reads it)."""
    for member in tar:
        if not member.isfile() or member.name == MANIFEST_NAME:
            continue
        source = tar.extractfile(member)
        assert source is not None
        yield member.name, source


def _copy_checked(source: IO[bytes], dest: Path, entry: dict[str, Any]) -> None:
    """Write ``source`` to ``dest`` through a hidden temporary name, checked and synced."""
    temp = dest.parent / f".restore-{dest.name}"
    try:
        with open(temp, "xb") as out:
            digest, size = _hash_stream(source, out)
            out.flush()
            os.fsync(out.fileno())
        if (digest, size) != (entry["sha256"], entry["size"]):
            raise BackupError(
                f"{entry['path']} changed since the archive was checked: nothing was restored."
            )
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)


def _remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir():
        return
    for root, _dirs, _files in os.walk(folder, topdown=False):
        if Path(root) != folder:
            with contextlib.suppress(OSError):
                Path(root).rmdir()


def _key_notes(settings: Settings, secret_info: dict, key_file: Path | None) -> list[str]:
    """What the operator must know about the secret key after a restore."""
    fingerprint = secret_info.get("fingerprint")
    if settings.secret_key:
        if fingerprint and key_fingerprint(settings.secret_key) == fingerprint:
            return ["Secret key: ZONA_SECRET_KEY is the key the backup was made with."]
        where = f" (the archived key is in {key_file})" if key_file else ""
        return [
            "WARNING: ZONA_SECRET_KEY differs from the key the backup was made with: sessions "
            "and signed links made before will be refused. Set ZONA_SECRET_KEY to the old "
            f"instance's key{where}."
        ]
    if key_file is not None:
        if settings.is_production:
            return [
                f"Secret key: restored to {key_file}; production reads it only from "
                "ZONA_SECRET_KEY: set ZONA_SECRET_KEY to its content."
            ]
        return [f"Secret key: restored to {key_file}."]
    return [
        "WARNING: the archive holds no secret key: set ZONA_SECRET_KEY to the old instance's "
        "key, or sessions and signed links made before will be refused."
    ]


def restore_backup(
    settings: Settings, *, archive: Path, progress: Progress | None = None
) -> RestoreResult:
    """Restore an archive of ``create_backup`` into an empty data folder and database.

    Every file is checked against the manifest before anything is written; a damaged
    archive, a non-empty target or a failure on the way leaves the target as it was."""
    report = progress or _quiet
    url = make_url(settings.resolved_database_url())
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"Unsupported database backend: {backend}.")
    pg_restore = _tool("pg_restore", "restore into PostgreSQL") if backend == "postgresql" else ""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No archive at {archive}.")
    problems = _what_is_there(settings, url)
    if problems:
        raise BackupError(
            "Restore goes only into an empty data folder and an empty database; here:\n- "
            + "\n- ".join(problems)
            + "\nPoint ZONA_DATA_DIR / ZONA_DATABASE_URL / ZONA_UPLOAD_DIR at new, empty ones."
        )
    report(f"checking {archive} ...")
    manifest = verify_archive(archive, progress=report)
    database = manifest["database"]
    if database["backend"] != backend:
        raise BackupError(
            f"This archive holds a {database['backend']} database and the configured database "
            f"is {backend}: restore it into a {database['backend']} database "
            "(ZONA_DATABASE_URL)."
        )
    database_url = url.render_as_string(hide_password=False)
    unknown = set(database["alembic_revisions"]) - _known_revisions(database_url)
    if unknown:
        raise BackupError(
            f"This archive was made by a newer Zona ({manifest.get('zona_version')}): its "
            f"database is at migration {', '.join(sorted(unknown))}, unknown to this Zona "
            f"({zona_version()}). Install that version or newer, then restore."
        )

    listed = {entry["path"]: entry for entry in manifest["files"]}
    upload_dir = settings.resolved_upload_dir()
    sqlite_path = _sqlite_path(url) if backend == "sqlite" else None
    staging_parent = sqlite_path.parent if sqlite_path is not None else settings.data_dir
    staging_parent.mkdir(parents=True, exist_ok=True)
    upload_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".zona-restore-", dir=staging_parent))
    written: list[Path] = []
    key_file = settings.data_dir / SECRET_MEMBER
    old_key = key_file.read_bytes() if key_file.is_file() else None
    key_written = False
    secret: bytes | None = None
    snapshot = staging / PurePosixPath(database["file"]).name
    counter = _Counter(report, "restored", manifest["uploads"].get("files"))
    try:
        with _open_archive(archive) as (tar, _stream):
            for name, source in _members(tar):
                entry = listed.get(name)
                if entry is None:
                    raise BackupError(f"{name} appeared since the archive was checked.")
                if name == SECRET_MEMBER:
                    out = io.BytesIO()
                    if _hash_stream(source, out) != (entry["sha256"], entry["size"]):
                        raise BackupError(f"{name} changed since the archive was checked.")
                    secret = out.getvalue()
                elif name == database["file"]:
                    _copy_checked(source, snapshot, entry)
                else:
                    dest = upload_dir.joinpath(*PurePosixPath(name).parts[1:])
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    _copy_checked(source, dest, entry)
                    written.append(dest)
                    counter.tick(entry["size"])
        if counter.done:
            counter.line()

        if secret is not None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            temp = key_file.parent / f".restore-{key_file.name}"
            temp.write_bytes(secret)
            temp.chmod(0o600)
            os.replace(temp, key_file)
            key_written = True

        report(f"database ({backend}): restoring ...")
        if sqlite_path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)  # empty leftovers
            os.replace(snapshot, sqlite_path)
            _fsync_dir(sqlite_path.parent)
        else:
            _pg_restore(pg_restore, url, snapshot)
        _fsync_dir(upload_dir)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        _remove_empty_dirs(upload_dir)
        if key_written:
            if old_key is None:
                key_file.unlink(missing_ok=True)
            else:
                key_file.write_bytes(old_key)
        if isinstance(exc, tarfile.TarError | OSError | EOFError | zlib.error):
            raise BackupError(
                f"Restore failed: {exc}. What it had written was removed; the target is "
                "empty again."
            ) from exc
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    engine = make_engine(database_url)
    try:
        current = current_revisions(engine)
    finally:
        engine.dispose()
    at_head = current == head_revisions(database_url)
    notes = _key_notes(settings, manifest["secret_key"], key_file if key_written else None)
    if old_key is not None and key_written and old_key != secret:
        notes.append(f"(the key generated earlier in {key_file} was replaced by the archived one)")
    return RestoreResult(manifest=manifest, files=counter.done, at_head=at_head, notes=notes)


def _pg_restore(pg_restore: str, url: URL, dump: Path) -> None:
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
