"""The local folder store (the default): an object is a file under the upload folder, at
its key (``<upload_dir>/evidence/ab/ab12...``), written the crash-safe way of
app.services.durable_files: staged beside its final folder, fsync-ed, renamed into place,
the folder fsync-ed, all before the caller's database commit."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from app.services import durable_files
from app.services.storage.base import FileStore, Staging, StorageError, StoredObject


def _checked_key(key: str) -> PurePosixPath:
    parts = PurePosixPath(key)
    if not key or parts.is_absolute() or any(p in ("", ".", "..") for p in parts.parts) \
            or "\\" in key or "\x00" in key:
        raise StorageError(f"Invalid key: {key!r}.")
    return parts


class LocalStaging(Staging):
    """A temporary file (``durable_files.TEMP_PREFIX``) in ``folder``: on the same file
    system as its final name, so the rename into place is atomic."""

    def __init__(self, folder: Path):
        durable_files.make_dirs(folder)
        self.path = folder / f"{durable_files.TEMP_PREFIX}{secrets.token_hex(8)}"
        self.file: BinaryIO = open(self.path, "xb")  # noqa: SIM115 - closed by seal/discard

    def seal(self) -> None:
        """Flush and fsync the content, close the file (idempotent)."""
        if not self.file.closed:
            try:
                self.file.flush()
                os.fsync(self.file.fileno())
            finally:
                self.file.close()


class LocalStore(FileStore):
    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root.joinpath(*_checked_key(key).parts)

    def describe(self) -> str:
        return f"local folder {self.root}"

    def location(self, key: str) -> str:
        return str(self.path(key))

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def staging(self, near: str) -> Staging:
        return LocalStaging(self.path(near))

    def put(self, key: str, staged: Staging, *, size: int, replace: bool = False) -> bool:
        target = self.path(key)
        staged.seal()
        existing = self.stat(key)
        if existing is not None and existing.size == size and not replace:
            # Already stored: keep it, and make it young again so that a sweep for
            # orphans, racing with the row about to be committed, leaves it alone.
            os.utime(target)
            staged.discard()
            return False
        durable_files.make_dirs(target.parent)
        os.replace(staged.path, target)
        durable_files.fsync_dir(target.parent)
        if target.stat().st_size != size:
            raise StorageError(f"{target}: stored {target.stat().st_size} bytes, not {size}.")
        return True

    def stat(self, key: str) -> StoredObject | None:
        try:
            info = self.path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not os.path.isfile(self.path(key)):
            return None
        return StoredObject(key=key, size=info.st_size, modified=info.st_mtime)

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it

    def delete(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        try:
            durable_files.fsync_dir(path.parent)
        except OSError:
            pass  # the removal is done; its durability only matters for orphans

    def list(self, prefix: str) -> Iterator[StoredObject]:
        folder = self.path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue  # removed meanwhile
            yield StoredObject(key=path.relative_to(self.root).as_posix(), size=info.st_size,
                               modified=info.st_mtime)

    def probe(self) -> str | None:
        return durable_files.probe_writable(self.root)
