"""Files that survive a crash: written whole under a temporary name, then renamed into place.

A file the database refers to must be on disk before the row that refers to it is committed,
and it must still be there after a power cut, not only after the process died. So a new file
is written like this (:class:`PendingFile`):

1. written under a temporary name (``TEMP_PREFIX`` + random) in the SAME directory as its
   final name, so the rename below stays inside one directory and one filesystem;
2. flushed and ``fsync``-ed: its content is on disk;
3. renamed to its final name (``os.replace``, atomic: a reader sees the whole file or none);
4. the directory ``fsync``-ed: the new name itself is on disk (a rename lives in the
   directory, and Linux filesystems do not promise to keep it without this);
5. only then the caller commits its database row; if that commit fails, the caller calls
   :meth:`PendingFile.discard` and the file is removed again.

A crash between 4 and 5 leaves a file no row refers to (an orphan), never a row without its
file; ``zona check --files`` reports such orphans and leftover temporary files. (Evidence
files take the same steps in the local file store, app.services.storage.local, which keeps a
published file when the commit fails: content addressed, another row may name it.)
Directories created on the way are made durable the same way (:func:`make_dirs`).

:func:`probe_writable` is the readiness check of a store: create, fsync and delete a small
file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO

__all__ = ["TEMP_PREFIX", "PendingFile", "fsync_dir", "make_dirs", "probe_writable"]

#: Names starting with this are files being written (or left by a crash while written).
TEMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Make the entries of a directory (names created, renamed, removed) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` whose new directories survive a crash: each parent of a directory
    created here is fsync-ed."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            if not directory.is_dir():
                raise
        fsync_dir(directory.parent)


class PendingFile:
    """A new file at ``target``, written under a temporary name until :meth:`publish`.

    Write to :attr:`file`; :meth:`seal` flushes, fsyncs and closes it (its content can then
    be read from :attr:`temp`); :meth:`publish` renames it to ``target`` and fsyncs the
    directory; :meth:`discard` removes whatever exists (temporary or published file), for a
    write or a database commit that failed. Used as a context manager it discards itself
    when the block raises.
    """

    def __init__(self, target: Path):
        self.target = target
        make_dirs(target.parent)
        self.temp = target.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        self.file: BinaryIO = open(self.temp, "xb")  # noqa: SIM115 - closed by seal/discard
        self.published = False

    def seal(self) -> None:
        """Flush and fsync the content, close the file (idempotent)."""
        if not self.file.closed:
            try:
                self.file.flush()
                os.fsync(self.file.fileno())
            finally:
                self.file.close()

    def publish(self) -> Path:
        """Seal, rename to the final name, fsync the directory; returns the final path."""
        self.seal()
        os.replace(self.temp, self.target)
        self.published = True
        fsync_dir(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Remove the file, temporary or published (never raises for a missing one)."""
        if not self.file.closed:
            self.file.close()
        self.temp.unlink(missing_ok=True)
        if self.published:
            self.target.unlink(missing_ok=True)
            self.published = False
            try:
                fsync_dir(self.target.parent)
            except OSError:
                pass  # the removal is done; an orphan after a crash is reported by the check

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()


def probe_writable(folder: Path) -> str | None:
    """None when a small file can be created, fsync-ed and deleted in ``folder``; otherwise
    the reason, in words (the system's error, without the path)."""
    probe = folder / f"{TEMP_PREFIX}probe-{secrets.token_hex(6)}"
    try:
        with open(probe, "xb") as out:
            out.write(b"zona\n")
            out.flush()
            os.fsync(out.fileno())
        probe.unlink()
    except OSError as exc:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass
        return exc.strerror or type(exc).__name__
    return None
