"""XLSX export and import of an LKE assessment (thin service over ``xlsx_layout``).

- ``export``: the worksheet, summary and verdicts as an XLSX file (unit.read).
- ``dry_run``: what an uploaded file would change, and every bad row (indicators.write,
  editable assessments only). Nothing is stored.
- ``apply``: the same plan, stored through ``lke_answers.answer_many`` (all or nothing, with
  revisions and audit). With ``plan_hash`` the plan must be exactly the one the dry run showed;
  if the file or the stored answers differ, nothing is applied (``Conflict``).
- ``stage_upload`` / ``read_staged``: the pages keep an uploaded file between the dry run and
  the confirmation in the upload store (named by its sha256, per assessment, pruned after a day),
  so the browser confirms by hash instead of uploading twice.

The Eviden column lists each question's linked evidence (``evidence_links.evidence_lines``) and
the Catatan Reviewer column the notes of the recorded review decisions
(``review_records.reviewer_notes``).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from app.domain.lke import evaluate as evaluate_verdict
from app.i18n import format_date
from app.models.lke.assessments import Assessment, LkeAnswer
from app.security.principal import Principal
from app.services import audit, storage, units
from app.services.errors import Conflict, Invalid, NotFound, ServiceError
from app.services.lke import answers as lke_answers
from app.services.lke import assessments, evidence_links, review_records, scores
from app.services.lke.xlsx_layout import (
    ExportMeta,
    ImportPlan,
    QuestionState,
    XlsxRefused,
    plan_import,
    read_workbook,
    write_workbook,
)
from app.services.storage import FileStore, StorageError

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
STAGE_DIR_NAME = "xlsx-import"
STAGE_TTL_SECONDS = 24 * 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XlsxFile:
    filename: str
    content: bytes
    media_type: str = XLSX_MEDIA_TYPE


def _states(
    rows: Mapping[str, LkeAnswer],
    evidence: Mapping[str, tuple[str, ...]] | None = None,
    notes: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, QuestionState]:
    evidence = evidence or {}
    notes = notes or {}
    refs = set(rows) | set(evidence) | set(notes)
    out = {}
    for ref in refs:
        row = rows.get(ref)
        answer = lke_answers.to_input(row) if row is not None else None
        out[ref] = QuestionState(
            option=answer.option if answer else None,
            inputs=answer.inputs if answer else None,
            index=Decimal(answer.index) if answer and answer.index is not None else None,
            explanation=(row.penjelasan or "") if row is not None else "",
            evidence=tuple(evidence.get(ref, ())),
            notes=tuple(notes.get(ref, ())),
        )
    return out


def filename_for(unit_code: str, year: int) -> str:
    """'LKE-KPPN-TJP-2024.xlsx': letters, digits, dash and underscore only."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", unit_code).strip("-") or "unit"
    return f"LKE-{safe}-{year}.xlsx"


def export(session: Session, *, actor: Principal | None, assessment_id: int) -> XlsxFile:
    """The assessment as an XLSX file: worksheet, summary (total, parts, areas, verdicts)."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    unit = units.get(session, unit_id=assessment.unit_id)
    ev = scores.evaluate(session, assessment=assessment)
    verdicts = [ev.verdict]
    for target in assessments.TARGETS:
        if target != ev.verdict.target:
            verdicts.append(
                evaluate_verdict(ev.framework, ev.report, target, holds_wbk=ev.holds_wbk)
            )
    states = _states(
        ev.rows,
        evidence_links.evidence_lines(session, assessment=assessment, framework=ev.framework),
        review_records.reviewer_notes(session, assessment=assessment),
    )
    meta = ExportMeta(
        assessment_id=assessment.id,
        unit_name=unit.name,
        unit_code=unit.code,
        year=assessment.year,
        target=assessment.target,
        status=assessments.STATUS_LABELS.get(assessment.status, assessment.status),
        generated_at=format_date(datetime.now(UTC), unit.timezone) + f" ({unit.timezone})",
        generated_by=actor.label if actor is not None else "",
    )
    content = write_workbook(ev.framework, ev.report, states, meta, verdicts)
    return XlsxFile(filename=filename_for(unit.code, assessment.year), content=content)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def _writable(session: Session, actor: Principal | None, assessment_id: int) -> Assessment:
    assessment = assessments.get(
        session, actor=actor, assessment_id=assessment_id, permission="indicators.write"
    )
    assessments.assert_editable(assessment)
    return assessment


def _plan(session: Session, assessment: Assessment, data: bytes, max_bytes: int) -> ImportPlan:
    framework = assessments.framework_of(session, assessment)
    try:
        parsed = read_workbook(data, max_bytes=max_bytes)
    except XlsxRefused as exc:
        raise Invalid(exc.message) from None
    current = _states(lke_answers.answers_of(session, assessment_id=assessment.id))
    return plan_import(framework, parsed, current, assessment_id=assessment.id)


def dry_run(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    data: bytes,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImportPlan:
    """What the uploaded file would change, and every bad row; nothing is stored."""
    assessment = _writable(session, actor, assessment_id)
    return _plan(session, assessment, data, max_bytes)


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    applied: int  # questions changed


def apply(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    data: bytes,
    plan_hash: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Store the file's changes, all or nothing. Any bad row -> ``Invalid`` and nothing stored;
    ``plan_hash`` given and different from the plan now -> ``Conflict`` and nothing stored."""
    assessment = _writable(session, actor, assessment_id)
    plan = _plan(session, assessment, data, max_bytes)
    if plan.problems:
        raise Invalid(
            "Impor dibatalkan: tidak ada jawaban yang disimpan. Perbaiki baris berikut lalu "
            "unggah lagi.",
            problems=[str(p) for p in plan.problems],
        )
    if plan_hash is not None and plan_hash != plan.plan_hash:
        raise Conflict(
            "Impor dibatalkan: berkas atau jawaban tersimpan sudah berubah sejak uji coba, "
            "sehingga yang akan disimpan tidak sama dengan yang ditampilkan. Jalankan uji coba "
            "lagi."
        )
    if not plan.changes:
        return ImportResult(plan=plan, applied=0)
    changes = [
        lke_answers.AnswerChange(
            ref=c.ref,
            option=c.answer.option if c.answer else None,
            inputs=dict(c.answer.inputs) if c.answer and c.answer.inputs else None,
            index=c.answer.index if c.answer else None,
            penjelasan=c.explanation,
        )
        for c in plan.changes
    ]
    # One transaction: this record and every answer (answer_many commits both, or neither).
    audit.record(
        session, actor=actor, action="import_xlsx", entity="assessment",
        entity_id=assessment.id, unit_id=assessment.unit_id,
        after={
            "file_sha256": plan.file_sha256,
            "plan_hash": plan.plan_hash,
            "changed": [c.ref for c in plan.changes],
        },
    )
    try:
        lke_answers.answer_many(
            session, actor=actor, assessment_id=assessment.id, changes=changes, source="xlsx",
            paths=[f"file.{c.ref}" for c in changes],  # the question's row in the workbook
        )
    except ServiceError:
        session.rollback()  # the import record above must not outlive the refused answers
        raise
    return ImportResult(plan=plan, applied=len(changes))


# --------------------------------------------------------------------------------------------
# Staging between the dry run and the confirmation (pages)
# --------------------------------------------------------------------------------------------


def _stage_key(assessment_id: int, sha256: str) -> str:
    if not _SHA256.match(sha256 or ""):
        raise NotFound("Berkas uji coba tidak ditemukan; unggah berkas lagi.")
    return f"{STAGE_DIR_NAME}/{int(assessment_id)}-{sha256}.xlsx"


def _stage_store(stage_dir: Path | None, store: FileStore | None) -> FileStore:
    """The file store (shared by every replica when it is S3: the confirmation may reach
    another replica than the dry run), else the local folder ``stage_dir``."""
    if store is not None:
        return store
    if stage_dir is None:
        raise TypeError("stage_dir or store is required")
    return storage.local(stage_dir)


def _prune(store: FileStore, now: float) -> None:
    for item in store.list(STAGE_DIR_NAME):
        if item.key.endswith(".xlsx") and now - item.modified > STAGE_TTL_SECONDS:
            with contextlib.suppress(OSError, StorageError):
                store.delete(item.key)  # another replica may have pruned it first


def stage_upload(*, stage_dir: Path | None = None, assessment_id: int, data: bytes,
                 sha256: str, store: FileStore | None = None) -> None:
    """Keep an uploaded file until it is confirmed (written whole; old ones pruned)."""
    key = _stage_key(assessment_id, sha256)
    target = _stage_store(stage_dir, store)
    _prune(target, time.time())
    with target.staging(STAGE_DIR_NAME) as staged:
        staged.file.write(data)
        target.put(key, staged, size=len(data), replace=True)


def read_staged(*, stage_dir: Path | None = None, assessment_id: int, sha256: str,
                store: FileStore | None = None) -> bytes:
    """A staged upload; NotFound when it expired or never existed."""
    key = _stage_key(assessment_id, sha256)
    try:
        with _stage_store(stage_dir, store).open(key) as stream:
            return stream.read()
    except (OSError, StorageError):
        raise NotFound(
            "Berkas uji coba sudah tidak tersedia (kedaluwarsa); unggah berkas lagi."
        ) from None


def discard_staged(*, stage_dir: Path | None = None, assessment_id: int, sha256: str,
                   store: FileStore | None = None) -> None:
    try:
        _stage_store(stage_dir, store).delete(_stage_key(assessment_id, sha256))
    except (OSError, StorageError, NotFound):
        pass
