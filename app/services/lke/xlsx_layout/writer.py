"""Write an assessment's worksheet, summary and info sheets as an XLSX workbook."""


import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.domain.display import format_id
from app.domain.lke.framework import TOTAL_REF, Framework, Question
from app.domain.lke.numbering import numbers_of
from app.domain.lke.scoring import ScoreReport
from app.domain.lke.verdict import Verdict
from app.services.lke.xlsx_layout.common import (
    COLUMNS,
    FORMAT_NAME,
    INPUT_SEPARATOR,
    LAYOUT_VERSION,
    NUMBER_FORMAT,
    OFFICIAL_COLUMNS,
    SHEET_INFO,
    SHEET_LKE,
    SHEET_SUMMARY,
    ExportMeta,
    QuestionState,
    escape_text,
    plain_decimal,
)

# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_LEVEL_FILLS = {
    "total": PatternFill("solid", fgColor="BDD7EE"),
    "component": PatternFill("solid", fgColor="D9E1F2"),
    "part": PatternFill("solid", fgColor="DDEBF7"),
    "area": PatternFill("solid", fgColor="EDF3FA"),
    "sub_indicator": PatternFill("solid", fgColor="F5F8FC"),
}
_INPUT_FONT = Font(italic=True)
_THIN = Side(style="thin", color="B4B4B4")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def _number(value: Fraction | Decimal | int | None) -> float | None:
    """A cell number. Exact values become the nearest float; Excel shows 2 decimals."""
    if value is None:
        return None
    return float(Fraction(value))


def _put(ws, row: int, col: int, value: Any, *, number: bool = False, wrap: bool = False):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = escape_text(value)
        cell.data_type = "s"  # a string, never a formula
    else:
        cell.value = value
    if number:
        cell.number_format = NUMBER_FORMAT
    cell.alignment = _WRAP_TOP if wrap else _TOP
    cell.border = _BORDER
    return cell


def _options_text(question: Question) -> str:
    if question.options:
        return "\n".join(f"{o.code} = {o.label} (nilai {format_id(o.value)})" for o in question.options)
    if question.is_index:
        formula = question.formula
        assert formula is not None and formula.minimum is not None and formula.maximum is not None
        return (
            f"Isi nilai indeks {plain_decimal(formula.minimum)} sampai "
            f"{plain_decimal(formula.maximum)}; nilai = indeks / {plain_decimal(formula.maximum)}"
        )
    lines = ["Isi angka pada baris isian di bawah ini."]
    if question.result_label:
        lines.append(question.result_label)
    for rule in question.rules:
        lines.append(rule.message)
    return "\n".join(lines)


def _write_lke_sheet(
    ws, framework: Framework, report: ScoreReport, states: Mapping[str, QuestionState],
    meta: ExportMeta,
) -> None:
    ws.title = SHEET_LKE
    official = meta.layout == "official"
    columns = OFFICIAL_COLUMNS if official else COLUMNS
    numbers = numbers_of(framework) if official else {}
    ws["A1"] = escape_text(f"{framework.title} - {meta.unit_name} ({meta.unit_code})")
    ws["A1"].font = _TITLE
    ws["A2"] = escape_text(
        f"Tahun {meta.year} | Target {meta.target} | Status {meta.status} | "
        f"Diekspor {meta.generated_at}" + (f" oleh {meta.generated_by}" if meta.generated_by else "")
    )
    ws["A3"] = (
        "Impor: hanya kolom Ref, Jawaban dan Penjelasan yang dibaca. Sel kosong = tidak diubah. "
        "Jawaban: huruf pilihan (A-E) atau Ya/Tidak; isian angka pada baris Ref "
        f"<pertanyaan>{INPUT_SEPARATOR}<isian>."
    )
    ws["A3"].font = Font(italic=True, color="595959")
    header_row = 5
    for col, (_key, header, width) in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=col, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    # header and Ref/Penilaian (and No.) stay in view
    ws.freeze_panes = ws.cell(row=header_row + 1, column=len(columns) - len(COLUMNS) + 3)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{header_row}"
    col = {key: i for i, (key, _h, _w) in enumerate(columns, start=1)}

    def number_cell(ref: str | None) -> None:
        if official:
            number = numbers.get(ref) if ref else None
            _put(ws, row, col["number"], number.full if number else None)

    row = header_row + 1

    def node_row(ref: str, level: str, label: str) -> None:
        nonlocal row
        node = report.node(ref)
        number_cell(ref)
        _put(ws, row, col["ref"], ref)
        _put(ws, row, col["text"], label, wrap=True)
        _put(ws, row, col["weight"], _number(node.weight), number=True)
        _put(ws, row, col["options"], None)
        _put(ws, row, col["answer"], None)
        _put(ws, row, col["score"], _number(node.score), number=True)
        _put(ws, row, col["percent"], _number(node.percentage), number=True)
        for key in ("explanation", "evidence", "notes"):
            _put(ws, row, col[key], None)
        for c in range(1, len(columns) + 1):
            ws.cell(row=row, column=c).font = _BOLD
            ws.cell(row=row, column=c).fill = _LEVEL_FILLS[level]
        row += 1

    node_row(TOTAL_REF, "total", f"Nilai LKE ({report.total.answered} dari "
             f"{report.total.questions} pertanyaan dijawab)")
    for component in framework.components:
        node_row(component.ref, "component", component.name)
        for part in component.parts:
            node_row(part.ref, "part", part.name)
            for area in part.areas:
                node_row(area.ref, "area", area.name)
                for sub in area.sub_indicators:
                    node_row(sub.ref, "sub_indicator", sub.name)
                    for q in sub.questions:
                        state = states.get(q.ref) or QuestionState()
                        node = report.node(q.ref)
                        number_cell(q.ref)
                        _put(ws, row, col["ref"], q.ref)
                        _put(ws, row, col["text"], q.text, wrap=True)
                        _put(ws, row, col["weight"], _number(q.weight), number=True)
                        _put(ws, row, col["options"], _options_text(q), wrap=True)
                        answer_cell: Any = None
                        if q.options and state.option:
                            answer_cell = state.option
                        elif q.is_index and state.index is not None:
                            answer_cell = _number(Decimal(state.index))
                        _put(ws, row, col["answer"], answer_cell, number=q.is_index)
                        answered = node.answered > 0
                        _put(ws, row, col["score"], _number(node.score) if answered else None,
                             number=True)
                        _put(ws, row, col["percent"],
                             _number(node.percentage) if answered else None, number=True)
                        _put(ws, row, col["explanation"], state.explanation or None, wrap=True)
                        _put(ws, row, col["evidence"], "\n".join(state.evidence) or None,
                             wrap=True)
                        _put(ws, row, col["notes"], "\n".join(state.notes) or None, wrap=True)
                        row += 1
                        for spec in q.inputs:
                            value = (state.inputs or {}).get(spec.key)
                            number_cell(None)
                            _put(ws, row, col["ref"], f"{q.ref}{INPUT_SEPARATOR}{spec.key}")
                            _put(ws, row, col["text"], spec.label, wrap=True)
                            ws.cell(row=row, column=col["text"]).font = _INPUT_FONT
                            for key in ("weight", "options", "score", "percent",
                                        "explanation", "evidence", "notes"):
                                _put(ws, row, col[key], None)
                            number = None
                            if value is not None:
                                dec = Decimal(value)
                                number = int(dec) if dec == dec.to_integral_value() else float(dec)
                            _put(ws, row, col["answer"], number)
                            row += 1
    if official:
        _print_setup(ws, header_row, len(columns), meta)
        _signature_area(ws, row + 1, col, meta)


def _print_setup(ws, header_row: int, width: int, meta: ExportMeta, *,
                 landscape: bool = True) -> None:
    """Ready to print on A4: landscape, every column on one page width (as many pages down
    as needed), the column headers repeated on each page, page numbers in the footer."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{get_column_letter(width)}{ws.max_row}"
    ws.oddFooter.left.text = escape_text(f"LKE ZI {meta.unit_code} {meta.year}")
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Halaman &P dari &N"
    ws.oddFooter.right.size = 8
    ws.evenFooter.left.text = ws.oddFooter.left.text
    ws.evenFooter.right.text = ws.oddFooter.right.text


#: Signature blocks under the printed worksheet: (who signs, in which column key). Placed in
#: columns the import never reads (Penilaian, Eviden), so a signed-and-scanned file's
#: workbook still imports.
SIGNATURES = (("text", "Kepala {unit}"), ("evidence", "Koordinator Tim Pembangunan ZI"))


def _signature_area(ws, start: int, col: Mapping[str, int], meta: ExportMeta) -> None:
    """Place, date and two signature blocks (head of the unit, team coordinator), each with
    room to sign and lines for the name and NIP, kept on one printed page."""
    row = start + 1
    place_date = ws.cell(row=row, column=col["evidence"],
                         value=escape_text("........................, ...................."
                                           f" {meta.year}"))
    place_date.alignment = _TOP
    row += 1
    for key, role in SIGNATURES:
        lines = ("Mengetahui," if key == "text" else "Disusun oleh,",
                 role.format(unit=meta.unit_name), None, None, None,
                 "(........................................)",
                 "NIP. ........................................")
        for offset, text in enumerate(lines):
            if text is not None:
                cell = ws.cell(row=row + offset, column=col[key], value=escape_text(text))
                cell.alignment = _TOP
                if offset == 1:
                    cell.font = _BOLD
    last = row + 6
    for r in range(row + 2, row + 5):
        ws.row_dimensions[r].height = 20  # room for the signature and stamp
    ws.print_area = f"A1:{get_column_letter(max(col.values()))}{last}"


def _write_summary_sheet(
    ws, framework: Framework, report: ScoreReport, verdicts: Sequence[Verdict], meta: ExportMeta
) -> None:
    ws.title = SHEET_SUMMARY
    ws["A1"] = escape_text(f"Ringkasan {framework.title}")
    ws["A1"].font = _TITLE
    facts = [
        ("Unit kerja", f"{meta.unit_name} ({meta.unit_code})"),
        ("Tahun", str(meta.year)),
        ("Target predikat", meta.target),
        ("Status", meta.status),
        ("Kerangka", f"{framework.code} versi {framework.version} ({framework.regulation})"),
        ("Pertanyaan dijawab", f"{report.total.answered} dari {report.total.questions}"),
        ("Diekspor", meta.generated_at + (f" oleh {meta.generated_by}" if meta.generated_by
                                          else "")),
    ]
    row = 3
    for label, value in facts:
        ws.cell(row=row, column=1, value=label).font = _BOLD
        _put(ws, row, 2, value)
        ws.cell(row=row, column=2).border = Border()
        row += 1
    row += 1
    headers = ("Ref", "Komponen / bagian / area", "Bobot", "Nilai", "%")
    for c, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=c, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    row += 1

    def line(ref: str, label: str, level: str) -> None:
        nonlocal row
        node = report.node(ref)
        _put(ws, row, 1, ref)
        _put(ws, row, 2, label, wrap=True)
        _put(ws, row, 3, _number(node.weight), number=True)
        _put(ws, row, 4, _number(node.score), number=True)
        _put(ws, row, 5, _number(node.percentage), number=True)
        if level != "area":
            for c in range(1, 6):
                ws.cell(row=row, column=c).font = _BOLD
                ws.cell(row=row, column=c).fill = _LEVEL_FILLS[level]
        row += 1

    line(TOTAL_REF, "Nilai LKE", "total")
    for component in framework.components:
        line(component.ref, component.name, "component")
        for part in component.parts:
            line(part.ref, part.name, "part")
            for area in part.areas:
                line(area.ref, area.name, "area")

    for verdict in verdicts:
        row += 1
        outcome = "MEMENUHI SYARAT" if verdict.passed else "BELUM MEMENUHI SYARAT"
        title = ws.cell(row=row, column=1, value=f"Predikat {verdict.target}: {outcome}")
        title.font = Font(bold=True, size=12, color="006100" if verdict.passed else "9C0006")
        row += 1
        for c, header in enumerate(("Syarat", "", "Nilai", "Batas", "Hasil"), start=1):
            cell = ws.cell(row=row, column=c, value=header or None)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.border = _BORDER
        row += 1
        for check in verdict.checks:
            _put(ws, row, 1, check.ref or check.code)
            _put(ws, row, 2, check.label, wrap=True)
            _put(ws, row, 3, _number(check.value), number=True)
            _put(ws, row, 4, _number(check.threshold), number=True)
            result = _put(ws, row, 5, "Memenuhi" if check.passed else "Tidak memenuhi")
            result.font = Font(color="006100" if check.passed else "9C0006", bold=not check.passed)
            row += 1
        for reason in verdict.reasons:
            _put(ws, row, 2, reason, wrap=True)
            ws.cell(row=row, column=2).border = Border()
            row += 1
    for c, width in enumerate((14, 62, 10, 10, 16), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    if meta.layout == "official":
        _print_setup(ws, 0, 5, meta, landscape=False)


def _write_info_sheet(ws, framework: Framework, meta: ExportMeta) -> None:
    ws.title = SHEET_INFO
    ws.sheet_state = "hidden"
    rows = [
        ("format", FORMAT_NAME),
        ("layout_version", LAYOUT_VERSION),
        ("framework_code", framework.code),
        ("framework_version", framework.version),
        ("assessment_id", meta.assessment_id),
        ("unit_code", meta.unit_code),
        ("year", meta.year),
        ("layout", meta.layout),
    ]
    for r, (key, value) in enumerate(rows, start=1):
        ws.cell(row=r, column=1, value=key)
        cell = ws.cell(row=r, column=2, value=escape_text(value) if isinstance(value, str)
                       else value)
        if isinstance(value, str):
            cell.data_type = "s"


def write_workbook(
    framework: Framework,
    report: ScoreReport,
    states: Mapping[str, QuestionState],
    meta: ExportMeta,
    verdicts: Sequence[Verdict] = (),
) -> bytes:
    """The assessment as XLSX bytes: sheets ``LKE`` (the worksheet), ``Ringkasan`` (total,
    parts, areas and verdicts) and a hidden ``Info`` (format and framework, for import)."""
    wb = Workbook()
    _write_lke_sheet(wb.active, framework, report, states, meta)
    _write_summary_sheet(wb.create_sheet(), framework, report, verdicts, meta)
    _write_info_sheet(wb.create_sheet(), framework, meta)
    wb.properties.title = f"{framework.title} - {meta.unit_code} {meta.year}"
    wb.properties.creator = "Zona"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
