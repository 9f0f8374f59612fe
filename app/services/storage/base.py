"""The file store interface: where evidence files (and anything else Zona keeps as a file)
live, whatever holds them: a local folder (app.services.storage.local) or an S3-compatible
object store (app.services.storage.s3).

A store holds objects under keys: relative POSIX paths such as ``evidence/ab/ab12...``,
the same in every store (so ``zona storage migrate`` copies a folder into a bucket key for
key). A new object is written in two steps: its bytes go to a local :class:`Staging` file
(hashed and checked by the caller while they arrive), then :meth:`FileStore.put` makes it
an object, verified, BEFORE the caller commits the database row that names it. A store is
content addressed by its callers (the key ends in the sha256 of the bytes), so ``put`` of a
key that already holds an object of the same size writes nothing.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Read and sent in pieces of this size (downloads, hashing, copies).
CHUNK = 1024 * 1024


class StorageError(Exception):
    """The store could not do what was asked (unreachable, refused, a failed verification)."""


@dataclass(frozen=True)
class StoredObject:
    """One object of a store: its key, size in bytes and last change (epoch seconds)."""

    key: str
    size: int
    modified: float


class Staging(abc.ABC):
    """A new object's bytes on local disk, until :meth:`FileStore.put` stores them.

    Write to :attr:`file`; :meth:`seal` flushes and closes it; :meth:`open` reads it back;
    leaving the ``with`` block removes whatever is left of it."""

    path: Path
    file: BinaryIO

    def seal(self) -> None:
        if not self.file.closed:
            self.file.flush()
            self.file.close()

    def open(self) -> BinaryIO:
        return open(self.path, "rb")  # noqa: SIM115 - the caller closes it

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.discard()


class FileStore(abc.ABC):
    """Objects under keys. Implementations: LocalStore, S3Store."""

    #: "local" or "s3", for messages and settings.
    kind: str

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the store is, for people: a folder, or s3://bucket/prefix at an endpoint."""

    @abc.abstractmethod
    def location(self, key: str) -> str:
        """Where one object is, for people (a path, or s3://bucket/prefix/key)."""

    @abc.abstractmethod
    def staging(self, near: str) -> Staging:
        """A local file to write a new object into; ``near``: the key folder it will go to
        (the local store stages beside it, on the same file system)."""

    @abc.abstractmethod
    def put(self, key: str, staged: Staging, *, size: int, replace: bool = False) -> bool:
        """Store the staged bytes under ``key`` and verify them there; return False (and
        write nothing, only refresh the object's age) when an object of that size is already
        there: keys are content addressed. ``replace``: write even then (a repair)."""

    @abc.abstractmethod
    def stat(self, key: str) -> StoredObject | None:
        """The object under ``key``, or None when there is none."""

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object (FileNotFoundError when absent)."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object (no error when it is already gone)."""

    @abc.abstractmethod
    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object whose key starts with ``prefix``, temporary files included."""

    def local_path(self, key: str) -> Path | None:
        """The object as a local file, where the store is a folder (else None)."""
        return None

    def presigned_url(self, key: str, *, filename: str, media_type: str) -> str | None:
        """A short-lived address the browser may fetch the object from directly, served as
        an attachment, or None when the store does not offer one (or it is turned off)."""
        return None

    def probe(self) -> str | None:
        """None when the store can be written to; otherwise the reason, in words."""
        return None

    # -- built on the above ------------------------------------------------------------

    def chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        """The object's bytes in pieces (the stream is closed when the iterator ends or is
        closed)."""
        with self.open(key) as stream:
            while chunk := stream.read(size):
                yield chunk

    def sha256(self, key: str) -> str:
        """The sha256 of the object's bytes as stored (read whole, in pieces)."""
        digest = hashlib.sha256()
        for chunk in self.chunks(key):
            digest.update(chunk)
        return digest.hexdigest()


@dataclass(frozen=True)
class StoredFile:
    """One stored file as callers read it, whatever store holds it: ``open()`` gives a
    readable binary stream (like ``Path.open("rb")``), ``chunks()`` its bytes in pieces."""

    store: FileStore
    key: str
    size: int

    def open(self, mode: str = "rb") -> BinaryIO:
        if mode != "rb":
            raise ValueError("Stored files are read only (mode 'rb').")
        return self.store.open(self.key)

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        return self.store.chunks(self.key, size)

    def read_bytes(self) -> bytes:
        with self.open() as stream:
            return stream.read()

    @property
    def local_path(self) -> Path | None:
        """The file on local disk when the store is a folder (None for an object store)."""
        return self.store.local_path(self.key)

    @property
    def location(self) -> str:
        return self.store.location(self.key)
