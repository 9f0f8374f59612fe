"""XLSX export and import of an assessment through the API and the pages."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.services.lke import answers as lke_answers
from app.services.lke import scores
from app.services.lke.xlsx_layout import COLUMNS
from tests.factories import issue_token, login
from tests.support.problems import error_messages, problem
from tests.support.s3 import new_prefix

COL = {key: i for i, (key, _h, _w) in enumerate(COLUMNS, start=1)}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INJECTION = '=HYPERLINK("http://evil.example","klik")'


@pytest.fixture
def filled(db, assessment_a1):
    """UNIT-A1 2024 answered by hand: PPA1 Ya/B, PPA2 Ya/C/C, PRA1A 10 agents 5 changes."""
    lke_answers.answer_many(
        db, actor=None, assessment_id=assessment_a1.id,
        changes=[
            lke_answers.AnswerChange("PPA1A", option="Ya", penjelasan=INJECTION),
            lke_answers.AnswerChange("PPA1B", option="B", penjelasan="Dipilih lewat rapat"),
            lke_answers.AnswerChange("PPA2A", option="Ya"),
            lke_answers.AnswerChange("PPA2B", option="C"),
            lke_answers.AnswerChange("PPA2C", option="C"),
            lke_answers.AnswerChange(
                "PRA1A", inputs={"change_agents": 10, "changes_made": 5}
            ),
        ],
    )
    return assessment_a1


def rows_by_ref(ws) -> dict[str, int]:
    return {
        ws.cell(row=r, column=1).value: r
        for r in range(6, ws.max_row + 1)
        if ws.cell(row=r, column=1).value
    }


def edit(data: bytes, changes: dict[tuple[str, str], object]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb["LKE"]
    where = rows_by_ref(ws)
    for (ref, key), value in changes.items():
        ws.cell(row=where[ref], column=COL[key]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def stored(db, assessment_id: int) -> dict[str, tuple]:
    db.expire_all()
    rows = db.exec(select(LkeAnswer).where(LkeAnswer.assessment_id == assessment_id)).all()
    return {r.question_ref: (r.option, r.inputs, r.index_value, r.penjelasan, r.revision)
            for r in rows}


def revision_count(db) -> int:
    return len(db.exec(select(LkeAnswerRevision)).all())


async def export(client, assessment_id: int, headers=None) -> bytes:
    response = await client.get(f"/api/v1/assessments/{assessment_id}/export.xlsx",
                                headers=headers or {})
    assert response.status_code == 200, response.text
    return response.content


async def upload(client, assessment_id: int, data: bytes, *, csrf=None, headers=None,
                 **params):
    headers = dict(headers or {})
    if csrf:
        headers["X-CSRF-Token"] = csrf
    return await client.post(
        f"/api/v1/assessments/{assessment_id}/import.xlsx",
        params={k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()},
        files={"file": ("lke.xlsx", data, XLSX)}, headers=headers,
    )


# --- export --------------------------------------------------------------------------------


async def test_export_of_a_hand_filled_assessment(client, world, filled):
    await login(client, "viewer_a1")  # reading is enough to export
    response = await client.get(f"/api/v1/assessments/{filled.id}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        'attachment; filename="LKE-UNIT-A1-2024.xlsx"'
    )
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["LKE"]
    where = rows_by_ref(ws)
    # PPA1 weighs 0.5, two questions: Ya (1) and B (0.5) = 0.25 + 0.125 = 0.375 (75 %)
    assert ws.cell(row=where["PPA1"], column=COL["score"]).value == 0.375
    assert ws.cell(row=where["PPA1"], column=COL["percent"]).value == 75
    # PPA2 = 1.00 x (1 + 0 + 0) / 3
    assert ws.cell(row=where["PPA2"], column=COL["score"]).value == pytest.approx(1 / 3)
    # PRA1 weighs 2 with two questions (1 each): PRA1A = 5 changes / 10 agents = 0.5
    assert ws.cell(row=where["PRA1A"], column=COL["score"]).value == 0.5
    assert ws.cell(row=where["PRA1A.change_agents"], column=COL["answer"]).value == 10
    assert ws.cell(row=where["PRA1A.changes_made"], column=COL["answer"]).value == 5
    assert ws.cell(row=where["PPA1A"], column=COL["explanation"]).value == "'" + INJECTION
    assert ws.cell(row=where["PPA1A"], column=COL["explanation"]).data_type == "s"
    summary = wb["Ringkasan"]
    refs = {summary.cell(row=r, column=1).value: r for r in range(1, summary.max_row + 1)}
    # total = 0.375 + 1/3 + 0.5 = 1.2083...
    total = summary.cell(row=refs["TOTAL"], column=4).value
    assert total == pytest.approx(float(Fraction(3, 8) + Fraction(1, 3) + Fraction(1, 2)))


# --- import: round trip, changes, apply ----------------------------------------------------


async def test_round_trip_unchanged_file_shows_no_change(client, db, world, filled):
    csrf = await login(client, "member_a1")
    data = await export(client, filled.id)
    response = await upload(client, filled.id, data, csrf=csrf)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["ok"] is True
    assert body["changes"] == [] and body["problems"] == []
    assert body["questions_in_file"] == 113 and body["unchanged"] == 113
    # applying the unchanged file stores nothing either
    before = stored(db, filled.id)
    response = await upload(client, filled.id, data, csrf=csrf, dry_run=False,
                            plan_hash=body["plan_hash"])
    assert response.status_code == 200 and response.json()["applied"] == 0
    assert stored(db, filled.id) == before


async def test_modified_file_dry_run_lists_changes_then_apply_stores_them(
    client, db, world, filled
):
    csrf = await login(client, "member_a1")
    data = edit(await export(client, filled.id), {
        ("PPA1B", "answer"): "A",
        ("PPA2C", "answer"): "B",
        ("PPA2C", "explanation"): "Notulen rapat 3 Maret",
        ("PRA1A.changes_made", "answer"): 8,
        ("PPA4A", "answer"): "Tidak",
    })
    before, revisions_before = stored(db, filled.id), revision_count(db)
    response = await upload(client, filled.id, data, csrf=csrf)
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    changes = {c["ref"]: c for c in body["changes"]}
    assert sorted(changes) == ["PPA1B", "PPA2C", "PPA4A", "PRA1A"]
    assert (changes["PPA1B"]["old_answer"], changes["PPA1B"]["new_answer"]) == ("B", "A")
    assert changes["PPA1B"]["penjelasan_changed"] is False
    assert changes["PPA2C"]["penjelasan_changed"] is True
    assert (changes["PPA2C"]["old_penjelasan"], changes["PPA2C"]["new_penjelasan"]) == (
        "", "Notulen rapat 3 Maret")
    assert changes["PRA1A"]["new_answer"] == (
        "Jumlah Agen Perubahan: 10; Jumlah Perubahan yang dibuat: 8")
    assert (changes["PPA4A"]["old_answer"], changes["PPA4A"]["new_answer"]) == ("", "Tidak")
    # a dry run stores nothing
    assert stored(db, filled.id) == before and revision_count(db) == revisions_before

    response = await upload(client, filled.id, data, csrf=csrf, dry_run=False,
                            plan_hash=body["plan_hash"])
    assert response.status_code == 200, response.text
    assert response.json()["applied"] == 4
    after = stored(db, filled.id)
    assert after["PPA1B"][0] == "A" and after["PPA1B"][3] == "Dipilih lewat rapat"
    assert after["PPA2C"][0] == "B" and after["PPA2C"][3] == "Notulen rapat 3 Maret"
    assert after["PRA1A"][1] == {"change_agents": "10", "changes_made": "8"}
    assert after["PPA4A"][0] == "Tidak"
    assert after["PPA1A"] == before["PPA1A"]  # untouched rows keep their revision
    assert revision_count(db) == revisions_before + 4
    rows = db.exec(select(LkeAnswer).where(LkeAnswer.question_ref == "PPA1B")).all()
    assert rows[0].source == "xlsx"
    record = db.exec(select(AuditRecord).where(AuditRecord.action == "import_xlsx")).one()
    assert record.after["changed"] == ["PPA1B", "PPA2C", "PPA4A", "PRA1A"]
    assert record.unit_id == world.unit("UNIT-A1")
    # score after import: PPA1 = 0.5 x (1 + 1) / 2 = 0.5; PPA2 = (1 + 0 + 0.5) / 3 = 0.5
    report = scores.score_report(db, assessment=filled)
    assert report.score_of("PPA1") == Fraction(1, 2)
    assert report.score_of("PPA2") == Fraction(1, 2)
    assert report.score_of("PRA1A") == Fraction(4, 5)


async def test_formula_injection_round_trips_as_plain_text(client, db, world, filled):
    csrf = await login(client, "member_a1")
    data = edit(await export(client, filled.id), {
        ("PPA2A", "explanation"): "=1+1",  # a formula typed in Excel
        ("PPA2B", "explanation"): "+62 811 000",
    })
    body = (await upload(client, filled.id, data, csrf=csrf)).json()
    assert [(c["ref"], c["new_penjelasan"]) for c in body["changes"]] == [
        ("PPA2A", "=1+1"), ("PPA2B", "+62 811 000"),
    ]
    await upload(client, filled.id, data, csrf=csrf, dry_run=False, plan_hash=body["plan_hash"])
    assert stored(db, filled.id)["PPA2A"][3] == "=1+1"
    # exported again: text, quote-prefixed; re-imported: no change
    again = await export(client, filled.id)
    ws = load_workbook(io.BytesIO(again))["LKE"]
    cell = ws.cell(row=rows_by_ref(ws)["PPA2A"], column=COL["explanation"])
    assert (cell.value, cell.data_type) == ("'=1+1", "s")
    assert (await upload(client, filled.id, again, csrf=csrf)).json()["changes"] == []


async def test_bad_rows_are_listed_and_nothing_is_applied(client, db, world, filled):
    csrf = await login(client, "member_a1")
    base = await export(client, filled.id)
    ws = load_workbook(io.BytesIO(base))["LKE"]
    where = rows_by_ref(ws)
    data = edit(base, {
        ("PPA1B", "answer"): "A",  # a good change ...
        ("PPA2B", "answer"): "F",  # ... and bad rows
        ("PRA1A.change_agents", "answer"): -3,
        ("PRE2A.complaints_finished", "answer"): "lima",
    })
    before, revisions_before = stored(db, filled.id), revision_count(db)
    body = (await upload(client, filled.id, data, csrf=csrf)).json()
    assert body["ok"] is False
    problems = [(p["row"], p["ref"]) for p in body["problems"]]
    assert (where["PPA2B"], "PPA2B") in problems
    assert (where["PRA1A.change_agents"], "PRA1A") in problems
    assert (where["PRE2A.complaints_finished"], "PRE2A.complaints_finished") in problems
    messages = " ".join(p["message"] for p in body["problems"])
    assert "Pilihan 'F' tidak tersedia untuk PPA2B (pilihan: A, B, C)" in messages
    assert "tidak boleh negatif" in messages
    assert "harus berupa angka, bukan 'lima'" in messages

    response = await upload(client, filled.id, data, csrf=csrf, dry_run=False)
    assert response.status_code == 422
    detail = problem(response)
    assert detail["detail"].startswith("Impor dibatalkan")
    assert f"Baris {where['PPA2B']}: Pilihan 'F' tidak tersedia untuk PPA2B" in " ".join(
        error_messages(response))
    assert stored(db, filled.id) == before and revision_count(db) == revisions_before
    assert db.exec(select(AuditRecord).where(AuditRecord.action == "import_xlsx")).all() == []


async def test_apply_refuses_a_plan_that_changed_since_the_dry_run(client, db, world, filled):
    csrf = await login(client, "member_a1")
    data = edit(await export(client, filled.id), {("PPA1B", "answer"): "A"})
    body = (await upload(client, filled.id, data, csrf=csrf)).json()
    # someone else answers PPA1B meanwhile
    lke_answers.answer(db, actor=None, assessment_id=filled.id, ref="PPA1B", option="C")
    before = stored(db, filled.id)
    response = await upload(client, filled.id, data, csrf=csrf, dry_run=False,
                            plan_hash=body["plan_hash"])
    assert response.status_code == 409
    assert "sudah berubah sejak uji coba" in problem(response)["detail"]
    assert stored(db, filled.id) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not a spreadsheet", "Berkas bukan XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "format Excel lama (.xls)"),
        (b"", "Berkas kosong."),
    ],
)
async def test_non_xlsx_content_is_refused(client, db, world, filled, content, message):
    csrf = await login(client, "member_a1")
    response = await upload(client, filled.id, content, csrf=csrf)
    assert response.status_code == 422
    assert message in problem(response)["detail"]


async def test_too_large_file_is_refused(app, client, db, world, filled):
    csrf = await login(client, "member_a1")
    data = await export(client, filled.id)
    limit = app.state.settings.max_xlsx_import_mb
    app.state.settings.max_xlsx_import_mb = 0  # 0 MB: every file is too large
    try:
        response = await upload(client, filled.id, data, csrf=csrf)
    finally:
        app.state.settings.max_xlsx_import_mb = limit
    assert response.status_code == 422
    assert "Berkas terlalu besar" in problem(response)["detail"]


async def test_locked_assessment_refuses_import_but_exports(client, db, world, filled):
    csrf = await login(client, "coord_a1")
    data = edit(await export(client, filled.id), {("PPA1B", "answer"): "A"})
    row = db.get(Assessment, filled.id)
    row.status = "final"
    db.add(row)
    db.commit()
    response = await upload(client, filled.id, data, csrf=csrf)
    assert response.status_code == 409
    assert "sudah final dan terkunci" in problem(response)["detail"]
    response = await upload(client, filled.id, data, csrf=csrf, dry_run=False)
    assert response.status_code == 409
    assert stored(db, filled.id)["PPA1B"][0] == "B"
    await export(client, filled.id)  # reading stays possible


# --- permissions ---------------------------------------------------------------------------


async def test_other_unit_cannot_export_or_import(client, db, world, filled):
    csrf = await login(client, "coord_b1")
    response = await client.get(f"/api/v1/assessments/{filled.id}/export.xlsx")
    assert response.status_code == 403
    data = b"PK\x03\x04"
    response = await upload(client, filled.id, data, csrf=csrf)
    assert response.status_code == 403
    response = await client.get(f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}/xlsx")
    assert response.status_code == 403
    # Through its own unit, the other unit's assessment is not there: like a missing one.
    response = await client.get(f"/units/{world.unit('UNIT-B1')}/assessments/{filled.id}/xlsx")
    assert response.status_code == 404


async def test_assessment_under_another_units_path_is_not_found(client, db, world, filled):
    await login(client, "reviewer_a")  # reads UNIT-A1 and UNIT-A2
    a2 = world.unit("UNIT-A2")
    for suffix in ("xlsx", "export.xlsx"):
        response = await client.get(f"/units/{a2}/assessments/{filled.id}/{suffix}")
        assert response.status_code == 404
    response = await client.get(f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}/xlsx")
    assert response.status_code == 200 and 'name="file"' not in response.text


async def test_viewer_can_export_but_not_import(client, db, world, filled):
    csrf = await login(client, "viewer_a1")
    data = await export(client, filled.id)
    response = await upload(client, filled.id, data, csrf=csrf)
    assert response.status_code == 403
    response = await upload(client, filled.id, data, csrf=csrf, dry_run=False)
    assert response.status_code == 403
    page = await client.get(f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}/xlsx")
    assert page.status_code == 200
    assert 'id="xlsx-export"' in page.text and 'name="file"' not in page.text
    response = await client.post(
        f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}/xlsx/dry-run",
        data={"csrf_token": csrf}, files={"file": ("lke.xlsx", data, XLSX)},
    )
    assert response.status_code == 403


async def test_api_token_scopes(client, db, world, filled):
    read = issue_token(db, world, "UNIT-A1", ["read"])
    write = issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])
    other = issue_token(db, world, "UNIT-B1", ["read", "write:indicators"])
    data = await export(client, filled.id, headers={"Authorization": f"Bearer {read}"})
    data = edit(data, {("PPA1B", "answer"): "C"})
    response = await upload(client, filled.id, data,
                            headers={"Authorization": f"Bearer {read}"})
    assert response.status_code == 403
    response = await upload(client, filled.id, data,
                            headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 403
    response = await client.get(f"/api/v1/assessments/{filled.id}/export.xlsx",
                                headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 403
    body = (await upload(client, filled.id, data,
                         headers={"Authorization": f"Bearer {write}"})).json()
    response = await upload(client, filled.id, data, dry_run=False, plan_hash=body["plan_hash"],
                            headers={"Authorization": f"Bearer {write}"})
    assert response.status_code == 200 and response.json()["applied"] == 1
    assert stored(db, filled.id)["PPA1B"][0] == "C"


# --- pages ---------------------------------------------------------------------------------


async def test_page_dry_run_then_confirm(client, db, world, filled):
    csrf = await login(client, "member_a1")
    unit_id = world.unit("UNIT-A1")
    base = f"/units/{unit_id}/assessments/{filled.id}"
    worksheet = await client.get(f"/assessments/{filled.id}")
    assert f'href="{base}/xlsx"' in worksheet.text  # reachable from the worksheet
    page = await client.get(f"{base}/xlsx")
    assert page.status_code == 200 and "Uji coba impor" in page.text
    download = await client.get(f"{base}/export.xlsx")
    assert download.status_code == 200 and download.headers["content-type"] == XLSX
    data = edit(download.content, {("PPA1B", "answer"): "C",
                                   ("PPA2B", "explanation"): "<b>tebal</b>"})
    response = await client.post(f"{base}/xlsx/dry-run", data={"csrf_token": csrf},
                                 files={"file": ("isian.xlsx", data, XLSX)})
    assert response.status_code == 200, response.text
    html = response.text
    assert 'id="xlsx-changes"' in html and "PPA1B" in html
    assert "&lt;b&gt;tebal&lt;/b&gt;" in html  # escaped, never markup
    assert stored(db, filled.id)["PPA1B"][0] == "B"
    plan_hash = html.split('name="plan_hash" value="')[1].split('"')[0]
    file_sha = html.split('name="file_sha256" value="')[1].split('"')[0]
    # a forged hash is refused, nothing stored
    response = await client.post(f"{base}/xlsx/apply", data={
        "csrf_token": csrf, "file_sha256": file_sha, "plan_hash": "0" * 64})
    assert response.status_code == 409 and "sudah berubah sejak uji coba" in response.text
    assert stored(db, filled.id)["PPA1B"][0] == "B"
    response = await client.post(f"{base}/xlsx/apply", data={
        "csrf_token": csrf, "file_sha256": file_sha, "plan_hash": plan_hash})
    assert response.status_code == 200, response.text
    assert "2 pertanyaan diperbarui" in response.text
    after = stored(db, filled.id)
    assert after["PPA1B"][0] == "C" and after["PPA2B"][3] == "<b>tebal</b>"
    # the staged file is gone: confirming twice is refused
    response = await client.post(f"{base}/xlsx/apply", data={
        "csrf_token": csrf, "file_sha256": file_sha, "plan_hash": plan_hash})
    assert response.status_code == 404 and "unggah berkas lagi" in response.text


async def test_page_confirmation_reaching_another_replica_finds_the_staged_file(
        client, db, world, filled, app, settings, s3_server, tmp_path):
    """Replicas share the file store (S3), each with its own data folder: the dry run staged
    on one replica is confirmed on the other (tests/platform/test_replicas.py runs the real
    processes; here one app plays both, its settings swapped between the two requests)."""
    store = s3_server.settings(new_prefix())
    first = settings.model_copy(update={**store, "data_dir": tmp_path / "a",
                                        "upload_dir": tmp_path / "a" / "uploads"})
    second = settings.model_copy(update={**store, "data_dir": tmp_path / "b",
                                         "upload_dir": tmp_path / "b" / "uploads"})
    csrf = await login(client, "member_a1")
    base = f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}"
    data = edit((await client.get(f"{base}/export.xlsx")).content, {("PPA1B", "answer"): "C"})
    try:
        app.state.settings = first
        html = (await client.post(f"{base}/xlsx/dry-run", data={"csrf_token": csrf},
                                  files={"file": ("isian.xlsx", data, XLSX)})).text
        plan_hash = html.split('name="plan_hash" value="')[1].split('"')[0]
        file_sha = html.split('name="file_sha256" value="')[1].split('"')[0]
        app.state.settings = second
        response = await client.post(f"{base}/xlsx/apply", data={
            "csrf_token": csrf, "file_sha256": file_sha, "plan_hash": plan_hash})
    finally:
        app.state.settings = settings
    assert response.status_code == 200, response.text
    assert "1 pertanyaan diperbarui" in response.text
    assert stored(db, filled.id)["PPA1B"][0] == "C"
    assert not (tmp_path / "a" / "uploads" / "xlsx-import").exists()  # never on a disk


async def test_page_shows_bad_rows_and_offers_no_confirmation(client, db, world, filled):
    csrf = await login(client, "member_a1")
    base = f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}"
    data = edit((await client.get(f"{base}/export.xlsx")).content,
                {("PPA1B", "answer"): "Z", ("PPA2B", "answer"): "A"})
    response = await client.post(f"{base}/xlsx/dry-run", data={"csrf_token": csrf},
                                 files={"file": ("isian.xlsx", data, XLSX)})
    assert response.status_code == 200
    assert 'id="xlsx-problems"' in response.text
    assert "Pilihan &#39;Z&#39; tidak tersedia untuk PPA1B" in response.text
    assert 'id="xlsx-confirm"' not in response.text
    # a non-xlsx upload stays on the page with a clear message
    response = await client.post(f"{base}/xlsx/dry-run", data={"csrf_token": csrf},
                                 files={"file": ("isian.xlsx", b"hello", XLSX)})
    assert response.status_code == 422 and "Berkas bukan XLSX" in response.text


def test_every_page_string_has_an_english_translation():
    import re
    from pathlib import Path

    from app.i18n import missing_translations

    folder = Path(__file__).resolve().parents[2] / "app/templates/pages/lke"
    messages = sorted({
        m for name in ("xlsx.html", "_xlsx_link.html")
        for m in re.findall(r'_\("([^"]*)"\)', (folder / name).read_text())
    })
    assert messages and missing_translations("en", messages) == []


async def test_page_in_english(client, db, world, filled):
    await login(client, "coord_a1")
    page = await client.get(
        f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}/xlsx?lang=en")
    assert page.status_code == 200
    assert "XLSX export &amp; import" in page.text and "Dry run" in page.text
