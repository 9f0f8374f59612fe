"""The archive format: its layout and manifest, writing members with their sha256, and
reading an archive back to check every file against its manifest."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "zona-backup"
#: The archive layout this code writes; a restore refuses archives of a higher version.
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SECRET_MEMBER = "secret_key"
UPLOADS_PREFIX = "uploads/"
DATABASE_MEMBERS = {"sqlite": "database/zona.sqlite3", "postgresql": "database/zona.pgdump"}
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024 * 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def quiet(_message: str) -> None:
    return None


class Counter:
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


def hash_stream(source: IO[bytes], out: IO[bytes] | None = None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class ArchiveWriter:
    """Adds members to a tar archive, keeping the sha256 and size of each for the manifest
    (hashed as they are written: every file is read once)."""

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

    def add_stream(self, name: str, source: IO[bytes], size: int, mtime: float) -> int:
        """A member read from a stream of known size (an object of an S3 store)."""
        reader = _HashingReader(source)
        self.tar.addfile(_tarinfo(name, size, mtime), reader)
        self.files.append({"path": name, "sha256": reader.digest.hexdigest(), "size": size})
        return size

    def add_bytes(self, name: str, data: bytes, *, listed: bool = True) -> None:
        self.tar.addfile(_tarinfo(name, len(data), datetime.now(UTC).timestamp()), io.BytesIO(data))
        if listed:
            self.files.append(
                {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            )


def manifest_checksum(manifest: dict[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@contextlib.contextmanager
def open_archive(archive: Path) -> Iterator[tuple[tarfile.TarFile, IO[bytes]]]:
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
        not name or path.is_absolute() or name != path.as_posix()
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
        and isinstance(manifest.get("uploads"), dict)
    )
    if not ok:
        raise BackupError("The archive's manifest.json is incomplete.")
    return manifest


def verify_archive(archive: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Read the whole archive and check every file against its manifest; returns the
    manifest. Writes nothing."""
    report = progress or quiet
    if not Path(archive).is_file():
        raise BackupError(f"No archive at {archive}.")
    found: dict[str, tuple[str, int]] = {}
    manifest_raw: bytes | None = None
    counter = Counter(report, "checked", None)
    try:
        with open_archive(archive) as (tar, stream):
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
                found[name] = hash_stream(source)
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
    missing, extra = listed.keys() - found.keys(), found.keys() - listed.keys()
    problems = [f"missing from the archive: {name}" for name in sorted(missing)]
    problems += [f"not in the manifest: {name}" for name in sorted(extra)]
    for name in sorted(listed.keys() & found.keys()):
        if (listed[name]["sha256"], listed[name]["size"]) != found[name]:
            problems.append(f"content differs from its sha256: {name}")
    if manifest["database"]["file"] not in listed:
        problems.append(f"no database file ({manifest['database']['file']})")
    if problems:
        more = [f"... and {len(problems) - 10} more"] if len(problems) > 10 else []
        raise BackupError(
            f"{archive} is damaged: nothing was restored.\n- " + "\n- ".join(problems[:10] + more)
        )
    report(f"checked: {counter.done} files, every sha256 matches the manifest")
    return manifest


def summary(manifest: dict[str, Any]) -> list[str]:
    """What an archive holds, in a few lines for the operator."""
    database, uploads, secret = manifest["database"], manifest["uploads"], manifest["secret_key"]
    if secret.get("included"):
        origin = "the key file" if secret.get("source") == "file" else "ZONA_SECRET_KEY"
        key = f"included (from {origin})"
    elif secret.get("source") == "environment":
        key = "not included: the instance used ZONA_SECRET_KEY, keep it"
    else:
        key = "none"
    return [
        f"made       : {manifest.get('created_at')} by Zona {manifest.get('zona_version')} "
        f"(backup format {manifest['format_version']})",
        f"database   : {database['backend']}, migration {', '.join(database['alembic_revisions'])}",
        f"uploads    : {uploads.get('files')} files ({human_size(int(uploads.get('bytes') or 0))})",
        f"secret key : {key}",
    ]
