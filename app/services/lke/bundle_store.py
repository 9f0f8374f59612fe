"""Where built evidence bundles are kept: in the file store (app.services.storage: the local
upload folder or an S3 bucket), under ``bundles/<2 chars>/<random name>``, so that a bundle
built by one replica can be downloaded from any other.

The only module that knows where a built bundle lives. A bundle is written like any stored
object: into a local staging file, then ``put`` into the store (verified there) before the
job row that names it is committed as done. A bundle no done job names (a build whose lease
was lost after its upload, a process that died between the two) and the temporary files of
builds that died are removed by ``remove_stale`` once a day old. The evidence orphan sweep
(``zona check --files``, app.services.lke.evidence_store) lists ``evidence/`` only: the
bundles are not its business.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection

from app.services.errors import NotFound
from app.services.storage import FileStore, Staging, StoredFile

BUNDLE_PREFIX = "bundles"
#: A temporary file, or a bundle no job names, older than this is left by a build that died
#: (a live build renews its staging file with every chunk, and its job row names its bundle
#: seconds after the upload).
STALE_SECONDS = 24 * 3600


def new_name() -> str:
    return secrets.token_hex(20)


def key_of(stored_name: str) -> str:
    """The key of a built bundle in any store."""
    if not stored_name or not stored_name.isalnum():
        raise NotFound("Bundel eviden tidak ditemukan.")
    return f"{BUNDLE_PREFIX}/{stored_name[:2]}/{stored_name}"


def staging(store: FileStore) -> Staging:
    """A local file to write a new bundle into (``staging.file``), then ``publish`` it."""
    return store.staging(BUNDLE_PREFIX)


def publish(store: FileStore, stored_name: str, staged: Staging, *, size: int) -> None:
    """Store the staged bundle under its key, verified by size (StorageError otherwise)."""
    store.put(key_of(stored_name), staged, size=size)


def find(store: FileStore, stored_name: str) -> StoredFile | None:
    """The built bundle as a stored file, or None when it is not in the store."""
    key = key_of(stored_name)
    found = store.stat(key)
    return None if found is None else StoredFile(store=store, key=key, size=found.size)


def remove(store: FileStore, stored_name: str | None) -> None:
    if stored_name:
        try:
            store.delete(key_of(stored_name))
        except NotFound:
            pass  # not a name a bundle could have: nothing stored under it


def remove_stale(store: FileStore, keep: Collection[str], now: float | None = None) -> int:
    """Remove what builds that died left under ``bundles/`` more than STALE_SECONDS ago:
    temporary files and bundles whose stored name is not in ``keep`` (the names done jobs
    hold, read BEFORE this lists the store). Returns how many were removed."""
    moment = time.time() if now is None else now
    kept = {key_of(name) for name in keep if name and name.isalnum()}
    removed = 0
    for item in list(store.list(BUNDLE_PREFIX)):
        # a temporary file's name is never a kept key: it goes once old, like a bundle
        # no job names
        if item.key in kept or moment - item.modified <= STALE_SECONDS:
            continue
        current = store.stat(item.key)  # its age now, right before it goes
        if current is not None and moment - current.modified > STALE_SECONDS:
            store.delete(item.key)
            removed += 1
    return removed
