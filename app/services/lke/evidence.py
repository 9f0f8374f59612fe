"""Evidence (eviden): a unit's library of files and links, linked to assessment questions.

Files are checked by their content (app.domain.files), never by their name, streamed to
the upload folder (outside the static folder) under a random name with their sha256, and
served back only to people who may read the unit, as attachments. A link is an http(s) URL.

One evidence can support several questions, and be carried over to next year's assessment.
Linking and unlinking are writes to the assessment: refused (409) unless it is editable.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.files import HEAD_BYTES, KINDS, FileKind, RefusedFile, identify, sanitise_filename
from app.domain.files import download_name as _download_name
from app.domain.lke import Framework
from app.models.lke.assessments import Assessment
from app.models.lke.evidence import Evidence, EvidenceLink
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Forbidden, Invalid, Locked, NotFound, ServiceError
from app.services.lke import assessments

CHUNK = 1024 * 1024
MAX_TITLE = 200
MAX_URL = 2000
EVIDENCE_SUBDIR = "evidence"


@dataclass(frozen=True)
class EvidenceCoverage:
    """Expected-evidence items covered by at least one evidence, over all questions."""

    covered: int
    expected: int


class TooLarge(ServiceError):
    status_code = 413


def _now() -> datetime:
    return datetime.now(UTC)


def _check(actor: Principal | None, permission: str, unit_id: int) -> None:
    if actor is not None and not actor.can(permission, unit_id):
        raise Forbidden("Anda tidak berwenang untuk tindakan ini.")


def _label(actor: Principal | None) -> str:
    return actor.label if actor else "system"


# --- the file store ---------------------------------------------------------------------

def stored_path(upload_dir: Path, stored_name: str) -> Path:
    """Where a stored file lives: <upload_dir>/evidence/<2 chars>/<random name>."""
    if not stored_name.isalnum():
        raise NotFound("Berkas eviden tidak ditemukan.")
    return upload_dir / EVIDENCE_SUBDIR / stored_name[:2] / stored_name


@dataclass
class _Received:
    temp: Path
    size: int
    sha256: str
    head: bytes


def _receive(stream: BinaryIO, folder: Path, max_bytes: int) -> _Received:
    """Copy the stream to a temporary file in ``folder``, hashing and counting; refuse
    (413) as soon as it passes ``max_bytes``."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".upload-{secrets.token_hex(8)}"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(temp, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"Berkas terlalu besar: batas {max_bytes // (1024 * 1024)} MB."
                    )
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return _Received(temp=temp, size=size, sha256=digest.hexdigest(), head=head)


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
    upload_dir: Path,
    max_bytes: int,
    title: str | None = None,
) -> Evidence:
    """Store an uploaded file in the unit's library after checking what it really is."""
    units.get(session, unit_id=unit_id)
    _check(actor, "indicators.write", unit_id)
    original = sanitise_filename(filename)
    folder = upload_dir / EVIDENCE_SUBDIR
    received = _receive(stream, folder, max_bytes)
    final_path: Path | None = None
    try:
        try:
            kind = identify(received.head, lambda: open(received.temp, "rb"))
        except RefusedFile as exc:
            raise Invalid(f"{original}: {exc}") from None
        stored_name = secrets.token_hex(20)
        final_path = stored_path(upload_dir, stored_name)
        final_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(received.temp, final_path)
        row = Evidence(
            unit_id=unit_id, kind="file", title=_clean_title(title, original),
            original_name=original, stored_name=stored_name, media_type=kind.media_type,
            size=received.size, sha256=received.sha256,
            uploaded_by=actor.user_id if actor else None, uploaded_by_label=_label(actor),
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor=actor, action="upload", entity="evidence", entity_id=row.id,
            unit_id=unit_id, after=audit.snapshot(row),
        )
        session.commit()
        return row
    except BaseException:
        received.temp.unlink(missing_ok=True)
        if final_path is not None:
            session.rollback()
            final_path.unlink(missing_ok=True)
        raise


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
    commit: bool = True,
) -> Evidence:
    """Add a link (http/https) to the unit's evidence library (``commit=False``: the caller
    commits)."""
    units.get(session, unit_id=unit_id)
    _check(actor, "indicators.write", unit_id)
    problems = check_url(url or "")
    if problems:
        raise Invalid("Tautan eviden tidak disimpan.", problems=problems)
    url = url.strip()
    row = Evidence(
        unit_id=unit_id, kind="link", title=_clean_title(title, url), url=url,
        uploaded_by=actor.user_id if actor else None, uploaded_by_label=_label(actor),
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
    session: Session, *, actor: Principal | None, evidence_id: int, upload_dir: Path
) -> tuple[Evidence, Path]:
    """The evidence and its stored file, for a download by someone who may read the unit."""
    row = get(session, actor=actor, evidence_id=evidence_id)
    if row.kind != "file" or not row.stored_name:
        raise NotFound("Eviden ini berupa tautan, bukan berkas.")
    path = stored_path(upload_dir, row.stored_name)
    if not path.is_file():
        raise NotFound("Berkas eviden tidak ditemukan di penyimpanan.")
    return row, path


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
        link.unlinked_by_label = _label(actor)
        session.add(link)
        audit.record(
            session, actor=actor, action="unlink", entity="evidence_link", entity_id=link.id,
            unit_id=row.unit_id, before=link_before, after=audit.snapshot(link),
        )
    row.deleted_at = now
    row.deleted_by_label = _label(actor)
    session.add(row)
    audit.record(
        session, actor=actor, action="delete", entity="evidence", entity_id=row.id,
        unit_id=row.unit_id, before=before, after=audit.snapshot(row),
    )
    session.commit()
    return row


# --- links to questions -----------------------------------------------------------------

def _writable_assessment(
    session: Session, actor: Principal | None, assessment_id: int
) -> Assessment:
    assessment = assessments.get(
        session, actor=actor, assessment_id=assessment_id, permission="indicators.write"
    )
    assessments.assert_editable(assessment)
    return assessment


def live_links(session: Session, *, assessment_id: int) -> list[EvidenceLink]:
    """Live links of an assessment (to live evidence), oldest first."""
    rows = session.exec(
        select(EvidenceLink)
        .join(Evidence, col(Evidence.id) == col(EvidenceLink.evidence_id))
        .where(
            EvidenceLink.assessment_id == assessment_id,
            col(EvidenceLink.unlinked_at).is_(None),
            col(Evidence.deleted_at).is_(None),
        )
        .order_by(col(EvidenceLink.id))
    ).all()
    return list(rows)


def link(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    evidence_id: int,
    question_ref: str,
    expected_index: int | None = None,
    commit: bool = True,
) -> EvidenceLink:
    """Let an evidence of the unit support one question (optionally one expected item).
    Linking the same evidence to the same item again returns the existing link.
    ``commit=False`` leaves the commit to the caller."""
    assessment = _writable_assessment(session, actor, assessment_id)
    framework = assessments.framework_of(session, assessment)
    row = get_row(session, Evidence, evidence_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"Eviden {evidence_id} tidak ditemukan.")
    problems = []
    if row.unit_id != assessment.unit_id:
        problems.append("Eviden harus berasal dari pustaka eviden unit yang sama.")
    if not framework.has_question(question_ref):
        problems.append(f"Pertanyaan '{question_ref}' tidak ada dalam LKE {framework.code}.")
    expected_text = None
    if expected_index is not None and framework.has_question(question_ref):
        expected = framework.question(question_ref).evidence
        if not 0 <= expected_index < len(expected):
            problems.append(
                f"Butir eviden yang diharapkan nomor {expected_index + 1} tidak ada untuk "
                f"{question_ref} (ada {len(expected)} butir)."
            )
        else:
            expected_text = expected[expected_index]
    if problems:
        raise Invalid("Eviden tidak dapat ditautkan.", problems=problems)
    existing = session.exec(
        select(EvidenceLink).where(
            EvidenceLink.assessment_id == assessment.id,
            EvidenceLink.evidence_id == row.id,
            EvidenceLink.question_ref == question_ref,
            col(EvidenceLink.unlinked_at).is_(None),
        )
    ).all()
    for found in existing:
        if found.expected_index == expected_index:
            return found
    new = EvidenceLink(
        evidence_id=row.id, assessment_id=assessment.id, question_ref=question_ref,
        expected_index=expected_index, expected_text=expected_text,
        linked_by=actor.user_id if actor else None, linked_by_label=_label(actor),
    )
    session.add(new)
    session.flush()
    audit.record(
        session, actor=actor, action="link", entity="evidence_link", entity_id=new.id,
        unit_id=assessment.unit_id, after=audit.snapshot(new),
    )
    if commit:
        session.commit()
    return new


def unlink(
    session: Session, *, actor: Principal | None, link_id: int, commit: bool = True
) -> EvidenceLink:
    """Stop an evidence supporting a question (the link row is kept, marked unlinked;
    ``commit=False``: the caller commits)."""
    row = session.get(EvidenceLink, link_id)
    if row is None or row.unlinked_at is not None:
        raise NotFound(f"Tautan eviden {link_id} tidak ditemukan.")
    assessment = _writable_assessment(session, actor, row.assessment_id)
    before = audit.snapshot(row)
    row.unlinked_at = _now()
    row.unlinked_by_label = _label(actor)
    session.add(row)
    audit.record(
        session, actor=actor, action="unlink", entity="evidence_link", entity_id=row.id,
        unit_id=assessment.unit_id, before=before, after=audit.snapshot(row),
    )
    if commit:
        session.commit()
    return row


def previous_assessment(session: Session, *, assessment: Assessment) -> Assessment | None:
    """The unit's latest live assessment of an earlier year."""
    return session.exec(
        select(Assessment)
        .where(
            Assessment.unit_id == assessment.unit_id,
            Assessment.year < assessment.year,
            col(Assessment.deleted_at).is_(None),
        )
        .order_by(col(Assessment.year).desc())
    ).first()


@dataclass(frozen=True)
class CarryOver:
    source: Assessment | None
    linked: int
    skipped_existing: int
    skipped_unknown: list[str] = field(default_factory=list)


def carry_over(
    session: Session, *, actor: Principal | None, assessment_id: int
) -> CarryOver:
    """Link last year's evidence to the same questions of this assessment (and the same
    expected item when the new framework lists the same text). Already linked: skipped."""
    assessment = _writable_assessment(session, actor, assessment_id)
    source = previous_assessment(session, assessment=assessment)
    if source is None:
        raise Invalid("Belum ada penilaian tahun sebelumnya untuk unit ini.")
    framework = assessments.framework_of(session, assessment)
    current = {
        (x.evidence_id, x.question_ref, x.expected_index)
        for x in live_links(session, assessment_id=assessment.id)
    }
    linked = existing = 0
    unknown: set[str] = set()
    created = []
    for old in live_links(session, assessment_id=source.id):
        if not framework.has_question(old.question_ref):
            unknown.add(old.question_ref)
            continue
        expected = framework.question(old.question_ref).evidence
        index = None
        if old.expected_text is not None and old.expected_text in expected:
            index = expected.index(old.expected_text)
        key = (old.evidence_id, old.question_ref, index)
        if key in current:
            existing += 1
            continue
        current.add(key)
        new = EvidenceLink(
            evidence_id=old.evidence_id, assessment_id=assessment.id,
            question_ref=old.question_ref, expected_index=index,
            expected_text=expected[index] if index is not None else None,
            carried_from_id=old.id, linked_by=actor.user_id if actor else None,
            linked_by_label=_label(actor),
        )
        session.add(new)
        created.append(new)
        linked += 1
    session.flush()
    audit.record(
        session, actor=actor, action="carry_over", entity="assessment",
        entity_id=assessment.id, unit_id=assessment.unit_id,
        after={"from_assessment": source.id, "from_year": source.year, "linked": linked,
               "link_ids": [x.id for x in created], "skipped_existing": existing,
               "skipped_unknown": sorted(unknown)},
    )
    session.commit()
    return CarryOver(source=source, linked=linked, skipped_existing=existing,
                     skipped_unknown=sorted(unknown))


# --- per question: expected checklist and what covers it ------------------------------

@dataclass(frozen=True)
class LinkedEvidence:
    link: EvidenceLink
    evidence: Evidence


@dataclass(frozen=True)
class ExpectedItem:
    index: int
    text: str
    covered_by: tuple[LinkedEvidence, ...]

    @property
    def covered(self) -> bool:
        return bool(self.covered_by)


@dataclass(frozen=True)
class QuestionEvidence:
    ref: str
    expected: tuple[ExpectedItem, ...]
    links: tuple[LinkedEvidence, ...]  # every live link of the question

    @cached_property
    def covered(self) -> int:
        return sum(1 for item in self.expected if item.covered_by)

    @property
    def first_uncovered(self) -> int | None:
        for item in self.expected:
            if not item.covered:
                return item.index
        return None


# Live links of an assessment with their evidence, oldest first (as ``live_links``), in one
# query built once.
_LIVE_LINKS_WITH_EVIDENCE = (
    select(EvidenceLink, Evidence)
    .join(Evidence, col(Evidence.id) == col(EvidenceLink.evidence_id))
    .where(
        EvidenceLink.assessment_id == bindparam("assessment_id"),
        col(EvidenceLink.unlinked_at).is_(None),
        col(Evidence.deleted_at).is_(None),
    )
    .order_by(col(EvidenceLink.id))
)


def question_evidence(
    session: Session, *, assessment: Assessment, framework: Framework | None = None
) -> dict[str, QuestionEvidence]:
    """For every question: its expected-evidence checklist with what covers each item, and
    all evidence linked to it (one query for the whole assessment)."""
    framework = framework or assessments.framework_of(session, assessment)
    by_ref: dict[str, list[LinkedEvidence]] = {}
    by_item: dict[tuple[str, int | None], list[LinkedEvidence]] = {}
    for x, evidence in session.exec(
        _LIVE_LINKS_WITH_EVIDENCE, params={"assessment_id": assessment.id}
    ).all():
        linked_evidence = LinkedEvidence(x, evidence)
        by_ref.setdefault(x.question_ref, []).append(linked_evidence)
        by_item.setdefault((x.question_ref, x.expected_index), []).append(linked_evidence)
    out = {}
    for q in framework.questions():
        expected = tuple(
            ExpectedItem(index=i, text=text, covered_by=tuple(by_item.get((q.ref, i), ())))
            for i, text in enumerate(q.evidence)
        )
        out[q.ref] = QuestionEvidence(ref=q.ref, expected=expected,
                                      links=tuple(by_ref.get(q.ref, ())))
    return out


def coverage_of(per_question: Mapping[str, QuestionEvidence]) -> EvidenceCoverage:
    """Expected-evidence items covered, over the questions of ``question_evidence``."""
    return EvidenceCoverage(
        covered=sum(q.covered for q in per_question.values()),
        expected=sum(len(q.expected) for q in per_question.values()),
    )


def coverage(session: Session, assessment: Assessment) -> EvidenceCoverage:
    """Expected-evidence items covered by at least one linked evidence, over all questions."""
    return coverage_of(question_evidence(session, assessment=assessment))


def evidence_lines(
    session: Session, *, assessment: Assessment, framework: Framework | None = None
) -> dict[str, tuple[str, ...]]:
    """Question ref -> one line per linked evidence, "Judul (alamat tautan)" or
    "Judul (berkas nama.pdf)", for the XLSX Eviden column."""
    out: dict[str, list[str]] = {}
    for ref, qe in question_evidence(session, assessment=assessment, framework=framework).items():
        seen: set[int] = set()
        for linked in qe.links:
            row = linked.evidence
            if row.id in seen:
                continue
            seen.add(row.id)
            where = row.url if row.kind == "link" else f"berkas {row.original_name or '-'}"
            out.setdefault(ref, []).append(f"{row.title} ({where})")
    return {ref: tuple(lines) for ref, lines in out.items()}
