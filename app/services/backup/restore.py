"""``zona restore``: an archive of ``zona backup`` into an empty data folder and database."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from app.config import Settings
from app.db import make_engine
from app.migrate import alembic_config, current_revisions, head_revisions
from app.services import storage
from app.services.backup.archive import (
    DATABASE_MEMBERS,
    MANIFEST_NAME,
    SECRET_MEMBER,
    BackupError,
    Counter,
    Progress,
    fsync_dir,
    hash_stream,
    key_fingerprint,
    open_archive,
    quiet,
    verify_archive,
    zona_version,
)
from app.services.backup.databases import (
    postgres_restore,
    postgres_tables,
    require_tool,
    sqlite_file,
    sqlite_tables,
)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    files: int
    at_head: bool
    notes: list[str] = field(default_factory=list)


def _count_files(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(len(files) for _root, _dirs, files in os.walk(folder))


def _what_is_there(settings: Settings, url: URL) -> list[str]:
    """Why the configured data folder is not empty (nothing: it is)."""
    problems = []
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path.exists():
            tables = sqlite_tables(path)
            if tables is None:
                problems.append(f"{path} exists and is not a SQLite database")
            elif tables:
                problems.append(f"the database {path} has {len(tables)} tables")
        for suffix in ("-wal", "-journal"):
            side = Path(f"{path}{suffix}")
            if side.exists() and side.stat().st_size > 0:
                problems.append(f"{side} exists (a database was in use here)")
    else:
        tables = postgres_tables(url)
        if tables:
            shown = url.render_as_string(hide_password=True)
            problems.append(f"the database {shown} has {len(tables)} tables")
    upload_dir = settings.resolved_upload_dir()
    files = _count_files(upload_dir)
    if files:
        problems.append(f"the upload folder {upload_dir} holds {files} files")
    store = storage.from_settings(settings)
    if store.kind != "local":
        held = sum(1 for _ in store.list("evidence"))
        if held:
            problems.append(f"the file store {store.describe()} holds {held} files")
    return problems


def _to_store(store: storage.FileStore, key: str, source: IO[bytes],
              entry: dict[str, Any]) -> None:
    """Write an archived evidence file into an object store, checked before it is stored."""
    with store.staging(key.rsplit("/", 1)[0]) as staged:
        digest, size = hash_stream(source, staged.file)
        staged.seal()
        if (digest, size) != (entry["sha256"], entry["size"]):
            raise BackupError(
                f"{entry['path']} changed since the archive was checked: nothing was restored."
            )
        store.put(key, staged, size=size, replace=True)


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
            digest, size = hash_stream(source, out)
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
    report = progress or quiet
    url = make_url(settings.resolved_database_url())
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"Unsupported database backend: {backend}.")
    pg_restore = ""
    if backend == "postgresql":
        pg_restore = require_tool("pg_restore", "restore into PostgreSQL")
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No archive at {archive}.")
    problems = _what_is_there(settings, url)
    if problems:
        raise BackupError(
            "Restore goes only into an empty data folder and an empty database; here:\n- "
            + "\n- ".join(problems)
            + "\nPoint ZONA_DATA_DIR / ZONA_DATABASE_URL / ZONA_UPLOAD_DIR (or ZONA_STORAGE_URL) "
            "at new, empty ones."
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
    sqlite_path = sqlite_file(url) if backend == "sqlite" else None
    staging_parent = sqlite_path.parent if sqlite_path is not None else settings.data_dir
    staging_parent.mkdir(parents=True, exist_ok=True)
    upload_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".zona-restore-", dir=staging_parent))
    written: list[Path] = []
    # Evidence files go to the configured store (the upload folder, or S3); the rest of the
    # archived upload folder to the folder.
    store = storage.from_settings(settings)
    stored_keys: list[str] = []
    key_file = settings.data_dir / SECRET_MEMBER
    old_key = key_file.read_bytes() if key_file.is_file() else None
    key_written = False
    secret: bytes | None = None
    snapshot = staging / PurePosixPath(database["file"]).name
    counter = Counter(report, "restored", manifest["uploads"].get("files"))
    try:
        with open_archive(archive) as (tar, _stream):
            for name, source in _members(tar):
                entry = listed.get(name)
                if entry is None:
                    raise BackupError(f"{name} appeared since the archive was checked.")
                if name == SECRET_MEMBER:
                    out = io.BytesIO()
                    if hash_stream(source, out) != (entry["sha256"], entry["size"]):
                        raise BackupError(f"{name} changed since the archive was checked.")
                    secret = out.getvalue()
                elif name == database["file"]:
                    _copy_checked(source, snapshot, entry)
                elif store.kind != "local" and name.startswith("uploads/evidence/"):
                    key = name.removeprefix("uploads/")
                    stored_keys.append(key)
                    _to_store(store, key, source, entry)
                    counter.tick(entry["size"])
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
            fsync_dir(sqlite_path.parent)
        else:
            postgres_restore(pg_restore, url, snapshot)
        fsync_dir(upload_dir)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        _remove_empty_dirs(upload_dir)
        for key in stored_keys:
            with contextlib.suppress(storage.StorageError):
                store.delete(key)
        if key_written:
            if old_key is None:
                key_file.unlink(missing_ok=True)
            else:
                key_file.write_bytes(old_key)
        if isinstance(exc, tarfile.TarError | OSError | EOFError | zlib.error
                      | storage.StorageError):
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
