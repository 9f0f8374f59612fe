"""``zona backup``: one archive of the database, the upload store and the secret key."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.engine import make_url

from app.config import Settings
from app.services import storage
from app.services.backup.archive import (
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    SECRET_MEMBER,
    UPLOADS_PREFIX,
    ArchiveWriter,
    BackupError,
    Counter,
    Progress,
    fsync_dir,
    human_size,
    key_fingerprint,
    manifest_checksum,
    quiet,
    zona_version,
)
from app.services.backup.databases import postgres_dump, require_tool, sqlite_snapshot


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def default_target(settings: Settings, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "backups" / f"zona-backup-{stamp}.tar.gz"


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


def _store_objects(store: storage.FileStore) -> list[storage.StoredObject]:
    """The evidence files of an object store, in key order (hidden names left out)."""
    return sorted(
        (item for item in store.list("evidence")
         if not item.key.rsplit("/", 1)[-1].startswith(".")),
        key=lambda item: item.key,
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
    report = progress or quiet
    url = make_url(settings.resolved_database_url())
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"Unsupported database backend: {backend}.")
    if backend == "postgresql":
        require_tool("pg_dump", "back up a PostgreSQL database")  # before anything is written
    target = Path(target or default_target(settings)).absolute()
    if target.exists():
        raise BackupError(f"{target} exists already: choose another name.")
    compress = not target.name.endswith(".tar")
    target.parent.mkdir(parents=True, exist_ok=True)
    secret, secret_info = _secret_for_archive(settings, include_secret)
    upload_dir = settings.resolved_upload_dir().absolute()
    store = storage.from_settings(settings)

    staging = Path(tempfile.mkdtemp(prefix=".zona-backup-", dir=target.parent))
    partial = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
    try:
        report(f"database ({backend}): taking a snapshot ...")
        snapshot = staging / PurePosixPath(DATABASE_MEMBERS[backend]).name
        if backend == "sqlite":
            database = sqlite_snapshot(Path(url.database or ""), snapshot)
        else:
            database = postgres_dump(url, snapshot)
        database["file"] = DATABASE_MEMBERS[backend]
        # The files: the upload folder as it is on disk, or the evidence objects of the S3
        # store (read from the store, archived under the same names: either restores into
        # either kind of store).
        uploads: list = _upload_files(upload_dir, target) if store.kind == "local" \
            else _store_objects(store)
        where = upload_dir if store.kind == "local" else store.describe()
        report(f"uploads: {len(uploads)} files to copy from {where}")
        with open(partial, "xb") as raw:
            os.fchmod(raw.fileno(), 0o600)  # evidence and perhaps the key: owner only
            gz = (
                gzip.GzipFile(filename=target.name.removesuffix(".gz"), mode="wb",
                              fileobj=raw, compresslevel=6)
                if compress else None
            )
            with tarfile.open(fileobj=gz or raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                writer = ArchiveWriter(tar)
                writer.add_file(database["file"], snapshot)
                report(f"database: {human_size(snapshot.stat().st_size)}")
                if secret is not None:
                    writer.add_bytes(SECRET_MEMBER, secret)
                counter = Counter(report, "uploads", len(uploads))
                vanished = 0
                for upload in uploads:
                    try:
                        if isinstance(upload, storage.StoredObject):
                            with store.open(upload.key) as source:
                                counter.tick(writer.add_stream(
                                    UPLOADS_PREFIX + upload.key, source, upload.size,
                                    upload.modified))
                        else:
                            path, name = upload
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
                    "uploads": {"files": counter.done, "bytes": counter.bytes,
                                "store": store.kind},
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
        fsync_dir(target.parent)
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
