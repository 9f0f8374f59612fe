"""Where files live: the store chosen from the settings, in one place (:func:`from_settings`).

``ZONA_STORAGE_URL`` empty (the default): the local upload folder (``ZONA_UPLOAD_DIR``, by
default ``<data dir>/uploads``); ``s3://bucket/prefix``: an S3-compatible object store,
with ``ZONA_S3_ENDPOINT_URL``, ``ZONA_S3_REGION``, ``ZONA_S3_ACCESS_KEY_ID``,
``ZONA_S3_SECRET_ACCESS_KEY`` (docs/storage.md).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.config import Settings
from app.services.storage.base import (
    CHUNK,
    FileStore,
    Staging,
    StorageError,
    StoredFile,
    StoredObject,
)
from app.services.storage.local import LocalStore

__all__ = [
    "CHUNK", "FileStore", "LocalStore", "Staging", "StorageError", "StoredFile",
    "StoredObject", "from_settings", "local", "s3_store",
]


def local(upload_dir: Path) -> LocalStore:
    """The local folder store at ``upload_dir``."""
    return LocalStore(upload_dir)


def from_settings(settings: Settings) -> FileStore:
    """The store the settings name (an S3 store is built once per address and options:
    its client keeps connections between requests)."""
    url = settings.storage_url.strip()
    if not url or url == "local":
        return LocalStore(settings.resolved_upload_dir())
    if url.startswith("s3://"):
        return s3_store(url, *_s3_options(settings))
    raise StorageError(
        f"ZONA_STORAGE_URL must be empty (the local upload folder) or s3://bucket/prefix, "
        f"not {url!r}."
    )


def _s3_options(settings: Settings) -> tuple:
    return (
        settings.s3_endpoint_url.strip(), settings.s3_region.strip(),
        settings.s3_access_key_id, settings.s3_secret_access_key,
        settings.s3_addressing_style.strip(), settings.s3_public_endpoint_url.strip(),
        settings.s3_presigned_downloads, settings.s3_presign_seconds,
        str(settings.s3_staging_dir or ""),
    )


@lru_cache(maxsize=8)
def s3_store(url: str, endpoint_url: str = "", region: str = "", access_key_id: str = "",
             secret_access_key: str = "", addressing_style: str = "auto",
             public_endpoint_url: str = "", presigned_downloads: bool = False,
             presign_seconds: int = 60, staging_dir: str = "") -> FileStore:
    from app.services.storage.s3 import S3Location, S3Options, S3Store

    try:
        location = S3Location.parse(url)
    except ValueError as exc:
        raise StorageError(str(exc)) from None
    return S3Store(location, S3Options(
        endpoint_url=endpoint_url, region=region, access_key_id=access_key_id,
        secret_access_key=secret_access_key, addressing_style=addressing_style,
        public_endpoint_url=public_endpoint_url, presigned_downloads=presigned_downloads,
        presign_seconds=presign_seconds, staging_dir=staging_dir,
    ))
