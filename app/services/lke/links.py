"""Pages of Zona linked as LKE evidence (survey campaigns, innovations), through the evidence
service, inside the caller's transaction.

A page becomes one *link* evidence in the unit's library (reused when the same URL is already
there), linked to a question of an assessment. Links this join made earlier to pages of the
same kind that no longer apply (an older campaign) are unlinked, never deleted.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlmodel import Session, col, select

from app.models.lke.assessments import Assessment
from app.models.lke.evidence import Evidence
from app.security.principal import Principal
from app.services.lke import evidence, evidence_links


def page_url(base_url: str, path: str) -> str:
    """The absolute address of a Zona page ('https://zona.example.go.id' + '/units/4/...')."""
    return base_url.rstrip("/") + path


def campaign_path(unit_id: int, campaign_id: int) -> str:
    return f"/units/{unit_id}/surveys/campaigns/{campaign_id}"


def innovation_path(unit_id: int, innovation_id: int) -> str:
    return f"/units/{unit_id}/innovations/{innovation_id}"


def page_pattern(unit_id: int, kind: str) -> re.Pattern[str]:
    """Matches the address of a campaign ('surveys/campaigns') or innovation page of the unit
    on any host; group 1 is the id."""
    return re.compile(rf"^https?://[^/]+/units/{unit_id}/{kind}/(\d+)$")


def _library_link(session: Session, *, unit_id: int, url: str) -> Evidence | None:
    return session.exec(
        select(Evidence).where(
            Evidence.unit_id == unit_id, Evidence.kind == "link", Evidence.url == url,
            col(Evidence.deleted_at).is_(None),
        ).order_by(col(Evidence.id))
    ).first()


def attach_pages(
    session: Session,
    *,
    actor: Principal | None,
    assessment: Assessment,
    ref: str,
    pages: Collection[tuple[str, str]],
    kind: str,
    expected_index: int | None = None,
) -> tuple[int, int]:
    """Link each (url, title) page to ``ref`` and unlink links of the same ``kind`` of page
    ('surveys/campaigns' or 'innovations') that are not among them. No commit.

    Returns (links added, links removed).
    """
    wanted = {url for url, _ in pages}
    pattern = page_pattern(assessment.unit_id, kind)
    removed = 0
    for link in evidence_links.live_links(session, assessment_id=assessment.id):
        if link.question_ref != ref:
            continue
        row = session.get(Evidence, link.evidence_id)
        if row is None or row.kind != "link" or not row.url:
            continue
        if pattern.match(row.url) and row.url not in wanted:
            evidence_links.unlink(session, actor=actor, link_id=link.id, commit=False)
            removed += 1
    added = 0
    existing = {
        (session.get(Evidence, x.evidence_id).url, x.expected_index)
        for x in evidence_links.live_links(session, assessment_id=assessment.id)
        if x.question_ref == ref
    }
    for url, title in pages:
        if (url, expected_index) in existing:
            continue
        row = _library_link(session, unit_id=assessment.unit_id, url=url) or evidence.add_link(
            session, actor=actor, unit_id=assessment.unit_id, url=url, title=title, commit=False
        )
        evidence_links.link(
            session, actor=actor, assessment_id=assessment.id, evidence_id=row.id,
            question_ref=ref, expected_index=expected_index, commit=False,
        )
        added += 1
    return added, removed
