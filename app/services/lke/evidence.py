"""Evidence (eviden): a unit's library of files and links, linked to assessment questions.

Files are checked by their content (app.domain.files), never by their name, and kept in
the file store (app.services.storage: the local upload folder, outside the static folder, or
an S3-compatible object store) under their sha256: the same bytes are stored once, however
many evidence rows name them (older rows keep the random name they were stored under). A
file is in the store, verified, before its row is committed; a file no row names any more
(an upload whose commit failed) is an orphan that ``zona check --files --remove-orphans``
sweeps (app.services.lke.evidence_store). Files are served back only to people who may
read the unit, as attachments. A link is an http(s) URL.

One evidence can support several questions, and be carried over to next year's assessment.
Linking and unlinking are writes to the assessment: refused (409) unless it is editable.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.files import HEAD_BYTES, KINDS, FileKind, RefusedFile, identify, sanitise_filename
from app.domain.files import download_name as _download_name
from app.models.lke.assessments import Assessment
from app.models.lke.evidence import Evidence, EvidenceLink
from app.security.principal import Principal, missing
from app.services import audit, storage, units
from app.services.errors import Forbidden, Invalid, Locked, NotFound, ServiceError
from app.services.lke import assessments
from app.services.lke import summary as lke_summary
from app.services.storage import FileStore, StorageError, StoredFile

log = logging.getLogger("zona.evidence")

CHUNK = 1024 * 1024
MAX_TITLE = 200
MAX_URL = 2000
EVIDENCE_SUBDIR = "evidence"


class TooLarge(ServiceError):
    status_code = 413


class StoreUnavailable(ServiceError):
    """The file store did not answer or refused (the reason is logged, not shown)."""

    status_code = 503


def _now() -> datetime:
    return datetime.now(UTC)


def _check(actor: Principal | None, permission: str, unit_id: int) -> None:
    if actor is not None and not actor.can(permission, unit_id):
        name, message = missing(actor, permission, unit_id)
        raise Forbidden(message, permission=name)


def actor_label(actor: Principal | None) -> str:
    return actor.label if actor else "system"


# --- the file store ---------------------------------------------------------------------

def stored_key(stored_name: str) -> str:
    """The key of a stored file in any store: evidence/<2 chars>/<name>, the name being the
    file's sha256 (or, for files stored before content addressing, a random name)."""
    if not stored_name or not stored_name.isalnum():
        raise NotFound("Berkas eviden tidak ditemukan.")
    return f"{EVIDENCE_SUBDIR}/{stored_name[:2]}/{stored_name}"


def stored_path(upload_dir: Path, stored_name: str) -> Path:
    """Where a stored file lives in the local store: <upload_dir>/evidence/<2>/<name>."""
    return upload_dir.joinpath(*stored_key(stored_name).split("/"))


def file_store(upload_dir: Path | None = None, store: FileStore | None = None) -> FileStore:
    """The store a use case works on: ``store`` when given (the faces pass the one chosen
    from the settings, app.services.storage.from_settings), else the local folder
    ``upload_dir``."""
    if store is not None:
        return store
    if upload_dir is None:
        raise TypeError("upload_dir or store is required")
    return storage.local(upload_dir)


def _unavailable(exc: StorageError) -> StoreUnavailable:
    log.error("evidence store: %s", exc)
    return StoreUnavailable(
        "Penyimpanan berkas sedang tidak dapat dihubungi; coba lagi beberapa saat lagi."
    )


@dataclass
class _Received:
    size: int
    sha256: str
    head: bytes


def _receive(stream: BinaryIO, out: BinaryIO, max_bytes: int) -> _Received:
    """Copy the stream to ``out``, hashing and counting; refuse (413) as soon as it passes
    ``max_bytes``."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"Berkas terlalu besar: batas {max_bytes // (1024 * 1024)} MB.")
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        digest.update(chunk)
        out.write(chunk)
    return _Received(size=size, sha256=digest.hexdigest(), head=head)


#: A validity date outside these years is a typing slip, not a real end of validity.
MIN_VALID_YEAR = 2000
MAX_VALID_YEAR = 2100


def validity_problems(valid_until: date | None) -> list[str]:
    """What is wrong with an evidence's "valid until" date (None: valid without end)."""
    if valid_until is not None and not MIN_VALID_YEAR <= valid_until.year <= MAX_VALID_YEAR:
        return [f"Tanggal berlaku sampai harus antara tahun {MIN_VALID_YEAR} dan "
                f"{MAX_VALID_YEAR}."]
    return []


def is_expired(row: Evidence, today: date) -> bool:
    """Past its validity on ``today`` (the last valid day itself is not expired)."""
    return row.valid_until is not None and row.valid_until < today


def _clean_title(title: str | None, fallback: str) -> str:
    text = " ".join((title or "").split())
    return (text or fallback)[:MAX_TITLE]


def upload_file(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    filename: str | None,
    stream: BinaryIO,
    upload_dir: Path | None = None,
    max_bytes: int,
    title: str | None = None,
    valid_until: date | None = None,
    store: FileStore | None = None,
) -> Evidence:
    """Store an uploaded file in the unit's library after checking what it really is
    (``valid_until``: the last day it is valid, optional)."""
    units.get(session, unit_id=unit_id)
    _check(actor, "indicators.write", unit_id)
    if problems := validity_problems(valid_until):
        raise Invalid("Berkas eviden tidak disimpan.", problems=problems)
    original = sanitise_filename(filename)
    store = file_store(upload_dir, store)
    # Staged (hashed and counted as it arrives), checked, then stored under its sha256 and
    # verified there BEFORE the row is committed: the local store renames it into place and
    # fsyncs the folder (app.services.durable_files), S3 checks its Content-MD5 and size.
    # Bytes already stored are not written again.
    try:
        with store.staging(EVIDENCE_SUBDIR) as staged:
            received = _receive(stream, staged.file, max_bytes)
            staged.seal()
            try:
                kind = identify(received.head, staged.open)
            except RefusedFile as exc:
                raise Invalid(f"{original}: {exc}") from None
            store.put(stored_key(received.sha256), staged, size=received.size)
    except (StorageError, OSError) as exc:
        raise _unavailable(StorageError(str(exc))) from exc
    row = Evidence(
        unit_id=unit_id, kind="file", title=_clean_title(title, original),
        original_name=original, stored_name=received.sha256, media_type=kind.media_type,
        size=received.size, sha256=received.sha256, valid_until=valid_until,
        uploaded_by=actor.user_id if actor else None, uploaded_by_label=actor_label(actor),
    )
    # If the commit fails, the stored file stays: another row may name the same bytes; one
    # that no row names is an orphan for the sweep (app.services.lke.evidence_store).
    try:
        session.add(row)
        session.flush()
        audit.record(
            session, actor=actor, action="upload", entity="evidence", entity_id=row.id,
            unit_id=unit_id, after=audit.snapshot(row),
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return row


def check_url(url: str) -> list[str]:
    """Problems with an evidence link (http/https only, a host, no credentials)."""
    url = url.strip()
    if not url:
        return ["Alamat tautan wajib diisi."]
    if len(url) > MAX_URL:
        return [f"Alamat tautan terlalu panjang (maksimal {MAX_URL} karakter)."]
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return ["Alamat tautan tidak boleh berisi spasi atau karakter kontrol."]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ["Alamat tautan tidak valid."]
    if parts.scheme.lower() not in ("http", "https"):
        return ["Tautan harus diawali http:// atau https://."]
    if not host:
        return ["Alamat tautan tidak memiliki nama host."]
    if parts.username or parts.password:
        return ["Alamat tautan tidak boleh memuat nama pengguna atau kata sandi."]
    return []


def add_link(
    session: Session, *, actor: Principal | None, unit_id: int, url: str, title: str | None = None,
    commit: bool = True, valid_until: date | None = None,
) -> Evidence:
    """Add a link (http/https) to the unit's evidence library (``commit=False``: the caller
    commits)."""
    units.get(session, unit_id=unit_id)
    _check(actor, "indicators.write", unit_id)
    problems = check_url(url or "")
    if len(" ".join((title or "").split())) > MAX_TITLE:
        problems.append(f"Judul eviden paling banyak {MAX_TITLE} karakter.")
    problems += validity_problems(valid_until)
    if problems:
        raise Invalid("Tautan eviden tidak disimpan.", problems=problems)
    url = url.strip()
    row = Evidence(
        unit_id=unit_id, kind="link", title=_clean_title(title, url), url=url,
        valid_until=valid_until, uploaded_by=actor.user_id if actor else None, uploaded_by_label=actor_label(actor),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="evidence", entity_id=row.id,
        unit_id=unit_id, after=audit.snapshot(row),
    )
    if commit:
        session.commit()
    return row


def get(
    session: Session, *, actor: Principal | None, evidence_id: int,
    permission: str = "unit.read",
) -> Evidence:
    """One live evidence; NotFound when absent or deleted, Forbidden outside the unit."""
    row = get_row(session, Evidence, evidence_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"Eviden {evidence_id} tidak ditemukan.")
    _check(actor, permission, row.unit_id)
    return row


def set_valid_until(
    session: Session, *, actor: Principal | None, evidence_id: int, valid_until: date | None,
) -> Evidence:
    """Change (or clear, with None) the last day an evidence is valid; audited. A new date
    means new warnings: the season check keys its notices by the date."""
    row = get(session, actor=actor, evidence_id=evidence_id, permission="indicators.write")
    if problems := validity_problems(valid_until):
        raise Invalid("Tanggal berlaku eviden tidak disimpan.", problems=problems)
    if row.valid_until == valid_until:
        return row
    before = audit.snapshot(row)
    row.valid_until = valid_until
    audit.save(session, row, actor=actor, action="update", entity="evidence", before=before)
    return row


def list_for_unit(
    session: Session, *, actor: Principal | None, unit_id: int, search: str | None = None
) -> list[Evidence]:
    """The unit's live evidence, newest first (optionally filtered by title/name)."""
    units.get(session, unit_id=unit_id)
    _check(actor, "unit.read", unit_id)
    query = select(Evidence).where(
        Evidence.unit_id == unit_id, col(Evidence.deleted_at).is_(None)
    )
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Evidence.title).like(pattern),
                func.lower(func.coalesce(Evidence.original_name, "")).like(pattern),
            )
        )
    return list(session.exec(query.order_by(col(Evidence.id).desc())).all())


def usage_counts(session: Session, *, evidence_ids: list[int]) -> dict[int, int]:
    """How many questions (live links) each evidence supports."""
    if not evidence_ids:
        return {}
    rows = session.exec(
        select(EvidenceLink.evidence_id, func.count())
        .where(
            col(EvidenceLink.evidence_id).in_(evidence_ids),
            col(EvidenceLink.unlinked_at).is_(None),
        )
        .group_by(EvidenceLink.evidence_id)
    ).all()
    return dict(rows)


def file_kind(row: Evidence) -> FileKind | None:
    for kind in KINDS.values():
        if kind.media_type == row.media_type:
            return kind
    return None


def download_name(row: Evidence) -> str:
    """The attachment name: the original name with the extension of the real type."""
    kind = file_kind(row)
    original = row.original_name or "eviden"
    return _download_name(original, kind) if kind else original


def open_file(
    session: Session, *, actor: Principal | None, evidence_id: int,
    upload_dir: Path | None = None, store: FileStore | None = None,
) -> tuple[Evidence, StoredFile]:
    """The evidence and its stored file, for someone who may read the unit: ``file.open()``
    is a readable binary stream, ``file.chunks()`` its bytes in pieces, from either store
    (``file.local_path`` is the file on disk in the local store)."""
    row = get(session, actor=actor, evidence_id=evidence_id)
    if row.kind != "file" or not row.stored_name:
        raise NotFound("Eviden ini berupa tautan, bukan berkas.")
    store = file_store(upload_dir, store)
    key = stored_key(row.stored_name)
    try:
        found = store.stat(key)
    except StorageError as exc:
        raise _unavailable(exc) from exc
    if found is None:
        raise NotFound("Berkas eviden tidak ditemukan di penyimpanan.")
    return row, StoredFile(store=store, key=key, size=found.size)


#: Served with every evidence download: never cached, never rendered by the browser (a stored
#: HTML or SVG file must not run in the app's origin).
DOWNLOAD_HEADERS = {
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@dataclass(frozen=True)
class Download:
    """A stored evidence file as both faces send it: always as an attachment, streamed from
    the store (``file``), or, where the store offers it and the setting asks for it, a
    redirect to a short-lived pre-signed URL (``redirect_url``)."""

    file: StoredFile
    media_type: str
    filename: str
    headers: Mapping[str, str] = field(default_factory=lambda: dict(DOWNLOAD_HEADERS))
    redirect_url: str | None = None

    @property
    def path(self) -> Path | None:
        """The file on local disk (local store only)."""
        return self.file.local_path


def download(
    session: Session, *, actor: Principal | None, evidence_id: int,
    upload_dir: Path | None = None, store: FileStore | None = None,
) -> Download:
    """What to send for a download of an evidence file, for someone who may read the unit
    (the permission is checked here, before any address of the file is handed out)."""
    row, file = open_file(session, actor=actor, evidence_id=evidence_id,
                          upload_dir=upload_dir, store=store)
    media_type = row.media_type or "application/octet-stream"
    filename = download_name(row)
    try:
        url = file.store.presigned_url(file.key, filename=filename, media_type=media_type)
    except StorageError as exc:
        raise _unavailable(exc) from exc
    return Download(file=file, media_type=media_type, filename=filename, redirect_url=url)


def _live_links_of_evidence(session: Session, evidence_id: int) -> list[EvidenceLink]:
    return list(
        session.exec(
            select(EvidenceLink).where(
                EvidenceLink.evidence_id == evidence_id, col(EvidenceLink.unlinked_at).is_(None)
            )
        ).all()
    )


def delete(session: Session, *, actor: Principal | None, evidence_id: int) -> Evidence:
    """Remove an evidence from the library (soft) and unlink it from editable assessments;
    refused while it supports an assessment under review or final."""
    row = get(session, actor=actor, evidence_id=evidence_id, permission="indicators.write")
    links = _live_links_of_evidence(session, row.id)
    blocked = []
    for link in links:
        assessment = session.get(Assessment, link.assessment_id)
        if assessment is not None and assessment.deleted_at is None and \
                not assessments.is_editable(assessment):
            blocked.append(f"{assessment.year} {link.question_ref}")
    if blocked:
        raise Locked(
            "Eviden ini mendukung penilaian yang sedang direviu atau sudah final dan tidak "
            "dapat dihapus.", problems=sorted(set(blocked)),
        )
    before = audit.snapshot(row)
    now = _now()
    for link in links:
        link_before = audit.snapshot(link)
        link.unlinked_at = now
        link.unlinked_by_label = actor_label(actor)
        session.add(link)
        audit.record(
            session, actor=actor, action="unlink", entity="evidence_link", entity_id=link.id,
            unit_id=row.unit_id, before=link_before, after=audit.snapshot(link),
        )
    row.deleted_at = now
    row.deleted_by_label = actor_label(actor)
    session.add(row)
    for assessment_id in sorted({link.assessment_id for link in links}):
        linked = session.get(Assessment, assessment_id)
        if linked is not None and linked.deleted_at is None:
            lke_summary.evidence_changed(session, assessment=linked)
    audit.save(session, row, actor=actor, action="delete", entity="evidence", before=before)
    return row


def deleted(session: Session, *, actor: Principal | None, evidence_id: int,
            unit_id: int | None = None) -> Evidence:
    """A removed evidence (what an undo would bring back), or NotFound."""
    row = get_row(session, Evidence, evidence_id)
    if row is None or row.deleted_at is None or (unit_id is not None and row.unit_id != unit_id):
        raise NotFound(f"Eviden {evidence_id} tidak ditemukan di antara yang dihapus.")
    _check(actor, "indicators.write", row.unit_id)
    return row


def restore(session: Session, *, actor: Principal | None, evidence_id: int,
            upload_dir: Path | None = None, store: FileStore | None = None) -> Evidence:
    """Undo a delete: the evidence is back in the library (a file only while its stored file
    is still there). The links the delete released are not put back: the questions it
    supported may have moved on. Audited as "restore"."""
    row = deleted(session, actor=actor, evidence_id=evidence_id)
    if row.kind == "file":
        store = file_store(upload_dir, store)
        try:
            present = bool(row.stored_name) and row.stored_name.isalnum() and \
                store.stat(stored_key(row.stored_name)) is not None
        except StorageError as exc:
            raise _unavailable(exc) from exc
        if not present:
            raise Invalid(
                "Eviden tidak dapat dipulihkan: berkasnya sudah tidak ada di penyimpanan.")
    before = audit.snapshot(row)
    row.deleted_at = None
    row.deleted_by_label = None
    audit.save(session, row, actor=actor, action="restore", entity="evidence", before=before)
    return row
