"""The evidence file store checked against the database (``zona check --files``).

Every evidence file row names a stored file (key ``evidence/<2 chars>/<name>`` in the file
store, app.services.storage: the local upload folder or an S3 bucket) with its size and
sha256. A file is stored and verified before its row is committed, so a crash (or a commit
that failed) can leave a file no row refers to (an orphan: harmless, it only takes room) or,
in the local folder, a temporary file, but never a committed row whose file was not yet
stored. This sweep lists the store's keys, compares them with the rows, and finds both kinds
of leftovers and, more importantly, any row whose file is absent or differs from what was
stored (a lost or damaged disk or bucket, a restore of the database without the files):
those are **missing**.

Orphans and temporary files older than an age can be removed (``remove_older_than``); a
younger one may be an upload in progress (or bytes an upload just found already stored,
whose age the store refreshed) and is only reported. Rows are read after the keys are
listed, and each leftover's age is read again right before it is removed, so a row
committed during the sweep keeps its file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from app.models.lke.evidence import Evidence
from app.services import audit, storage
from app.services.durable_files import TEMP_PREFIX
from app.services.lke.evidence import EVIDENCE_SUBDIR, file_store, stored_key
from app.services.storage import FileStore, StorageError

#: Temporary names: the durable writer's, and the one used before it.
TEMP_PREFIXES = (TEMP_PREFIX, ".upload-")
#: The default age past which ``--remove-orphans`` removes a leftover (an upload in progress
#: is seconds old).
ORPHAN_MIN_AGE_SECONDS = 3600
#: At most this many removed keys are named in the audit record (the count is exact).
AUDIT_PATHS = 200


@dataclass(frozen=True)
class MissingFile:
    """An evidence row whose stored file is absent or not the file that was stored."""

    evidence_id: int
    path: str  #: where the file should be (a path, or s3://bucket/key)
    reason: str


@dataclass
class StoreReport:
    store: str  #: the store, described
    rows: int = 0  #: evidence rows with a stored file (deleted ones too: they keep it)
    files: int = 0  #: files found in the store, temporary ones included
    missing: list[MissingFile] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  #: files no row refers to (locations)
    temporary: list[str] = field(default_factory=list)  #: left by an interrupted write
    removed: list[str] = field(default_factory=list)
    removed_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing the database refers to is missing (leftovers do not count)."""
        return not self.missing


def _problem(store: FileStore, key: str, found: storage.StoredObject | None, size: int | None,
             sha256: str | None, verify_hash: bool) -> str | None:
    if found is None:
        return "absent"
    if size is not None and found.size != size:
        return f"size {found.size} bytes, stored {size}"
    if verify_hash and sha256:
        try:
            actual = store.sha256(key)
        except (OSError, StorageError) as exc:
            return f"unreadable ({getattr(exc, 'strerror', None) or exc})"
        if actual != sha256:
            return f"sha256 {actual[:12]}..., stored {sha256[:12]}..."
    return None


def check_files(
    session: Session,
    *,
    upload_dir: Path | None = None,
    store: FileStore | None = None,
    verify_hash: bool = True,
    remove_older_than: float | None = None,
    now: float | None = None,
) -> StoreReport:
    """Compare the evidence rows with the files of the store (``store``, or the local folder
    ``upload_dir``).

    ``verify_hash``: read every file and compare its sha256 (otherwise the size only).
    ``remove_older_than`` (seconds): remove orphans and temporary files whose last change is
    at least that old, with an audit record of what was removed. The system's own check
    (the command line), not a request: no actor.
    """
    store = file_store(upload_dir, store)
    report = StoreReport(store=store.describe())
    listed = {item.key: item for item in store.list(EVIDENCE_SUBDIR)}
    report.files = len(listed)

    referenced: set[str] = set()
    rows = session.exec(
        select(Evidence.id, Evidence.stored_name, Evidence.size, Evidence.sha256)
        .where(col(Evidence.stored_name).is_not(None))
        .order_by(col(Evidence.id))
    ).all()
    problems: dict[tuple, str | None] = {}  # one read of a file that many rows share
    for evidence_id, stored_name, size, sha256 in rows:
        report.rows += 1
        if not stored_name.isalnum():
            report.missing.append(MissingFile(
                evidence_id, f"{EVIDENCE_SUBDIR}/{stored_name}", "invalid stored name"))
            continue
        key = stored_key(stored_name)
        referenced.add(key)
        # Listed before the rows were read: a file stored since is looked up on its own.
        found = listed.get(key) or store.stat(key)
        memo = (key, size, sha256)
        if memo not in problems:
            problems[memo] = _problem(store, key, found, size, sha256, verify_hash)
        if (reason := problems[memo]) is not None:
            report.missing.append(MissingFile(evidence_id, store.location(key), reason))

    leftovers: list[str] = []
    for key in sorted(listed):
        if key.rsplit("/", 1)[-1].startswith(TEMP_PREFIXES):
            report.temporary.append(store.location(key))
            leftovers.append(key)
        elif key not in referenced:
            report.orphans.append(store.location(key))
            leftovers.append(key)

    if remove_older_than is not None:
        moment = time.time() if now is None else now
        for key in leftovers:
            current = store.stat(key)  # its age now: an upload may just have reused it
            if current is not None and moment - current.modified >= remove_older_than:
                store.delete(key)
                report.removed.append(store.location(key))
                report.removed_keys.append(key)
        if report.removed:
            audit.record(
                session, actor=None, action="remove_orphans", entity="evidence_store",
                after={"removed": len(report.removed),
                       "paths": report.removed_keys[:AUDIT_PATHS]},
            )
            session.commit()
    return report



# --- copying a store into another (``zona storage migrate``) -----------------------------


@dataclass
class MigrationReport:
    source: str
    target: str
    files: int = 0  #: distinct stored files the rows name
    copied: int = 0
    present: int = 0  #: already in the target with the right content (a re-run)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _copy(source: FileStore, target: FileStore, key: str, size: int | None,
          sha256: str | None, replace: bool) -> str | None:
    """Copy one object through a staging file, hashing on the way; the problem or None."""
    import hashlib

    digest = hashlib.sha256()
    copied = 0
    with target.staging(key.rsplit("/", 1)[0]) as staged:
        with source.open(key) as stream:
            while chunk := stream.read(storage.CHUNK):
                digest.update(chunk)
                copied += len(chunk)
                staged.file.write(chunk)
        staged.seal()
        if sha256 and digest.hexdigest() != sha256:
            return (f"the source's sha256 is {digest.hexdigest()[:12]}..., the database's "
                    f"{sha256[:12]}...: not copied")
        if size is not None and copied != size:
            return f"the source has {copied} bytes, the database {size}: not copied"
        target.put(key, staged, size=copied, replace=replace)
    return None


def migrate_files(
    session: Session, *, source: FileStore, target: FileStore, progress=None,
) -> MigrationReport:
    """Copy every stored file the evidence rows name from ``source`` into ``target`` and
    verify it there: its sha256, read back from the target, must be the database's.

    Idempotent: a file already in the target with the right content is not copied again
    (one with the wrong content is replaced). Files no row names are not copied. Nothing in
    the database changes (the keys are the same in every store)."""
    report_line = progress or (lambda line: None)
    report = MigrationReport(source=source.describe(), target=target.describe())
    rows = session.exec(
        select(Evidence.stored_name, Evidence.size, Evidence.sha256)
        .where(col(Evidence.stored_name).is_not(None))
        .distinct().order_by(col(Evidence.stored_name))
    ).all()
    files: dict[str, tuple[int | None, str | None]] = {}
    for stored_name, size, sha256 in rows:
        if stored_name.isalnum():
            files.setdefault(stored_key(stored_name), (size, sha256))
        else:
            report.problems.append(f"{stored_name}: invalid stored name")
    report.files = len(files)
    width = len(str(report.files))
    for number, (key, (size, sha256)) in enumerate(sorted(files.items()), start=1):
        step = f"[{number:>{width}}/{report.files}] {key}"
        try:
            if source.stat(key) is None:
                report.problems.append(f"{key}: absent from the source")
                report_line(f"{step}: ABSENT from the source")
                continue
            there = target.stat(key)
            if there is not None and (size is None or there.size == size) and \
                    (not sha256 or target.sha256(key) == sha256):
                report.present += 1
                report_line(f"{step}: already there, verified")
                continue
            problem = _copy(source, target, key, size, sha256, replace=there is not None)
            if problem is None and sha256 and (found := target.sha256(key)) != sha256:
                problem = f"after the copy the target's sha256 is {found[:12]}..."
        except (OSError, StorageError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem is not None:
            report.problems.append(f"{key}: {problem}")
            report_line(f"{step}: MISMATCH: {problem}")
            continue
        report.copied += 1
        report_line(f"{step}: copied, verified ({size} bytes)")
    return report
