"""The evidence file store checked against the database (``zona check --files``).

Every evidence file row names a stored file (``<upload_dir>/evidence/<2 chars>/<name>``)
with its size and sha256. A file is written and renamed into place before its row is
committed (app.services.durable_files), so a crash can leave a file no row refers to (an
orphan: harmless, it only takes room) or a temporary file, but never a committed row whose
file was not yet on disk. This sweep finds both kinds of leftovers and, more importantly,
any row whose file is absent or differs from what was stored (a lost or damaged disk, a
restore of the database without the files): those are **missing**.

Orphans and temporary files older than an age can be removed (``remove_older_than``); a
younger one may be an upload in progress and is only reported.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from app.models.lke.evidence import Evidence
from app.services import audit
from app.services.durable_files import TEMP_PREFIX
from app.services.lke.evidence import CHUNK, EVIDENCE_SUBDIR, stored_path

#: Temporary names: the durable writer's, and the one used before it.
TEMP_PREFIXES = (TEMP_PREFIX, ".upload-")
#: The default age past which ``--remove-orphans`` removes a leftover (an upload in progress
#: is seconds old).
ORPHAN_MIN_AGE_SECONDS = 3600
#: At most this many removed paths are named in the audit record (the count is exact).
AUDIT_PATHS = 200


@dataclass(frozen=True)
class MissingFile:
    """An evidence row whose stored file is absent or not the file that was stored."""

    evidence_id: int
    path: Path
    reason: str


@dataclass
class StoreReport:
    upload_dir: Path
    rows: int = 0  #: evidence rows with a stored file (deleted ones too: they keep it)
    files: int = 0  #: files found in the store, temporary ones included
    missing: list[MissingFile] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)  #: files no row refers to
    temporary: list[Path] = field(default_factory=list)  #: left by an interrupted write
    removed: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing the database refers to is missing (leftovers do not count)."""
        return not self.missing


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _problem(path: Path, size: int | None, sha256: str | None, verify_hash: bool) -> str | None:
    try:
        actual = path.stat()
    except FileNotFoundError:
        return "absent"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not path.is_file():
        return "not a regular file"
    if size is not None and actual.st_size != size:
        return f"size {actual.st_size} bytes, stored {size}"
    if verify_hash and sha256:
        try:
            found = _sha256(path)
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        if found != sha256:
            return f"sha256 {found[:12]}..., stored {sha256[:12]}..."
    return None


def check_files(
    session: Session,
    *,
    upload_dir: Path,
    verify_hash: bool = True,
    remove_older_than: float | None = None,
    now: float | None = None,
) -> StoreReport:
    """Compare the evidence rows with the files under ``upload_dir``.

    ``verify_hash``: read every file and compare its sha256 (otherwise the size only).
    ``remove_older_than`` (seconds): remove orphans and temporary files whose last change is
    at least that old, with an audit record of what was removed. The system's own check
    (the command line), not a request: no actor.
    """
    report = StoreReport(upload_dir=upload_dir)
    referenced: set[Path] = set()
    rows = session.exec(
        select(Evidence.id, Evidence.stored_name, Evidence.size, Evidence.sha256)
        .where(col(Evidence.stored_name).is_not(None))
        .order_by(col(Evidence.id))
    ).all()
    for evidence_id, stored_name, size, sha256 in rows:
        report.rows += 1
        if not stored_name.isalnum():
            report.missing.append(MissingFile(
                evidence_id, upload_dir / EVIDENCE_SUBDIR / stored_name, "invalid stored name"
            ))
            continue
        path = stored_path(upload_dir, stored_name)
        referenced.add(path)
        reason = _problem(path, size, sha256, verify_hash)
        if reason is not None:
            report.missing.append(MissingFile(evidence_id, path, reason))

    folder = upload_dir / EVIDENCE_SUBDIR
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_dir():
                continue
            report.files += 1
            if path.name.startswith(TEMP_PREFIXES):
                report.temporary.append(path)
            elif path not in referenced:
                report.orphans.append(path)

    if remove_older_than is not None:
        moment = time.time() if now is None else now
        for path in report.orphans + report.temporary:
            try:
                if moment - path.lstat().st_mtime >= remove_older_than:
                    path.unlink()
                    report.removed.append(path)
            except FileNotFoundError:
                pass  # removed meanwhile
        if report.removed:
            audit.record(
                session, actor=None, action="remove_orphans", entity="evidence_store",
                after={
                    "removed": len(report.removed),
                    "paths": [str(p.relative_to(upload_dir)) for p in report.removed[:AUDIT_PATHS]],
                },
            )
            session.commit()
    return report
