"""The worksheet XLSX in the official layout: the printed worksheet's numbering beside the
refs, print setup and a signature area; and it still imports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.models.lke.assessments import LkeAnswer
from app.services.lke import answers as lke_answers
from app.services.lke.xlsx_layout import OFFICIAL_COLUMNS
from tests.factories import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def filled(db, assessment_a1):
    """UNIT-A1 2024 with PPA1A Ya, PPA1B B and PRA1A's two numbers."""
    lke_answers.answer_many(db, actor=None, assessment_id=assessment_a1.id, changes=[
        lke_answers.AnswerChange("PPA1A", option="Ya"),
        lke_answers.AnswerChange("PPA1B", option="B", penjelasan="Dipilih lewat rapat"),
        lke_answers.AnswerChange("PRA1A", inputs={"change_agents": 10, "changes_made": 5}),
    ])
    return assessment_a1


def stored(db, assessment_id: int) -> dict[str, tuple]:
    db.expire_all()
    rows = db.exec(select(LkeAnswer).where(LkeAnswer.assessment_id == assessment_id)).all()
    return {r.question_ref: (r.option, r.penjelasan) for r in rows}


async def upload(client, assessment_id: int, data: bytes, *, csrf: str, dry_run: bool):
    return await client.post(
        f"/api/v1/assessments/{assessment_id}/import.xlsx",
        params={"dry_run": str(dry_run).lower()}, files={"file": ("lke.xlsx", data, XLSX)},
        headers={"X-CSRF-Token": csrf})

COL = {key: i for i, (key, _h, _w) in enumerate(OFFICIAL_COLUMNS, start=1)}


async def official(client, assessment_id: int) -> bytes:
    response = await client.get(f"/api/v1/assessments/{assessment_id}/export.xlsx",
                                params={"layout": "official"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert 'filename="LKE-UNIT-A1-2024-resmi.xlsx"' in response.headers["content-disposition"]
    return response.content


def _rows(ws) -> dict[str, int]:
    return {ws.cell(row=r, column=COL["ref"]).value: r for r in range(6, ws.max_row + 1)
            if ws.cell(row=r, column=COL["ref"]).value}


async def test_official_layout_numbers_and_print_setup(client, world, filled):
    await login(client, "viewer_a1")
    wb = load_workbook(io.BytesIO(await official(client, filled.id)))
    ws = wb["LKE"]
    assert [ws.cell(row=5, column=c).value for c in (1, 2, 3)] == ["No.", "Ref", "Penilaian"]
    where = _rows(ws)
    # numbers counted by hand in the printed LKE ZI 2021 (part, area, sub-indicator, question)
    numbers = {ref: ws.cell(row=where[ref], column=1).value
               for ref in ("P", "PP", "PPA", "PPA1", "PPA1A", "PPA2C", "PR", "PRB3C", "H",
                           "HPA1A", "TOTAL", "PRA1A.change_agents")}
    assert numbers == {
        "P": "A", "PP": "A.I", "PPA": "A.I.1", "PPA1": "A.I.1.i", "PPA1A": "A.I.1.i.a",
        "PPA2C": "A.I.1.ii.c", "PR": "A.II", "PRB3C": "A.II.2.iii.c", "H": "B",
        "HPA1A": "B.II.1.i.a", "TOTAL": None, "PRA1A.change_agents": None,
    }
    # the answers are where the standard layout has them, one column to the right
    assert ws.cell(row=where["PPA1B"], column=COL["answer"]).value == "B"

    setup = ws.page_setup
    assert setup.orientation == "landscape"
    assert setup.paperSize == 9  # A4 in the OOXML paper size table
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$5:$5"  # the column headers on every page
    assert ws.oddFooter.right.text == "Halaman &P dari &N"
    assert "UNIT-A1 2024" in ws.oddFooter.left.text

    # the signature area under the last row, in columns the import never reads
    texts = {ws.cell(row=r, column=c).value: (r, c)
             for r in range(where["HPA1A"] + 1, ws.max_row + 1)
             for c in range(1, len(OFFICIAL_COLUMNS) + 1) if ws.cell(row=r, column=c).value}
    assert texts["Kepala KPPN A1"][1] == COL["text"]
    assert texts["Koordinator Tim Pembangunan ZI"][1] == COL["evidence"]
    assert texts["(........................................)"]
    last_signature_row = max(r for r, _c in texts.values())
    assert ws.print_area == f"'LKE'!$A$1:$K${last_signature_row}"

    summary = wb["Ringkasan"]
    assert summary.page_setup.orientation == "portrait"
    assert summary.page_setup.fitToWidth == 1
    assert summary.oddFooter.right.text == "Halaman &P dari &N"


async def test_standard_layout_is_unchanged(client, world, filled):
    await login(client, "viewer_a1")
    response = await client.get(f"/api/v1/assessments/{filled.id}/export.xlsx")
    ws = load_workbook(io.BytesIO(response.content))["LKE"]
    assert ws.cell(row=5, column=1).value == "Ref"
    assert ws.page_setup.orientation is None
    assert ws.print_title_rows is None


async def test_an_official_file_imports_like_the_standard_one(client, world, db, filled):
    csrf = await login(client, "member_a1")
    wb = load_workbook(io.BytesIO(await official(client, filled.id)))
    ws = wb["LKE"]
    where = _rows(ws)
    ws.cell(row=where["PPA1B"], column=COL["answer"]).value = "A"
    ws.cell(row=where["PPA2B"], column=COL["explanation"]).value = "Target relevan"
    out = io.BytesIO()
    wb.save(out)
    response = await upload(client, filled.id, out.getvalue(), csrf=csrf, dry_run=False)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["problems"] == []
    assert sorted(c["ref"] for c in body["changes"]) == ["PPA1B", "PPA2B"]
    answers = stored(db, filled.id)
    assert answers["PPA1B"] == ("A", "Dipilih lewat rapat")
    assert answers["PPA2B"] == (None, "Target relevan")


async def test_unknown_layout_is_refused(client, world, filled):
    await login(client, "viewer_a1")
    response = await client.get(f"/api/v1/assessments/{filled.id}/export.xlsx",
                                params={"layout": "resmi"})
    assert response.status_code == 422
    page = await client.get(f"/units/{world.unit('UNIT-A1')}/assessments/{filled.id}/export.xlsx",
                            params={"layout": "official"})
    assert page.status_code == 200
    assert load_workbook(io.BytesIO(page.content))["LKE"].cell(row=5, column=1).value == "No."
