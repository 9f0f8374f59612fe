"""The review chain end to end through the API: submit (complete only), regional return,
the unit fixes, regional accept, TPI accept -> final and locked; decisions immutable and
audited; reviewers of another regional office cannot see or act."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.models.lke.evidence import Evidence, EvidenceLink
from app.models.lke.review import LkeReview, LkeReviewItem, LkeSubmission
from app.services.lke import overview
from tests.factories import issue_token, login
from tests.support.lke_review import PDF, new_assessment
from tests.support.problems import error_messages, problem, text


def _status(db, assessment_id: int) -> str:
    db.expire_all()
    return db.get(Assessment, assessment_id).status


async def test_submit_lists_every_missing_answer_and_changes_nothing(client, world, db):
    a = new_assessment(db, world, skip=("PPA1B", "HBA1A"))
    csrf = await login(client, "coord_a1")
    response = await client.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                 headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422
    detail = problem(response)
    assert "2 pertanyaan" in detail["detail"]
    assert error_messages(response) == ["PPA1B: belum dijawab", "HBA1A: belum dijawab"]
    assert _status(db, a.id) == "draft"
    assert db.exec(select(LkeSubmission)).all() == []
    ready = (await client.get(f"/api/v1/assessments/{a.id}/submission")).json()
    assert ready["ready"] is False and ready["missing"] == error_messages(response)
    assert ready["levels"] == ["regional", "tpi"]


async def test_only_a_coordinator_session_submits(client, make_client, world, db):
    a = new_assessment(db, world, complete=True)
    token = issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])
    response = await client.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    member = make_client()
    csrf = await login(member, "member_a1")
    response = await member.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                 headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    other = make_client()
    csrf = await login(other, "coord_b1")
    response = await other.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    assert _status(db, a.id) == "draft"


async def test_the_whole_chain(client, make_client, world, db):
    a = new_assessment(db, world, complete=True)
    coord = client
    coord_csrf = await login(coord, "coord_a1")
    kanwil = make_client()
    kanwil_csrf = await login(kanwil, "reviewer_a")
    other_kanwil = make_client()
    other_csrf = await login(other_kanwil, "reviewer_b")
    tpi = make_client()
    tpi_csrf = await login(tpi, "tpi")

    # -- submit
    response = await coord.post(f"/api/v1/assessments/{a.id}/submit",
                                json={"note": "Siap direviu"},
                                headers={"X-CSRF-Token": coord_csrf})
    assert response.status_code == 200, response.text
    assert response.json()["round"] == 1 and response.json()["status"] == "submitted"
    # the unit cannot change answers while it is reviewed
    response = await coord.put(f"/api/v1/assessments/{a.id}/answers/PPA1B",
                               json={"option": "C"}, headers={"X-CSRF-Token": coord_csrf})
    assert response.status_code == 409
    # submitting twice is refused
    response = await coord.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                headers={"X-CSRF-Token": coord_csrf})
    assert response.status_code == 409

    # -- queues: the regional office of UNIT-A1 sees it; the other office and the TPI not yet
    queue = (await kanwil.get("/api/v1/reviews/queue")).json()
    assert [(q["assessment_id"], q["level"]) for q in queue] == [(a.id, "regional")]
    assert (await other_kanwil.get("/api/v1/reviews/queue")).json() == []
    assert (await tpi.get("/api/v1/reviews/queue")).json() == []

    # -- the other regional office can neither see nor act
    for method, url, body in (
        ("get", f"/api/v1/assessments/{a.id}/reviews", None),
        ("put", f"/api/v1/assessments/{a.id}/review/values",
         {"items": [{"ref": "PPA1B", "option": "C"}]}),
        ("post", f"/api/v1/assessments/{a.id}/reviews", {"decision": "accept"}),
    ):
        kwargs = {"headers": {"X-CSRF-Token": other_csrf}}
        if body is not None:
            kwargs["json"] = body
        response = await getattr(other_kanwil, method)(url, **kwargs)
        assert response.status_code == 403, (url, response.text)
    for url in (f"/assessments/{a.id}/review", f"/assessments/{a.id}/comparison"):
        assert (await other_kanwil.get(url)).status_code == 403
    # the TPI cannot act before the regional office
    response = await tpi.post(f"/api/v1/assessments/{a.id}/reviews",
                              json={"decision": "accept"}, headers={"X-CSRF-Token": tpi_csrf})
    assert response.status_code == 403
    assert "Kantor Wilayah" in problem(response)["detail"]

    # -- regional return without a flag is refused
    response = await kanwil.post(f"/api/v1/assessments/{a.id}/reviews",
                                 json={"decision": "return"},
                                 headers={"X-CSRF-Token": kanwil_csrf})
    assert response.status_code == 422
    # a bad reviewer value is refused (the domain validates it) and nothing is stored
    response = await kanwil.put(f"/api/v1/assessments/{a.id}/review/values",
                                json={"items": [{"ref": "PPA1B", "option": "Z"}]},
                                headers={"X-CSRF-Token": kanwil_csrf})
    assert response.status_code == 422
    assert "PPA1B" in error_messages(response)[0]
    # -- regional returns PPA1B
    response = await kanwil.post(
        f"/api/v1/assessments/{a.id}/reviews",
        json={"decision": "return", "note": "Lengkapi PPA1B.",
              "items": [{"ref": "PPA1B", "option": "C", "flagged": True,
                         "note": "Mekanisme pemilihan anggota tim belum ada"}]},
        headers={"X-CSRF-Token": kanwil_csrf},
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert (first["level"], first["decision"], first["status_after"]) == \
        ("regional", "return", "returned")
    items = {i["ref"]: i for i in first["items"]}
    assert len(items) == 113
    assert items["PPA1B"]["flagged"] and items["PPA1B"]["changed"]
    assert items["PPA1B"]["self_value"] == "1" and items["PPA1B"]["value"] == "0"
    # PPA1B weighs 0.5 / 2 = 1/4 point; C (0) instead of A (1) takes it away
    assert Fraction(first["review_total"]) == Fraction(first["self_total"]) - Fraction(1, 4)
    assert _status(db, a.id) == "returned"

    # -- the unit sees the flagged question, fixes it (evidence + penjelasan), resubmits
    page = await coord.get(f"/assessments/{a.id}/submission")
    assert page.status_code == 200
    assert 'id="flag-PPA1B"' in page.text and "Mekanisme pemilihan anggota tim" in page.text
    upload = await coord.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/evidence",
        files={"file": ("mekanisme.pdf", PDF, "application/pdf")},
        headers={"X-CSRF-Token": coord_csrf},
    )
    evidence_id = upload.json()["id"]
    link = await coord.post(f"/api/v1/assessments/{a.id}/evidence-links",
                            json={"evidence_id": evidence_id, "question_ref": "PPA1B",
                                  "expected_index": 1}, headers={"X-CSRF-Token": coord_csrf})
    assert link.status_code == 201
    response = await coord.put(f"/api/v1/assessments/{a.id}/answers/PPA1B",
                               json={"option": "A", "penjelasan": "Mekanisme terlampir"},
                               headers={"X-CSRF-Token": coord_csrf})
    assert response.status_code == 200, response.text
    response = await coord.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                headers={"X-CSRF-Token": coord_csrf})
    assert response.status_code == 200 and response.json()["round"] == 2

    # -- accepting while the question is still flagged is refused
    response = await kanwil.post(f"/api/v1/assessments/{a.id}/reviews",
                                 json={"decision": "accept"},
                                 headers={"X-CSRF-Token": kanwil_csrf})
    assert response.status_code == 422 and "PPA1B" in text(response)
    # -- regional accepts, with its own value B for PPA1B (0.5 x 1/4 = 1/8 point)
    response = await kanwil.post(
        f"/api/v1/assessments/{a.id}/reviews",
        json={"decision": "accept", "note": "Cukup.",
              "items": [{"ref": "PPA1B", "option": "B", "flagged": False,
                         "note": "Mekanisme ada, belum ditetapkan kepala unit"}]},
        headers={"X-CSRF-Token": kanwil_csrf},
    )
    assert response.status_code == 201, response.text
    second = response.json()
    assert second["status_after"] == "in_review"
    assert Fraction(second["review_total"]) == Fraction(second["self_total"]) - Fraction(1, 8)
    assert (await kanwil.get("/api/v1/reviews/queue")).json() == []
    assert [q["level"] for q in (await tpi.get("/api/v1/reviews/queue")).json()] == ["tpi"]

    # -- the TPI accepts: final
    response = await tpi.post(f"/api/v1/assessments/{a.id}/reviews",
                              json={"decision": "accept", "note": "Final."},
                              headers={"X-CSRF-Token": tpi_csrf})
    assert response.status_code == 201, response.text
    assert response.json()["status_after"] == "final"
    assert _status(db, a.id) == "final"

    # -- side by side: PPA1B self 0.25, regional 0.13 (0.125 half up), TPI 0.25
    comparison = (await coord.get(f"/api/v1/assessments/{a.id}/comparison")).json()
    rows = {r["ref"]: r for r in comparison["rows"]}
    assert (rows["PPA1B"]["self_score"], rows["PPA1B"]["regional"], rows["PPA1B"]["tpi"]) == \
        ("0.25", "0.13", "0.25")
    assert rows["PPA1B"]["differs"] and rows["PPA"]["differs"]
    assert not rows["PPA1A"]["differs"]
    assert Fraction(rows["PPA"]["self_score"]) - Fraction(rows["PPA"]["regional"]) in (
        Fraction(12, 100), Fraction(13, 100))  # 1/8 after rounding each side

    # -- final: every write is refused (409) and nothing changes
    answers_before = db.exec(select(LkeAnswer).where(LkeAnswer.assessment_id == a.id)).all()
    snapshot = {r.question_ref: (r.option, r.revision) for r in answers_before}
    revisions = len(db.exec(select(LkeAnswerRevision)).all())
    links_before = len(db.exec(select(EvidenceLink)).all())
    reviews_before = len(db.exec(select(LkeReview)).all())
    refusals = [
        (coord.put, f"/api/v1/assessments/{a.id}/answers/PPA1A", {"option": "Tidak"}, coord_csrf),
        (coord.put, f"/api/v1/assessments/{a.id}/answers",
         {"answers": [{"ref": "PPA1A", "option": "Tidak"}]}, coord_csrf),
        (coord.post, f"/api/v1/assessments/{a.id}/evidence-links",
         {"evidence_id": evidence_id, "question_ref": "PPA1A"}, coord_csrf),
        (coord.delete, f"/api/v1/evidence-links/{link.json()['id']}", None, coord_csrf),
        (coord.delete, f"/api/v1/evidence/{evidence_id}", None, coord_csrf),
        (coord.post, f"/api/v1/assessments/{a.id}/submit", {}, coord_csrf),
        (coord.post, f"/api/v1/assessments/{a.id}/evidence/carry-over", None, coord_csrf),
        (tpi.post, f"/api/v1/assessments/{a.id}/reviews", {"decision": "return"}, tpi_csrf),
        (tpi.put, f"/api/v1/assessments/{a.id}/review/values",
         {"items": [{"ref": "PPA1A", "option": "Tidak"}]}, tpi_csrf),
    ]
    for call, url, body, csrf in refusals:
        kwargs = {"headers": {"X-CSRF-Token": csrf}}
        if body is not None:
            kwargs["json"] = body
        response = await call(url, **kwargs)
        assert response.status_code == 409, (url, response.status_code, response.text)
        assert "final" in text(response).lower(), url
    db.expire_all()
    after = db.exec(select(LkeAnswer).where(LkeAnswer.assessment_id == a.id)).all()
    assert {r.question_ref: (r.option, r.revision) for r in after} == snapshot
    assert len(db.exec(select(LkeAnswerRevision)).all()) == revisions
    assert len(db.exec(select(EvidenceLink)).all()) == links_before
    assert db.get(Evidence, evidence_id).deleted_at is None
    assert len(db.exec(select(LkeReview)).all()) == reviews_before == 3
    # the page face says it too
    page = await coord.get(f"/assessments/{a.id}/submission")
    assert "terkunci" in page.text

    # -- every decision is listed, with who, level and notes
    listed = (await coord.get(f"/api/v1/assessments/{a.id}/reviews?items=true")).json()
    assert [(r["level"], r["decision"], r["reviewer"]) for r in listed] == [
        ("regional", "return", "reviewer_a"), ("regional", "accept", "reviewer_a"),
        ("tpi", "accept", "tpi")]
    assert {i["ref"]: i["note"] for i in listed[1]["items"]}["PPA1B"] == \
        "Mekanisme ada, belum ditetapkan kepala unit"

    # -- audit: submissions and decisions are in the unit's log
    actions = [r.action for r in db.exec(
        select(AuditRecord).where(AuditRecord.entity == "assessment",
                                  AuditRecord.entity_id == str(a.id))
        .order_by(AuditRecord.id)).all()]
    assert [x for x in actions if x.startswith(("submit", "review_"))] == [
        "submit", "review_return", "submit", "review_accept", "review_accept"]


def test_decisions_are_immutable(db, world):
    a = new_assessment(db, world, complete=True)
    from app.services.lke import review
    from app.services.lke import submission as lke_submission
    from tests.factories import principal

    lke_submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    decision = review.decide(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                             decision="accept")
    decision.note = "changed afterwards"
    db.add(decision)
    with pytest.raises(RuntimeError, match="immutable"):
        db.commit()
    db.rollback()
    item = db.exec(select(LkeReviewItem)).first()
    db.delete(item)
    with pytest.raises(RuntimeError, match="immutable"):
        db.commit()
    db.rollback()
    submission = db.exec(select(LkeSubmission)).first()
    db.delete(submission)
    with pytest.raises(RuntimeError, match="immutable"):
        db.commit()
    db.rollback()
    db.expire_all()
    assert db.get(LkeReview, decision.id).note is None


def test_progress_reports_evidence_and_answers(db, world):
    a = new_assessment(db, world, complete=True)
    progress = overview.progress(db, assessment=a)
    assert (progress.answered, progress.total) == (113, 113)
    assert (progress.evidence.covered, progress.evidence.expected) == (0, 248)
