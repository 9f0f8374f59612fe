"""Every LKE service refuses a principal of another unit on its own (no web or API in between),
and a refused call writes nothing: no row, no revision, no audit record."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.models.lke.bundle import EvidenceBundleJob
from app.models.lke.evidence import Evidence, EvidenceLink
from app.models.lke.review import LkeReview, LkeReviewDraft, LkeSubmission
from app.services.errors import Forbidden
from app.services.lke import (
    answers,
    assessments,
    bundle,
    bundle_jobs,
    evidence,
    evidence_links,
    overview,
    review,
    review_records,
    submission,
    xlsx,
)
from tests.factories import principal
from tests.support.lke_review import PDF, new_assessment

TABLES = (Assessment, LkeAnswer, LkeAnswerRevision, Evidence, EvidenceLink, LkeSubmission,
          LkeReview, LkeReviewDraft, EvidenceBundleJob, AuditRecord)


def _counts(db: Session) -> dict[str, int]:
    return {t.__name__: db.exec(select(func.count()).select_from(t)).one() for t in TABLES}


@pytest.fixture
def setting(db, world, framework_row, tmp_path):
    """UNIT-A1's complete 2025 assessment with one linked evidence file, its 2024 one, and
    the export of it; every call below is made by people of UNIT-B1 / KANWIL-B."""
    coord_a1 = principal(db, world, "coord_a1")
    a = new_assessment(db, world, complete=True)
    older = new_assessment(db, world, year=2024)
    row = evidence.upload_file(
        db, actor=coord_a1, unit_id=world.unit("UNIT-A1"), filename="sk.pdf",
        stream=io.BytesIO(PDF), upload_dir=tmp_path, max_bytes=1024 * 1024,
    )
    linked = evidence_links.link(db, actor=coord_a1, assessment_id=a.id, evidence_id=row.id,
                                 question_ref="PPA1A")
    export = xlsx.export(db, actor=coord_a1, assessment_id=a.id).content
    job = bundle_jobs.request(db, actor=coord_a1, assessment_id=a.id)
    return {"a": a, "older": older, "evidence": row, "link": linked, "xlsx": export,
            "upload_dir": tmp_path, "job": job,
            "plan": bundle.plan(db, actor=coord_a1, assessment_id=a.id)}


def _refused(db: Session, call) -> None:
    before = _counts(db)
    with pytest.raises(Forbidden):
        call()
    db.rollback()
    assert _counts(db) == before


def test_writes_of_another_unit_are_refused_and_write_nothing(db, world, setting):
    coord_b1 = principal(db, world, "coord_b1")
    member_b1 = principal(db, world, "member_b1")
    a, ev, upload_dir = setting["a"], setting["evidence"], setting["upload_dir"]
    unit_a1 = world.unit("UNIT-A1")
    calls = [
        lambda: assessments.create(db, actor=coord_b1, unit_id=unit_a1, year=2026,
                                   target="WBK"),
        lambda: assessments.set_target(db, actor=coord_b1, assessment_id=a.id, target="WBBM"),
        lambda: assessments.delete(db, actor=coord_b1, assessment_id=setting["older"].id),
        lambda: answers.answer(db, actor=member_b1, assessment_id=setting["older"].id,
                               ref="PPA1A", option="Ya"),
        lambda: answers.answer_many(
            db, actor=member_b1, assessment_id=setting["older"].id,
            changes=[answers.AnswerChange(ref="PPA1A", option="Ya")]),
        lambda: answers.clear_answer(db, actor=member_b1, assessment_id=a.id, ref="PPA1A"),
        lambda: evidence.upload_file(
            db, actor=member_b1, unit_id=unit_a1, filename="x.pdf", stream=io.BytesIO(PDF),
            upload_dir=upload_dir, max_bytes=1024 * 1024),
        lambda: evidence.add_link(db, actor=member_b1, unit_id=unit_a1,
                                  url="https://example.go.id/x.pdf"),
        lambda: evidence.delete(db, actor=member_b1, evidence_id=ev.id),
        lambda: evidence_links.link(db, actor=member_b1, assessment_id=setting["older"].id,
                                    evidence_id=ev.id, question_ref="PPA1B"),
        lambda: evidence_links.unlink(db, actor=member_b1, link_id=setting["link"].id),
        lambda: evidence_links.carry_over(db, actor=member_b1, assessment_id=a.id),
        lambda: submission.submit(db, actor=coord_b1, assessment_id=a.id),
        lambda: xlsx.dry_run(db, actor=member_b1, assessment_id=a.id, data=setting["xlsx"]),
        lambda: xlsx.apply(db, actor=member_b1, assessment_id=a.id, data=setting["xlsx"]),
        lambda: bundle_jobs.request(db, actor=member_b1, assessment_id=a.id),
    ]
    for call in calls:
        _refused(db, call)


def test_reads_of_another_unit_are_refused(db, world, setting):
    viewer = principal(db, world, "coord_b1")
    a, ev = setting["a"], setting["evidence"]
    calls = [
        lambda: assessments.get(db, actor=viewer, assessment_id=a.id),
        lambda: assessments.list_for_unit(db, actor=viewer, unit_id=world.unit("UNIT-A1")),
        lambda: answers.revisions(db, actor=viewer, assessment_id=a.id),
        lambda: overview.compare(db, actor=viewer, base_id=setting["older"].id,
                                 other_id=a.id),
        lambda: evidence.get(db, actor=viewer, evidence_id=ev.id),
        lambda: evidence.list_for_unit(db, actor=viewer, unit_id=world.unit("UNIT-A1")),
        lambda: evidence.download(db, actor=viewer, evidence_id=ev.id,
                                  upload_dir=Path(setting["upload_dir"])),
        lambda: submission.submissions(db, actor=viewer, assessment_id=a.id),
        lambda: review_records.reviews(db, actor=viewer, assessment_id=a.id),
        lambda: review_records.side_by_side(db, actor=viewer, assessment_id=a.id),
        lambda: xlsx.export(db, actor=viewer, assessment_id=a.id),
        lambda: bundle.plan(db, actor=viewer, assessment_id=a.id),
        lambda: list(bundle.stream(setting["plan"], bind=db.get_bind(), actor=viewer,
                                   upload_dir=Path(setting["upload_dir"]))),
        lambda: bundle_jobs.get(db, actor=viewer, job_id=setting["job"].id),
        lambda: bundle_jobs.list_for_assessment(db, actor=viewer, assessment_id=a.id),
        lambda: bundle_jobs.download(db, actor=viewer, job_id=setting["job"].id,
                                     upload_dir=Path(setting["upload_dir"])),
    ]
    for call in calls:
        _refused(db, call)


def test_a_reviewer_of_another_regional_office_cannot_review(db, world, setting):
    a = setting["a"]
    submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    reviewer_b = principal(db, world, "reviewer_b")
    decided = review.decide(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                            decision="return", note="Perbaiki",
                            changes=[review.DraftChange("PPA1A", note="Belum ditandatangani",
                                                        flagged=True)])
    submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    for call in [
        lambda: review.save_values(db, actor=reviewer_b, assessment_id=a.id,
                                   changes=[review.DraftChange("PPA1A", option="Tidak")]),
        lambda: review.decide(db, actor=reviewer_b, assessment_id=a.id, decision="accept"),
        lambda: review_records.get_review(db, actor=reviewer_b, review_id=decided.id),
    ]:
        _refused(db, call)
    # and the queue of that reviewer does not list it
    assert all(e.assessment.id != a.id for e in submission.queue(db, actor=reviewer_b))
