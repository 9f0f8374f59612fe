"""Demo data for evidence: a few clearly labelled demo links in KPPN-TJP's library, linked to
its 2018 assessment and carried over to 2019 (runs after the LKE demo step)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models.lke.evidence import Evidence
from app.services.demo.base import DemoResult
from app.services.errors import ServiceError
from app.services.lke import assessments, evidence, evidence_links

DEMO_LINKS = (
    ("SK Tim Kerja Pembangunan ZI (demo)", "https://example.go.id/zona-demo/sk-tim-zi.pdf",
     (("PPA1A", 0),)),
    ("Mekanisme pemilihan anggota Tim (demo)",
     "https://example.go.id/zona-demo/mekanisme-tim.pdf", (("PPA1B", 1),)),
    ("Notulen rapat pembentukan Tim (demo)", "https://example.go.id/zona-demo/notulen.pdf",
     (("PPA1A", 2), ("PPA1B", 0))),
)


def demo_evidence(session: Session, result: DemoResult) -> None:
    """Demo links for KPPN-TJP (idempotent: skipped when they exist)."""
    unit_id = result.unit_ids.get("KPPN-TJP")
    if unit_id is None:
        return
    existing = session.exec(
        select(Evidence).where(
            Evidence.unit_id == unit_id, col(Evidence.title).like("%(demo)%")
        )
    ).first()
    if existing is not None:
        return
    first = assessments.find(session, unit_id=unit_id, year=2018)
    for title, url, uses in DEMO_LINKS:
        row = evidence.add_link(session, actor=None, unit_id=unit_id, url=url, title=title)
        if first is not None and assessments.is_editable(first):
            for ref, index in uses:
                evidence_links.link(session, actor=None, assessment_id=first.id, evidence_id=row.id,
                                    question_ref=ref, expected_index=index)
    result.created.append("Evidence links (demo)")
    second = assessments.find(session, unit_id=unit_id, year=2019)
    if second is not None and assessments.is_editable(second):
        try:
            evidence_links.carry_over(session, actor=None, assessment_id=second.id)
        except ServiceError:
            session.rollback()
