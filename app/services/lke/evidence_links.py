"""Evidence linked to the questions of an LKE assessment: link, unlink, carry over from last
year, and what covers each question's expected-evidence checklist.

Linking and unlinking are writes to the assessment: refused (409) unless it is editable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.lke import Framework
from app.models.lke.assessments import Assessment
from app.models.lke.evidence import Evidence, EvidenceLink
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Invalid, NotFound
from app.services.lke import assessments
from app.services.lke import summary as lke_summary
from app.services.lke.evidence import actor_label


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EvidenceCoverage:
    """Expected-evidence items covered by at least one evidence, over all questions."""

    covered: int
    expected: int


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
    if row is None or row.deleted_at is not None or row.unit_id != assessment.unit_id:
        # Another unit's evidence is not there to link, in the words of a missing one.
        raise NotFound(f"Eviden {evidence_id} tidak ditemukan.")
    problems = []
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
        linked_by=actor.user_id if actor else None, linked_by_label=actor_label(actor),
    )
    session.add(new)
    session.flush()
    audit.record(
        session, actor=actor, action="link", entity="evidence_link", entity_id=new.id,
        unit_id=assessment.unit_id, after=audit.snapshot(new),
    )
    lke_summary.evidence_changed(session, assessment=assessment)
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
    row.unlinked_by_label = actor_label(actor)
    session.add(row)
    audit.record(
        session, actor=actor, action="unlink", entity="evidence_link", entity_id=row.id,
        unit_id=assessment.unit_id, before=before, after=audit.snapshot(row),
    )
    lke_summary.evidence_changed(session, assessment=assessment)
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
            linked_by_label=actor_label(actor),
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
    lke_summary.evidence_changed(session, assessment=assessment)
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


_LIVE_LINKS_OF_REFS_WITH_EVIDENCE = _LIVE_LINKS_WITH_EVIDENCE.where(
    col(EvidenceLink.question_ref).in_(bindparam("refs", expanding=True))
)


def question_evidence(
    session: Session, *, assessment: Assessment, framework: Framework | None = None,
    refs: Sequence[str] | None = None,
) -> dict[str, QuestionEvidence]:
    """For every question (or only those of ``refs``): its expected-evidence checklist with
    what covers each item, and all evidence linked to it (one query)."""
    framework = framework or assessments.framework_of(session, assessment)
    by_ref: dict[str, list[LinkedEvidence]] = {}
    by_item: dict[tuple[str, int | None], list[LinkedEvidence]] = {}
    if refs is None:
        statement, params = _LIVE_LINKS_WITH_EVIDENCE, {"assessment_id": assessment.id}
    else:
        statement = _LIVE_LINKS_OF_REFS_WITH_EVIDENCE
        params = {"assessment_id": assessment.id, "refs": list(refs)}
    for x, evidence in session.exec(statement, params=params).all():
        linked_evidence = LinkedEvidence(x, evidence)
        by_ref.setdefault(x.question_ref, []).append(linked_evidence)
        by_item.setdefault((x.question_ref, x.expected_index), []).append(linked_evidence)
    out = {}
    wanted = None if refs is None else set(refs)
    for q in framework.questions():
        if wanted is not None and q.ref not in wanted:
            continue
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
