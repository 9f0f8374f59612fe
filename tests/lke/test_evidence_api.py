"""Evidence: upload checked by content, size limit, safe names, download only for the unit,
links, attach to questions with the expected-evidence checklist, carry over."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.lke.evidence import Evidence, EvidenceLink
from app.services.lke import overview
from tests.factories import issue_token, login
from tests.support.lke_review import EXE, PDF, PNG, docx, new_assessment
from tests.support.problems import problem, text


def _files(settings):
    folder = settings.resolved_upload_dir() / "evidence"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def _upload(client, csrf, unit_id, name, data, title=None, media="application/pdf"):
    fields = {"csrf_token": csrf}
    if title:
        fields["title"] = title
    return await client.post(
        f"/api/v1/units/{unit_id}/evidence", data=fields, files={"file": (name, data, media)},
        headers={"X-CSRF-Token": csrf},
    )


async def test_pdf_upload_is_stored_under_its_sha256(client, world, db, settings):
    csrf = await login(client, "member_a1")
    unit = world.unit("UNIT-A1")
    response = await _upload(client, csrf, unit, "SK Tim ZI.pdf", PDF, title="SK Tim ZI 2025")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["media_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["size"] == len(PDF)
    assert body["original_name"] == "SK Tim ZI.pdf"
    row = db.get(Evidence, body["id"])
    stored = settings.resolved_upload_dir() / "evidence" / row.stored_name[:2] / row.stored_name
    assert stored.read_bytes() == PDF
    assert row.stored_name == hashlib.sha256(PDF).hexdigest()  # content addressed
    # outside the static folder
    assert "static" not in stored.resolve().parts
    audit = db.exec(select(AuditRecord).where(AuditRecord.entity == "evidence")).all()
    assert [a.action for a in audit] == ["upload"]


async def test_a_png_named_pdf_is_identified_as_png(client, world, db):
    csrf = await login(client, "member_a1")
    response = await _upload(client, csrf, world.unit("UNIT-A1"), "laporan.pdf", PNG)
    assert response.status_code == 201
    assert response.json()["media_type"] == "image/png"
    download = await client.get(response.json()["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert 'filename="laporan.png"' in download.headers["content-disposition"]


async def test_refused_files_store_nothing(client, world, db, settings):
    csrf = await login(client, "member_a1")
    unit = world.unit("UNIT-A1")
    before = _files(settings)
    cases = [
        ("setup.pdf", EXE, 422, "Jenis berkas tidak diterima"),
        ("kosong.pdf", b"", 422, "kosong"),
        ("page.pdf", b"<html><script>alert(1)</script>", 422, "Jenis berkas"),
    ]
    for name, data, status, fragment in cases:
        response = await _upload(client, csrf, unit, name, data)
        assert response.status_code == status, (name, response.text)
        assert fragment in text(response)
    assert db.exec(select(Evidence)).all() == []
    assert _files(settings) == before
    # no temporary files left behind either
    folder = settings.resolved_upload_dir() / "evidence"
    assert not list(folder.rglob(".tmp-*"))


async def test_too_large_is_413_and_nothing_stored(client, world, db, settings, app):
    csrf = await login(client, "member_a1")
    limit = settings.max_upload_mb * 1024 * 1024
    big = PDF + b"0" * (limit - len(PDF) + 1)  # one byte over the limit
    response = await _upload(client, csrf, world.unit("UNIT-A1"), "besar.pdf", big)
    assert response.status_code == 413
    assert "terlalu besar" in problem(response)["detail"]
    assert db.exec(select(Evidence)).all() == []
    assert not list((settings.resolved_upload_dir() / "evidence").rglob(".tmp-*"))


async def test_path_tricks_in_the_name_are_neutralised(client, world, db, settings):
    csrf = await login(client, "member_a1")
    response = await _upload(client, csrf, world.unit("UNIT-A1"), "../../etc/passwd", PDF)
    assert response.status_code == 201
    assert response.json()["original_name"] == "passwd"
    # a raw multipart body, so the NUL byte and backslashes reach the server unescaped
    boundary = "zonaboundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"..\\..\\win\\bukti\x00.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    response = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/evidence", content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                 "X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    assert response.json()["original_name"] == "bukti.pdf"
    for path in _files(settings):
        assert path.resolve().is_relative_to(settings.resolved_upload_dir().resolve())


async def test_office_documents_are_accepted(client, world):
    csrf = await login(client, "member_a1")
    response = await _upload(client, csrf, world.unit("UNIT-A1"), "notulen.docx", docx())
    assert response.status_code == 201
    assert response.json()["media_type"].endswith("wordprocessingml.document")


async def test_download_only_for_the_unit(client, make_client, world, db):
    csrf = await login(client, "member_a1")
    evidence_id = (await _upload(client, csrf, world.unit("UNIT-A1"), "a.pdf", PDF)).json()["id"]
    ok = await client.get(f"/api/v1/evidence/{evidence_id}/download")
    assert ok.status_code == 200 and ok.content == PDF
    assert ok.headers["content-disposition"].startswith("attachment;")
    assert ok.headers["x-content-type-options"] == "nosniff"
    # the page route too
    page = await client.get(f"/evidence/{evidence_id}/download")
    assert page.status_code == 200 and page.content == PDF
    assert page.headers["content-disposition"].startswith("attachment;")

    other = make_client()
    await login(other, "member_b1")
    for url in (f"/api/v1/evidence/{evidence_id}/download", f"/evidence/{evidence_id}/download",
                f"/api/v1/evidence/{evidence_id}"):
        assert (await other.get(url)).status_code == 403, url
    # the regional office of UNIT-A1 may read it, the other one may not
    kanwil_a = make_client()
    await login(kanwil_a, "reviewer_a")
    assert (await kanwil_a.get(f"/evidence/{evidence_id}/download")).status_code == 200
    kanwil_b = make_client()
    await login(kanwil_b, "reviewer_b")
    assert (await kanwil_b.get(f"/evidence/{evidence_id}/download")).status_code == 403

    anonymous = make_client()
    assert (await anonymous.get(f"/api/v1/evidence/{evidence_id}/download")).status_code == 401
    response = await anonymous.get(f"/evidence/{evidence_id}/download")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")

    # a token of another unit
    token = issue_token(db, world, "UNIT-B1", ["read"])
    response = await anonymous.get(
        f"/api/v1/evidence/{evidence_id}/download", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    token = issue_token(db, world, "UNIT-A1", ["read"])
    response = await anonymous.get(
        f"/api/v1/evidence/{evidence_id}/download", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


async def test_upload_needs_write_scope_and_the_unit(client, make_client, world, db):
    token = issue_token(db, world, "UNIT-A1", ["read"])
    response = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/evidence",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    token = issue_token(db, world, "UNIT-A1", ["write:indicators"])
    response = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A2')}/evidence",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    response = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/evidence",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert db.exec(select(Evidence)).one().unit_id == world.unit("UNIT-A1")


async def test_links_http_only(client, world, db):
    csrf = await login(client, "member_a1")
    url = f"/api/v1/units/{world.unit('UNIT-A1')}/evidence/links"
    headers = {"X-CSRF-Token": csrf}
    for bad in ("javascript:alert(1)", "ftp://x.go.id/a", "https://", "http://u:p@x.go.id/",
                "data:text/html,hi", "https://x.go.id/a b"):
        response = await client.post(url, json={"url": bad}, headers=headers)
        assert response.status_code == 422, bad
    assert db.exec(select(Evidence)).all() == []
    response = await client.post(
        url, json={"url": "https://kppn.go.id/zi/sk.pdf", "title": "SK"}, headers=headers
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "link" and response.json()["download_url"] is None


async def test_attach_detach_and_checklist(client, world, db):
    assessment = new_assessment(db, world)
    csrf = await login(client, "member_a1")
    headers = {"X-CSRF-Token": csrf}
    sk = (await _upload(client, csrf, world.unit("UNIT-A1"), "sk.pdf", PDF)).json()["id"]
    url = f"/api/v1/assessments/{assessment.id}/evidence-links"
    # one evidence supports two questions; the first names expected item 0 of PPA1A
    first = await client.post(url, json={"evidence_id": sk, "question_ref": "PPA1A",
                                         "expected_index": 0}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["expected_text"] == "SK Tim Kerja Pembangunan ZI menuju WBK/WBBM"
    second = await client.post(url, json={"evidence_id": sk, "question_ref": "PPA1B"},
                               headers=headers)
    assert second.status_code == 201
    again = await client.post(url, json={"evidence_id": sk, "question_ref": "PPA1A",
                                         "expected_index": 0}, headers=headers)
    assert again.json()["id"] == first.json()["id"]  # idempotent
    for bad in ({"evidence_id": sk, "question_ref": "XXX9Z"},
                {"evidence_id": sk, "question_ref": "PPA1A", "expected_index": 3}):
        assert (await client.post(url, json=bad, headers=headers)).status_code == 422
    assert (await client.post(url, json={"evidence_id": 99999, "question_ref": "PPA1A"},
                              headers=headers)).status_code == 404

    listing = (await client.get(f"/api/v1/assessments/{assessment.id}/evidence")).json()
    ppa1a = listing["questions"]["PPA1A"]
    assert [i["covered"] for i in ppa1a["expected"]] == [True, False, False]
    assert ppa1a["covered"] == 1 and listing["covered"] == 1
    assert listing["expected"] == 248  # every expected item of the framework
    progress = overview.progress(db, assessment=assessment)
    assert (progress.evidence.covered, progress.evidence.expected) == (1, 248)

    detached = await client.delete(f"/api/v1/evidence-links/{first.json()['id']}",
                                   headers=headers)
    assert detached.status_code == 200 and detached.json()["unlinked_at"]
    listing = (await client.get(f"/api/v1/assessments/{assessment.id}/evidence")).json()
    assert listing["covered"] == 0
    assert len(listing["questions"]["PPA1B"]["links"]) == 1
    # the unlinked row is kept as history
    assert len(db.exec(select(EvidenceLink)).all()) == 2


async def test_evidence_of_another_unit_cannot_be_attached(client, world, db):
    assessment = new_assessment(db, world)
    coord_b = await login(client, "coord_b1")
    other = (await _upload(client, coord_b, world.unit("UNIT-B1"), "b.pdf", PDF)).json()["id"]
    # coord_b1 cannot write to UNIT-A1's assessment at all
    response = await client.post(
        f"/api/v1/assessments/{assessment.id}/evidence-links",
        json={"evidence_id": other, "question_ref": "PPA1A"}, headers={"X-CSRF-Token": coord_b},
    )
    assert response.status_code == 403
    assert db.exec(select(EvidenceLink)).all() == []


async def test_carry_over_to_next_year(client, world, db):
    last_year = new_assessment(db, world, year=2024)
    csrf = await login(client, "coord_a1")
    headers = {"X-CSRF-Token": csrf}
    sk = (await _upload(client, csrf, world.unit("UNIT-A1"), "sk.pdf", PDF)).json()["id"]
    for ref, index in (("PPA1A", 0), ("PPA1B", None)):
        await client.post(f"/api/v1/assessments/{last_year.id}/evidence-links",
                          json={"evidence_id": sk, "question_ref": ref, "expected_index": index},
                          headers=headers)
    this_year = new_assessment(db, world, year=2025)
    response = await client.post(
        f"/api/v1/assessments/{this_year.id}/evidence/carry-over", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"from_assessment_id": last_year.id, "from_year": 2024,
                               "linked": 2, "skipped_existing": 0,
                               "skipped_unknown_questions": []}
    listing = (await client.get(f"/api/v1/assessments/{this_year.id}/evidence")).json()
    assert listing["questions"]["PPA1A"]["expected"][0]["covered"] is True
    assert listing["questions"]["PPA1B"]["links"][0]["evidence_id"] == sk
    # twice: nothing new
    response = await client.post(
        f"/api/v1/assessments/{this_year.id}/evidence/carry-over", headers=headers
    )
    assert response.json()["linked"] == 0 and response.json()["skipped_existing"] == 2


async def test_delete_unlinks_from_editable_assessments(client, world, db):
    assessment = new_assessment(db, world)
    csrf = await login(client, "member_a1")
    headers = {"X-CSRF-Token": csrf}
    sk = (await _upload(client, csrf, world.unit("UNIT-A1"), "sk.pdf", PDF)).json()["id"]
    await client.post(f"/api/v1/assessments/{assessment.id}/evidence-links",
                      json={"evidence_id": sk, "question_ref": "PPA1A"}, headers=headers)
    response = await client.delete(f"/api/v1/evidence/{sk}", headers=headers)
    assert response.status_code == 200
    assert (await client.get(f"/api/v1/evidence/{sk}")).status_code == 404
    assert (await client.get(f"/api/v1/units/{world.unit('UNIT-A1')}/evidence")).json() == []
    link = db.exec(select(EvidenceLink)).one()
    db.refresh(link)
    assert link.unlinked_at is not None
