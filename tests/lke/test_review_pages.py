"""The evidence and review pages: library upload through the form, the question panel,
the review workspace saving one value with totals, the worksheet hooks."""

from __future__ import annotations

from sqlmodel import select

from app.models.lke.evidence import Evidence, EvidenceLink
from app.models.lke.review import LkeReviewDraft
from app.services.lke import submission as lke_submission
from tests.factories import login, principal
from tests.support.lke_review import EXE, PDF, new_assessment

HX = {"HX-Request": "true"}


async def test_library_upload_and_question_panel(client, world, db):
    a = new_assessment(db, world)
    csrf = await login(client, "member_a1")
    unit = world.unit("UNIT-A1")
    page = await client.get(f"/units/{unit}/evidence")
    assert page.status_code == 200 and 'hx-encoding="multipart/form-data"' in page.text
    assert "<progress" in page.text and "/static/evidence.js" in page.text
    response = await client.post(f"/units/{unit}/evidence", data={"title": "SK Tim"},
                                 files={"file": ("sk.pdf", PDF, "application/pdf")},
                                 headers={**HX, "X-CSRF-Token": csrf})
    assert response.status_code == 200 and "SK Tim" in response.text
    # a refused file: the message lands in the page's flash area, in Indonesian
    response = await client.post(f"/units/{unit}/evidence",
                                 files={"file": ("x.pdf", EXE, "application/pdf")},
                                 headers={**HX, "X-CSRF-Token": csrf})
    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#flash"
    assert "Jenis berkas tidak diterima" in response.text

    panel = await client.get(f"/assessments/{a.id}/questions/PPA1A/evidence", headers=HX)
    assert panel.status_code == 200
    assert "SK Tim Kerja Pembangunan ZI menuju WBK/WBBM" in panel.text  # expected item 1
    assert 'name="evidence_id"' in panel.text
    evidence_id = db.exec(select(Evidence)).one().id
    response = await client.post(
        f"/assessments/{a.id}/questions/PPA1A/evidence/link",
        data={"evidence_id": evidence_id, "expected_index": "0"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert 'class="covered"' in response.text and "Eviden ditautkan" in response.text
    # the worksheet's evidence count is updated out of band
    assert 'id="evs-PPA1A" hx-swap-oob="true"' in response.text
    # upload-and-link in one step
    response = await client.post(
        f"/assessments/{a.id}/questions/PPA1A/evidence/upload",
        data={"expected_index": "1"}, files={"file": ("undangan.pdf", PDF, "application/pdf")},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200 and response.text.count('class="covered"') == 2
    assert len(db.exec(select(EvidenceLink)).all()) == 2

    # without htmx: a page of its own
    page = await client.get(f"/assessments/{a.id}/questions/PPA1A/evidence")
    assert page.status_code == 200 and "<html" in page.text and "Kembali ke lembar kerja" in page.text
    worksheet = await client.get(f"/assessments/{a.id}")
    assert worksheet.status_code == 200
    assert f'hx-get="/assessments/{a.id}/questions/PPA1A/evidence"' in worksheet.text
    assert ">2/3<" in worksheet.text  # PPA1A: two of three expected items covered
    assert f'href="/assessments/{a.id}/submission"' in worksheet.text


async def test_review_workspace(client, make_client, world, db):
    a = new_assessment(db, world, complete=True)
    lke_submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    csrf = await login(client, "reviewer_a")
    queue = await client.get(f"/units/{world.unit('KANWIL-A')}/reviews")
    assert queue.status_code == 200 and f"/assessments/{a.id}/review" in queue.text
    page = await client.get(f"/assessments/{a.id}/review")
    assert page.status_code == 200 and 'id="r-PPA1B"' in page.text
    response = await client.post(
        f"/assessments/{a.id}/review/PPA1B",
        data={"option": "C", "note": "Belum ada mekanisme", "flagged": "1"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert 'id="rs-PPA1B" hx-swap-oob="true"' in response.text and "ditandai" in response.text
    assert 'id="review-totals" hx-swap-oob="true"' in response.text
    draft = db.exec(select(LkeReviewDraft)).one()
    assert (draft.answer["option"], draft.flagged, draft.note) == ("C", True, "Belum ada mekanisme")
    # an option the question does not have: 422 into the flash area, nothing stored
    response = await client.post(f"/assessments/{a.id}/review/PPA1B", data={"option": "Q"},
                                 headers={**HX, "X-CSRF-Token": csrf})
    assert response.status_code == 422 and "tidak tersedia" in response.text
    db.expire_all()
    assert db.exec(select(LkeReviewDraft)).one().answer["option"] == "C"

    # without "confirmed" the decision is only asked about, nothing changes
    response = await client.post(f"/assessments/{a.id}/review-decision",
                                 data={"decision": "return", "note": "Perbaiki"},
                                 headers={**HX, "X-CSRF-Token": csrf})
    assert response.status_code == 200 and 'id="confirm-step"' in response.text
    assert response.headers["HX-Retarget"] == "#main"
    db.expire_all()
    assert db.get(type(a), a.id).status == "submitted"
    response = await client.post(f"/assessments/{a.id}/review-decision",
                                 data={"decision": "return", "note": "Perbaiki",
                                       "confirmed": "1"},
                                 headers={**HX, "X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert response.headers["hx-redirect"].startswith(f"/assessments/{a.id}/comparison")
    comparison = await client.get(response.headers["hx-redirect"])
    assert comparison.status_code == 200 and "PPA1B" in comparison.text
    assert "Belum ada mekanisme" in comparison.text

    coord = make_client()
    await login(coord, "coord_a1")
    worksheet = await coord.get(f"/assessments/{a.id}")
    assert 'id="flag-PPA1B"' in worksheet.text and "Belum ada mekanisme" in worksheet.text

    other = make_client()
    await login(other, "reviewer_b")
    assert (await other.get(f"/units/{world.unit('KANWIL-A')}/reviews")).status_code == 403
    assert (await other.get(f"/assessments/{a.id}/review")).status_code == 403
