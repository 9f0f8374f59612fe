"""Where built evidence bundles are kept: ``<upload_dir>/bundles/<2 chars>/<random name>``.

A small helper on purpose: the upload folder today, the storage interface later (the only
place that knows where a built bundle lives). Written through ``durable_files.PendingFile``:
under a temporary name until it is complete, then renamed into place.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from app.services import durable_files
from app.services.errors import NotFound

BUNDLE_SUBDIR = "bundles"
#: A temporary file older than this is left by a build that died (a live build renews it).
TEMP_MAX_AGE_SECONDS = 24 * 3600


def new_name() -> str:
    return secrets.token_hex(20)


def path_of(upload_dir: Path, stored_name: str) -> Path:
    if not stored_name or not stored_name.isalnum():
        raise NotFound("Bundel eviden tidak ditemukan.")
    return upload_dir / BUNDLE_SUBDIR / stored_name[:2] / stored_name


def writer(upload_dir: Path, stored_name: str) -> durable_files.PendingFile:
    """A new bundle file, invisible under its final name until ``publish()``."""
    return durable_files.PendingFile(path_of(upload_dir, stored_name))


def remove(upload_dir: Path, stored_name: str | None) -> None:
    if stored_name:
        try:
            path_of(upload_dir, stored_name).unlink(missing_ok=True)
        except NotFound:
            pass


def remove_stale_temporaries(upload_dir: Path, now: float | None = None) -> int:
    """Remove temporary files of builds that died long ago; returns how many."""
    folder = upload_dir / BUNDLE_SUBDIR
    if not folder.is_dir():
        return 0
    moment = time.time() if now is None else now
    removed = 0
    for path in folder.rglob(f"{durable_files.TEMP_PREFIX}*"):
        try:
            if moment - path.stat().st_mtime > TEMP_MAX_AGE_SECONDS:
                path.unlink()
                removed += 1
        except OSError:
            pass  # removed meanwhile
    return removed
