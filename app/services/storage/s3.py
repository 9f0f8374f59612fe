"""An S3-compatible object store (AWS S3, MinIO, Ceph RGW, SeaweedFS, ...): the only module
that speaks S3 (through boto3).

An object's key is ``<prefix>/<key>`` in the bucket. A new object is staged in a local
temporary file (hashed and checked by the caller while it arrives), then sent in one PUT
with its Content-MD5, which the server checks against what it received (a transfer that
went wrong is refused, not stored), and its size is read back with a HEAD before the
caller commits the row that names it. Reads are streamed (``GetObject``); a download may
instead be a redirect to a short-lived pre-signed URL (``ZONA_S3_PRESIGNED_DOWNLOADS``),
handed out only after Zona's own permission check.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlsplit

from app.services.storage.base import CHUNK, FileStore, Staging, StorageError, StoredObject


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  #: without a leading or trailing slash; may be empty

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url.strip())
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"Not an s3://bucket/prefix address: {url!r}.")
        if parts.query or parts.fragment:
            raise ValueError(f"An s3:// address takes no ?query or #fragment: {url!r}.")
        return cls(bucket=parts.netloc, prefix=parts.path.strip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


@dataclass(frozen=True)
class S3Options:
    """What the client needs (from ZONA_S3_* settings; empty values: boto3's defaults,
    e.g. AWS_* environment variables or an instance role for the credentials)."""

    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    addressing_style: str = "auto"  # "path" for most self-hosted stores
    public_endpoint_url: str = ""  # where browsers reach the store, for pre-signed URLs
    presigned_downloads: bool = False
    presign_seconds: int = 60
    staging_dir: str = ""  # local folder for uploads on their way (default: the system's)


class S3Staging(Staging):
    def __init__(self, folder: str | None):
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by seal/discard
            prefix=".tmp-zona-", dir=folder or None, delete=False)
        self.path = Path(handle.name)
        self.file: BinaryIO = handle


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    return error.get("Code") in ("404", "NoSuchKey", "NotFound") or \
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


def _reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


class S3Store(FileStore):
    kind = "s3"

    def __init__(self, location: S3Location, options: S3Options):
        self.where = location
        self.options = options
        self.client = self._client(options.endpoint_url)
        self._presigner = None

    def __repr__(self) -> str:
        return f"S3Store({str(self.where)!r})"

    def _client(self, endpoint_url: str):
        import boto3
        from botocore.config import Config

        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": self.options.addressing_style or "auto"},
            connect_timeout=5, read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
            # Only the checksums a request requires: many S3-compatible stores do not
            # accept the newer default ones. Uploads carry Content-MD5 (below).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=self.options.region or None,
            aws_access_key_id=self.options.access_key_id or None,
            aws_secret_access_key=self.options.secret_access_key or None,
            config=config,
        )

    def _full(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StorageError(f"Invalid key: {key!r}.")
        return f"{self.where.prefix}/{key}" if self.where.prefix else key

    def _relative(self, full: str) -> str:
        return full[len(self.where.prefix) + 1:] if self.where.prefix else full

    def describe(self) -> str:
        endpoint = self.options.endpoint_url or "AWS"
        return f"{self.where} at {endpoint}"

    def location(self, key: str) -> str:
        return f"s3://{self.where.bucket}/{self._full(key)}"

    def staging(self, near: str) -> Staging:
        return S3Staging(self.options.staging_dir)

    def put(self, key: str, staged: Staging, *, size: int, replace: bool = False) -> bool:
        staged.seal()
        existing = self.stat(key)
        if existing is not None and existing.size == size and not replace:
            self._touch(key)
            return False
        md5 = hashlib.md5(usedforsecurity=False)
        with staged.open() as source:
            while chunk := source.read(CHUNK):
                md5.update(chunk)
        try:
            with staged.open() as body:
                self.client.put_object(
                    Bucket=self.where.bucket, Key=self._full(key), Body=body,
                    ContentLength=size, ContentType="application/octet-stream",
                    ContentMD5=base64.b64encode(md5.digest()).decode(),
                )
        except Exception as exc:  # noqa: BLE001 - any failure of the store
            raise StorageError(f"{self.location(key)}: not stored ({_reason(exc)}).") from exc
        stored = self.stat(key)
        if stored is None or stored.size != size:
            found = "absent" if stored is None else f"{stored.size} bytes"
            raise StorageError(f"{self.location(key)}: {found} after the upload, not {size}.")
        return True

    def _touch(self, key: str) -> None:
        """Make the object young again (a copy onto itself), so that a sweep for orphans
        racing with the row about to be committed leaves it alone."""
        full = self._full(key)
        try:
            self.client.copy_object(
                Bucket=self.where.bucket, Key=full,
                CopySource={"Bucket": self.where.bucket, "Key": full},
                MetadataDirective="REPLACE", ContentType="application/octet-stream",
                Metadata={"zona-touched": datetime.now(UTC).isoformat(timespec="seconds")},
            )
        except Exception as exc:  # noqa: BLE001
            raise StorageError(f"{self.location(key)}: not refreshed ({_reason(exc)}).") from exc

    def stat(self, key: str) -> StoredObject | None:
        try:
            head = self.client.head_object(Bucket=self.where.bucket, Key=self._full(key))
        except Exception as exc:  # noqa: BLE001
            if _is_missing(exc):
                return None
            raise StorageError(f"{self.location(key)}: {_reason(exc)}") from exc
        return StoredObject(key=key, size=int(head["ContentLength"]),
                            modified=head["LastModified"].timestamp())

    def open(self, key: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.where.bucket, Key=self._full(key))
        except Exception as exc:  # noqa: BLE001
            if _is_missing(exc):
                raise FileNotFoundError(self.location(key)) from None
            raise StorageError(f"{self.location(key)}: {_reason(exc)}") from exc
        return answer["Body"]  # botocore's StreamingBody: a readable, closable stream

    def chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        body = self.open(key)
        try:
            yield from body.iter_chunks(size)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.where.bucket, Key=self._full(key))
        except Exception as exc:  # noqa: BLE001
            if not _is_missing(exc):
                raise StorageError(f"{self.location(key)}: {_reason(exc)}") from exc

    def list(self, prefix: str) -> Iterator[StoredObject]:
        full = self._full(prefix.strip("/")) + "/" if prefix.strip("/") else (
            f"{self.where.prefix}/" if self.where.prefix else "")
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.where.bucket, Prefix=full)
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(key=self._relative(item["Key"]), size=int(item["Size"]),
                                       modified=item["LastModified"].timestamp())
        except Exception as exc:  # noqa: BLE001
            raise StorageError(f"{self.where}: not listed ({_reason(exc)}).") from exc

    def presigned_url(self, key: str, *, filename: str, media_type: str) -> str | None:
        if not self.options.presigned_downloads:
            return None
        if self._presigner is None:  # signing is local: no request is sent here
            self._presigner = self._client(
                self.options.public_endpoint_url or self.options.endpoint_url)
        disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        return self._presigner.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.where.bucket, "Key": self._full(key),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": media_type,
                "ResponseCacheControl": "private, no-store",
            },
            ExpiresIn=max(1, self.options.presign_seconds),
        )

    def probe(self) -> str | None:
        try:
            self.client.head_bucket(Bucket=self.where.bucket)
        except Exception as exc:  # noqa: BLE001
            return f"bucket {self.where.bucket}: {_reason(exc)}"
        return None

    def create_bucket(self) -> None:
        """Create the bucket when it does not exist (tests, first setup)."""
        if self.probe() is None:
            return
        try:
            region = self.options.region
            extra = ({"CreateBucketConfiguration": {"LocationConstraint": region}}
                     if region and region != "us-east-1" else {})
            self.client.create_bucket(Bucket=self.where.bucket, **extra)
        except Exception as exc:  # noqa: BLE001
            raise StorageError(f"bucket {self.where.bucket}: {_reason(exc)}") from exc
