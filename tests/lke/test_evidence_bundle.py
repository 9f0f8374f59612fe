"""The evidence bundle (ZIP) of an assessment: folders with the official numbering and the
refs, each file once per question with the bytes that were uploaded, links listed, the index
(XLSX and HTML) and the manifest; only what the reader may see."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.models.lke.evidence import Evidence
from app.services.lke import answers as lke_answers
from app.services.lke import evidence, evidence_links
from app.services.storage import FileStore
from tests.factories import issue_token, login
from tests.support.lke_review import PDF, PNG

ROOT = "Eviden-LKE-UNIT-A1-2024"
# Folder names worked by hand from the framework: "<official number> <name> [<ref>]", names
# cut at a word to keep paths short; a question folder "<number> [<ref>] <first words>".
PPA1 = (f"{ROOT}/A.I Pemenuhan [PP]/A.I.1 Manajemen perubahan [PPA]/"
        "A.I.1.i Penyusunan Tim Kerja [PPA1]")
PPA1A = f"{PPA1}/A.I.1.i.a [PPA1A] Unit kerja telah"
PPA1B = f"{PPA1}/A.I.1.i.b [PPA1B] Penentuan anggota Tim"
PPA2A = (f"{ROOT}/A.I Pemenuhan [PP]/A.I.1 Manajemen perubahan [PPA]/"
         "A.I.1.ii Rencana Pembangunan Zona [PPA2]/A.I.1.ii.a [PPA2A] Terdapat dokumen rencana")
SK_OTHER = PDF.replace(b"Catalog", b"Catalog /Lang (id)")


def _upload(db, store: FileStore, unit_id, name, data, title):
    return evidence.upload_file(
        db, actor=None, unit_id=unit_id, filename=name, stream=io.BytesIO(data),
        store=store, max_bytes=10**6, title=title)


@pytest.fixture
def bundled(db, world, current_store, assessment_a1):
    """UNIT-A1 2024: PPA1A answered Ya with two PDFs of the same name and a photo (the first
    PDF linked to two of its expected items), the first PDF supporting PPA2A too, PPA1B
    answered B with a link and with an evidence deleted since."""
    unit = world.unit("UNIT-A1")
    sk = _upload(db, current_store, unit, "SK Tim ZI.pdf", PDF, "SK Tim")
    sk2 = _upload(db, current_store, unit, "sk tim zi.pdf", SK_OTHER, "SK Tim perubahan")
    photo = _upload(db, current_store, unit, "rapat.png", PNG, "Foto rapat")
    gone = _upload(db, current_store, unit, "lama.pdf", PDF + b"%old", "Dokumen lama")
    link = evidence.add_link(db, actor=None, unit_id=unit, url="https://example.go.id/sk?id=7",
                             title="SK di JDIH")
    a = assessment_a1.id
    for ev, ref, item in [(sk, "PPA1A", 0), (sk, "PPA1A", 2), (sk2, "PPA1A", None),
                          (photo, "PPA1A", 1), (sk, "PPA2A", None), (link, "PPA1B", None),
                          (gone, "PPA1B", None)]:
        evidence_links.link(db, actor=None, assessment_id=a, evidence_id=ev.id,
                            question_ref=ref, expected_index=item)
    evidence.delete(db, actor=None, evidence_id=gone.id)
    lke_answers.answer_many(db, actor=None, assessment_id=a, changes=[
        lke_answers.AnswerChange("PPA1A", option="Ya"),
        lke_answers.AnswerChange("PPA1B", option="B"),
    ])
    return assessment_a1


async def _zip(client, assessment_id, **kwargs) -> zipfile.ZipFile:
    response = await client.get(f"/api/v1/assessments/{assessment_id}/evidence-bundle.zip",
                                **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="{ROOT}.zip"' in response.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


async def test_bundle_folders_files_and_hashes(client, world, app_store, bundled):
    # app_store: once on the local folder, once on S3 (the evidence read through the store)
    await login(client, "viewer_a1")  # reading the unit is enough
    archive = await _zip(client, bundled.id)
    assert archive.testzip() is None  # every CRC right
    names = archive.namelist()
    files = {n: archive.read(n) for n in names}
    assert sorted(names) == sorted([
        f"{PPA1A}/SK Tim ZI.pdf",  # linked to two expected items: once
        f"{PPA1A}/sk tim zi (2).pdf",  # same name in the same folder: numbered
        f"{PPA1A}/rapat.png",
        f"{PPA2A}/SK Tim ZI.pdf",  # the same evidence supports PPA2A: in its folder too
        f"{PPA1B}/TAUTAN.txt",
        f"{ROOT}/index.xlsx", f"{ROOT}/index.html", f"{ROOT}/manifest.json",
    ])
    assert files[f"{PPA1A}/SK Tim ZI.pdf"] == PDF
    assert files[f"{PPA2A}/SK Tim ZI.pdf"] == PDF
    assert files[f"{PPA1A}/sk tim zi (2).pdf"] == SK_OTHER
    assert files[f"{PPA1A}/rapat.png"] == PNG
    links = files[f"{PPA1B}/TAUTAN.txt"].decode()
    assert "SK di JDIH\nhttps://example.go.id/sk?id=7" in links
    assert "A.I.1.i.b [PPA1B]" in links
    assert b"%old" not in b"".join(files.values())  # the deleted evidence is nowhere
    assert "lama" not in " ".join(names)

    manifest = json.loads(files[f"{ROOT}/manifest.json"])
    assert manifest["format"] == "zona-evidence-bundle"
    assert manifest["problems"] == []
    assert (manifest["questions"], manifest["questions_with_evidence"], manifest["files"],
            manifest["links"]) == (113, 3, 4, 1)
    by_path = {e["path"]: e for e in manifest["entries"]}
    assert set(by_path) == set(names) - {f"{ROOT}/manifest.json"}
    for path, entry in by_path.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest(), path
        assert entry["size"] == len(files[path])
    assert by_path[f"{PPA1A}/rapat.png"]["stored_sha256"] == hashlib.sha256(PNG).hexdigest()


async def test_index_lists_every_question_and_evidence(client, world, bundled):
    await login(client, "viewer_a1")
    archive = await _zip(client, bundled.id)
    ws = load_workbook(io.BytesIO(archive.read(f"{ROOT}/index.xlsx")))["Indeks"]
    header = [c.value for c in ws[4]]
    assert header == ["No.", "Ref", "Pertanyaan", "Jawaban", "Jenis", "Judul eviden", "Berkas",
                      "SHA-256", "Ukuran (byte)", "Diunggah oleh", "Diunggah pada", "Tautan"]
    rows = [dict(zip(header, (c.value for c in row), strict=True))
            for row in ws.iter_rows(min_row=5)]
    # 113 questions: 110 without evidence (one row each) + 3 PPA1A files + PPA1B's link +
    # PPA2A's file
    assert len(rows) == 115
    ppa1a = [r for r in rows if r["Ref"] == "PPA1A"]
    assert [(r["No."], r["Jawaban"], r["Jenis"], r["Judul eviden"]) for r in ppa1a] == [
        ("A.I.1.i.a", "Ya", "berkas", "SK Tim"),
        ("A.I.1.i.a", "Ya", "berkas", "SK Tim perubahan"),
        ("A.I.1.i.a", "Ya", "berkas", "Foto rapat"),
    ]
    first = ppa1a[0]
    assert first["Berkas"] == PPA1A.removeprefix(ROOT + "/") + "/SK Tim ZI.pdf"
    assert first["SHA-256"] == hashlib.sha256(PDF).hexdigest()
    assert first["Ukuran (byte)"] == len(PDF)
    assert first["Diunggah oleh"] == "system"
    assert first["Diunggah pada"].endswith("+07:00")  # the unit's time zone, with its offset
    assert ws.cell(row=5 + rows.index(first), column=7).hyperlink.target.startswith("A.I%20")
    link = next(r for r in rows if r["Ref"] == "PPA1B")
    assert (link["Jawaban"], link["Jenis"], link["Tautan"], link["Berkas"]) == (
        "B", "tautan", "https://example.go.id/sk?id=7", None)
    empty = next(r for r in rows if r["Ref"] == "PPA2B")
    assert (empty["No."], empty["Jenis"], empty["Berkas"]) == ("A.I.1.ii.b", None, None)

    page = archive.read(f"{ROOT}/index.html").decode()
    assert '<html lang="id">' in page
    assert 'href="A.I%20Pemenuhan%20%5BPP%5D/' in page  # relative to the extracted root
    assert 'href="https://example.go.id/sk?id=7" rel="noopener noreferrer"' in page
    assert "3 dari 113 pertanyaan memiliki eviden" in page
    assert "<script" not in page


async def test_only_readers_of_the_unit_get_the_bundle(client, make_client, world, db,
                                                       bundled):
    url = f"/api/v1/assessments/{bundled.id}/evidence-bundle.zip"
    page = f"/units/{world.unit('UNIT-A1')}/assessments/{bundled.id}/bundle.zip"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(page, follow_redirects=False)).status_code in (303, 307)
    await login(client, "member_b1")  # another unit's member
    assert (await client.get(url)).status_code == 403
    assert (await client.get(page)).status_code == 403
    other = issue_token(db, world, "UNIT-B1", ["read"])
    refused = await make_client().get(url, headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
    own = issue_token(db, world, "UNIT-A1", ["read"])
    archive = await _zip(make_client(), bundled.id,
                         headers={"Authorization": f"Bearer {own}"})
    assert f"{PPA1A}/rapat.png" in archive.namelist()
    reviewer = make_client()
    await login(reviewer, "reviewer_a")  # the regional office reviews the unit: it may read
    summary = await reviewer.get(f"/api/v1/assessments/{bundled.id}/evidence-bundle")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["files"], body["links"], body["questions_with_evidence"]) == (4, 1, 3)
    assert body["total_bytes"] == 2 * len(PDF) + len(SK_OTHER) + len(PNG)
    assert body["inline"] is True


async def test_bundle_page_offers_the_download(client, world, bundled):
    await login(client, "viewer_a1")
    base = f"/units/{world.unit('UNIT-A1')}/assessments/{bundled.id}/bundle"
    page = await client.get(base)
    assert page.status_code == 200
    assert f'href="{base}.zip"' in page.text
    assert "3 dari 113 pertanyaan memiliki eviden" in page.text
    evidence_bytes = 2 * len(PDF) + len(SK_OTHER) + len(PNG)  # below 1 KiB: shown in bytes
    assert f"Ukuran eviden: {evidence_bytes} byte" in page.text
    download = await client.get(base + ".zip")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert f"{PPA2A}/SK Tim ZI.pdf" in names
    worksheet = await client.get(f"/assessments/{bundled.id}")
    assert f'href="{base}"' in worksheet.text


async def test_a_file_missing_from_storage_is_reported_not_fatal(client, world, db,
                                                                 app_store, bundled):
    photo = db.exec(select(Evidence).where(
        Evidence.original_name == "rapat.png")).one()
    app_store.delete(evidence.stored_key(photo.stored_name))
    await login(client, "viewer_a1")
    archive = await _zip(client, bundled.id)
    names = archive.namelist()
    assert f"{PPA1A}/rapat.png" not in names
    assert b"tidak ditemukan" in archive.read(f"{PPA1A}/rapat.png.HILANG.txt")
    manifest = json.loads(archive.read(f"{ROOT}/manifest.json"))
    assert [p.split(": ")[0] for p in manifest["problems"]] == [f"{PPA1A}/rapat.png"]
