"""The LKE worksheet as an XLSX file: write it, read it back, and plan an import.

Pure code: no database, no HTTP. The service layer (``app.services.lke.xlsx``) loads the
assessment into plain values (``QuestionState`` per question ref, a ``ScoreReport``, the
verdicts) and hands them here; reading returns plain rows and an ``ImportPlan`` that the
service applies through its all-or-nothing ``answer_many``.

Layout of the ``LKE`` sheet (the columns units and evaluators use)::

    Ref | Penilaian | Bobot | Pilihan Jawaban | Jawaban | Nilai | % | Penjelasan | Eviden |
    Catatan Reviewer

One row per node in document order: the total, components, parts, areas and sub-indicators
(bold, no answer) and questions. A question with numeric inputs (PRA1A...) is followed by one
row per input, ref ``<question>.<input key>`` (``PRA1A.change_agents``), whose Jawaban cell
holds the number. Bobot, Nilai and % are values (never formulas), shown with 2 decimals.

Import reads only Ref, Jawaban and Penjelasan (found by their header text, so moved columns
still work). An empty Jawaban or Penjelasan cell means "leave as it is"; clearing an answer is
done on the worksheet page. Every text cell written here that starts with ``= + - @``, a tab or
a carriage return is stored as a string prefixed with a single quote (formula injection), and
the prefix is removed again on import, so such text round-trips as plain text.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.domain.display import format_id
from app.domain.lke.framework import TOTAL_REF, Area, Component, Framework, Part, Question
from app.domain.lke.scoring import AnswerInput, ScoreReport, validate_answer
from app.domain.lke.verdict import Verdict

__all__ = [
    "COLUMNS",
    "FORMAT_NAME",
    "INPUT_SEPARATOR",
    "LAYOUT_VERSION",
    "Change",
    "ExportMeta",
    "ImportPlan",
    "ParsedWorkbook",
    "QuestionState",
    "RowProblem",
    "SheetRow",
    "XlsxRefused",
    "describe_answer",
    "escape_text",
    "plan_import",
    "read_workbook",
    "unescape_text",
    "write_workbook",
]

FORMAT_NAME = "zona-lke-xlsx"
LAYOUT_VERSION = 1
SHEET_LKE = "LKE"
SHEET_SUMMARY = "Ringkasan"
SHEET_INFO = "Info"
INPUT_SEPARATOR = "."

#: (key, header, width) of the LKE sheet, in order.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("ref", "Ref", 12),
    ("text", "Penilaian", 60),
    ("weight", "Bobot", 9),
    ("options", "Pilihan Jawaban", 48),
    ("answer", "Jawaban", 11),
    ("score", "Nilai", 9),
    ("percent", "%", 9),
    ("explanation", "Penjelasan", 48),
    ("evidence", "Eviden", 42),
    ("notes", "Catatan Reviewer", 36),
)
REQUIRED_HEADERS = ("ref", "answer")
HEADER_SCAN_ROWS = 30
MAX_ROWS = 5000
MAX_COLUMNS = 60
#: Refuse archives that would unpack to more than this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
MAX_EXPLANATION_CHARS = 20000  # the worksheet's own limit for a penjelasan
NUMBER_FORMAT = "0.00"
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

_LEVEL_NAMES = {
    "total": "total",
    "component": "komponen",
    "part": "bagian",
    "area": "area",
    "sub_indicator": "sub-indikator",
}


class XlsxRefused(ValueError):
    """The uploaded file as a whole cannot be used; ``message`` is Indonesian, for users."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------------------
# Plain values the service hands in
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionState:
    """What an assessment holds for one question (all optional)."""

    option: str | None = None
    inputs: Mapping[str, Decimal] | None = None
    index: Decimal | None = None
    explanation: str = ""
    evidence: tuple[str, ...] = ()  # one line per evidence: "title (link)"
    notes: tuple[str, ...] = ()  # reviewer notes, one line each, e.g. "Kanwil: ..."

    @property
    def answer(self) -> AnswerInput:
        return AnswerInput(option=self.option, inputs=self.inputs, index=self.index)

    @property
    def answered(self) -> bool:
        return not self.answer.is_empty


@dataclass(frozen=True)
class ExportMeta:
    """Heading facts of the exported file (all plain text, already formatted)."""

    assessment_id: int
    unit_name: str
    unit_code: str
    year: int
    target: str  # "WBK" | "WBBM"
    status: str  # e.g. "Draf", "Final"
    generated_at: str  # formatted in the unit's time zone
    generated_by: str = ""


# ------------------------------------------------------------------------------------------
# Text safety
# ------------------------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """Text safe for a spreadsheet cell: illegal XML characters dropped, and a leading
    ``= + - @`` / tab / CR prefixed with a single quote so it can never run as a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith(DANGEROUS_PREFIXES):
        text = "'" + text
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "\u2026"
    return text


def unescape_text(value: str) -> str:
    """Undo ``escape_text``'s quote prefix (only before a dangerous first character)."""
    if value.startswith("'") and value[1:2] != "" and value[1:].startswith(DANGEROUS_PREFIXES):
        return value[1:]
    return value


# ------------------------------------------------------------------------------------------
# Answers shown as text
# ------------------------------------------------------------------------------------------


def _plain_decimal(value: Decimal) -> str:
    """Exact decimal, no exponent, Indonesian comma: Decimal('3.650') -> '3,65'."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def describe_answer(question: Question, answer: AnswerInput | None) -> str:
    """The answer as a person reads it: 'A', 'Ya', '3,65', 'Jumlah X: 10; Jumlah Y: 5';
    '' when unanswered."""
    if answer is None or answer.is_empty:
        return ""
    if question.options:
        return answer.option or ""
    if question.is_index:
        return _plain_decimal(Decimal(answer.index)) if answer.index is not None else ""
    given = answer.inputs or {}
    parts = []
    for spec in question.inputs:
        if spec.key in given and given[spec.key] is not None:
            parts.append(f"{spec.label}: {_plain_decimal(Decimal(given[spec.key]))}")
    return "; ".join(parts)


def _canonical_answer(question: Question, answer: AnswerInput | None) -> Any:
    """A JSON-able, order-stable form of an answer (for equality and the plan hash)."""
    if answer is None or answer.is_empty:
        return None
    if question.options:
        return {"option": answer.option}
    if question.is_index:
        return {"index": _plain_decimal(Decimal(answer.index))}
    return {
        "inputs": {
            k: _plain_decimal(Decimal(v)) for k, v in sorted((answer.inputs or {}).items())
        }
    }


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
            f"Isi nilai indeks {_plain_decimal(formula.minimum)} sampai "
            f"{_plain_decimal(formula.maximum)}; nilai = indeks / {_plain_decimal(formula.maximum)}"
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
    for col, (_key, header, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=header_row, column=col, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)  # header and Ref/Penilaian stay
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(COLUMNS))}{header_row}"
    col = {key: i for i, (key, _h, _w) in enumerate(COLUMNS, start=1)}

    row = header_row + 1

    def node_row(ref: str, level: str, label: str) -> None:
        nonlocal row
        node = report.node(ref)
        _put(ws, row, col["ref"], ref)
        _put(ws, row, col["text"], label, wrap=True)
        _put(ws, row, col["weight"], _number(node.weight), number=True)
        _put(ws, row, col["options"], None)
        _put(ws, row, col["answer"], None)
        _put(ws, row, col["score"], _number(node.score), number=True)
        _put(ws, row, col["percent"], _number(node.percentage), number=True)
        for key in ("explanation", "evidence", "notes"):
            _put(ws, row, col[key], None)
        for c in range(1, len(COLUMNS) + 1):
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


# ------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """One non-empty data row of the LKE sheet: raw cell values, row number as in Excel."""

    row: int
    ref: str
    answer: Any
    explanation: Any


@dataclass(frozen=True)
class ParsedWorkbook:
    sha256: str
    size: int
    rows: tuple[SheetRow, ...]
    info: Mapping[str, str] = field(default_factory=dict)
    has_explanation_column: bool = True


def _mb(size: int) -> str:
    return format_id(Fraction(size, 1024 * 1024), 1)


def _check_container(data: bytes, max_bytes: int) -> zipfile.ZipFile:
    """Refuse anything that is not a plausible, bounded XLSX archive (checked by content)."""
    if not data:
        raise XlsxRefused("Berkas kosong.")
    if len(data) > max_bytes:
        raise XlsxRefused(
            f"Berkas terlalu besar ({_mb(len(data))} MB); batasnya {_mb(max_bytes)} MB."
        )
    if data.startswith(OLE2_MAGIC):
        raise XlsxRefused(
            "Berkas ini format Excel lama (.xls) atau terenkripsi. Simpan ulang sebagai "
            "Buku Kerja Excel (.xlsx) tanpa kata sandi, lalu unggah lagi."
        )
    if not data.startswith(ZIP_MAGIC):
        raise XlsxRefused("Berkas bukan XLSX (Buku Kerja Excel .xlsx).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise XlsxRefused("Berkas XLSX rusak atau tidak dapat dibaca.") from None
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise XlsxRefused("Berkas bukan XLSX (Buku Kerja Excel .xlsx).")
    if any(i.filename.lower().endswith(".bin") and "vbaproject" in i.filename.lower()
           for i in infos):
        raise XlsxRefused("Berkas berisi makro; simpan sebagai .xlsx tanpa makro.")
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES:
        raise XlsxRefused("Isi berkas XLSX terlalu besar setelah diekstrak.")
    return archive


def _header_key(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).casefold()
    for key, header, _w in COLUMNS:
        if text == header.casefold():
            return key
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_workbook(data: bytes, *, max_bytes: int) -> ParsedWorkbook:
    """Parse an uploaded LKE XLSX into rows; ``XlsxRefused`` if the file cannot be used.

    Cells are read as stored: a formula is read as its text (``=A1``), never evaluated.
    """
    archive = _check_container(data, max_bytes)
    archive.close()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for damaged files
        raise XlsxRefused("Berkas XLSX rusak atau tidak dapat dibaca.") from None
    try:
        info: dict[str, str] = {}
        if SHEET_INFO in wb.sheetnames:
            for values in wb[SHEET_INFO].iter_rows(min_row=1, max_row=50, max_col=2,
                                                    values_only=True):
                if values and isinstance(values[0], str):
                    info[values[0]] = unescape_text(_cell_text(values[1] if len(values) > 1
                                                               else None))
        names = [SHEET_LKE] if SHEET_LKE in wb.sheetnames else []
        names += [n for n in wb.sheetnames if n not in (SHEET_LKE, SHEET_INFO, SHEET_SUMMARY)]
        columns: dict[str, int] | None = None
        sheet = None
        header_row = 0
        for name in names:
            ws = wb[name]
            for r, values in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS,
                                                    max_col=MAX_COLUMNS, values_only=True),
                                       start=1):
                found = {}
                for c, value in enumerate(values, start=1):
                    key = _header_key(value)
                    if key is not None and key not in found:
                        found[key] = c
                if all(k in found for k in REQUIRED_HEADERS):
                    columns, sheet, header_row = found, ws, r
                    break
            if sheet is not None:
                break
        if sheet is None or columns is None:
            raise XlsxRefused(
                "Lembar LKE tidak ditemukan: tidak ada baris judul kolom dengan 'Ref' dan "
                "'Jawaban'. Gunakan berkas hasil ekspor Zona."
            )
        rows: list[SheetRow] = []
        ref_col, answer_col = columns["ref"], columns["answer"]
        expl_col = columns.get("explanation")
        last_col = max(c for c in (ref_col, answer_col, expl_col) if c is not None)
        for r, values in enumerate(
            sheet.iter_rows(min_row=header_row + 1, max_col=last_col, values_only=True),
            start=header_row + 1,
        ):
            if r - header_row > MAX_ROWS:
                raise XlsxRefused(f"Lembar LKE berisi lebih dari {MAX_ROWS} baris.")

            def at(c: int | None, values=values) -> Any:
                return values[c - 1] if c is not None and c - 1 < len(values) else None

            ref, answer, explanation = at(ref_col), at(answer_col), at(expl_col)
            ref_text = unescape_text(_cell_text(ref)).strip()
            if not ref_text and _blank(answer) and _blank(explanation):
                continue
            rows.append(SheetRow(row=r, ref=ref_text, answer=answer, explanation=explanation))
    except XlsxRefused:
        raise
    except Exception:
        raise XlsxRefused("Berkas XLSX rusak atau tidak dapat dibaca.") from None
    finally:
        wb.close()
    return ParsedWorkbook(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        rows=tuple(rows),
        info=info,
        has_explanation_column=expl_col is not None,
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ------------------------------------------------------------------------------------------
# Planning an import
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    ref: str
    message: str  # Indonesian

    def __str__(self) -> str:
        return f"Baris {self.row}: {self.message}"


@dataclass(frozen=True)
class Change:
    """One question whose answer and/or penjelasan the file changes."""

    ref: str
    row: int
    old_answer: str  # as shown to people ('' when unanswered)
    new_answer: str
    old_explanation: str
    new_explanation: str
    answer: AnswerInput | None  # the new answer, None when the answer does not change
    explanation: str | None  # the new penjelasan, None when it does not change

    @property
    def answer_changed(self) -> bool:
        return self.answer is not None

    @property
    def explanation_changed(self) -> bool:
        return self.explanation is not None


@dataclass(frozen=True)
class ImportPlan:
    assessment_id: int
    file_sha256: str
    changes: tuple[Change, ...]
    problems: tuple[RowProblem, ...]
    unchanged: int  # questions present in the file whose values equal the stored ones
    questions_in_file: int
    notes: tuple[str, ...]  # Indonesian remarks that do not block the import
    plan_hash: str

    @property
    def ok(self) -> bool:
        return not self.problems


def _parse_number(raw: Any) -> Decimal | None:
    """A cell's number: int/float cells, or text like '12', '3,65', '3.65'; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        try:
            value = Decimal(repr(raw))
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, str):
        text = unescape_text(raw).strip().replace(" ", "")
        if not re.fullmatch(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)", text):
            return None
        return Decimal(text.replace(",", "."))
    return None


def _shown(raw: Any) -> str:
    text = _cell_text(raw)
    return text if len(text) <= 40 else text[:39] + "\u2026"


def _explanation(raw: Any) -> str | None:
    """Penjelasan from a cell, trimmed as the worksheet stores it; None when blank (= leave
    as it is)."""
    if _blank(raw):
        return None
    return unescape_text(_cell_text(raw)).strip() or None


def _option_code(question: Question, raw: Any) -> str | None:
    text = unescape_text(_cell_text(raw)).strip()
    for code in question.option_codes:
        if text.casefold() == code.casefold():
            return code
    return None


def _same_answer(question: Question, a: AnswerInput | None, b: AnswerInput | None) -> bool:
    return _canonical_answer(question, a) == _canonical_answer(question, b)


def plan_import(
    framework: Framework,
    parsed: ParsedWorkbook,
    current: Mapping[str, QuestionState],
    *,
    assessment_id: int,
    max_explanation: int = MAX_EXPLANATION_CHARS,
) -> ImportPlan:
    """Compare the file with the stored answers: every change, and every bad row with its
    row number. The plan is applicable only when ``problems`` is empty."""
    problems: list[RowProblem] = []
    notes: list[str] = []
    info = parsed.info
    if info.get("format") == FORMAT_NAME:
        code = info.get("framework_code", "")
        if code and code != framework.code:
            problems.append(RowProblem(
                0, "", f"Berkas ini untuk kerangka {code}, sedangkan penilaian ini memakai "
                f"{framework.code}; impor dibatalkan.",
            ))
        if info.get("assessment_id") not in (None, "", str(assessment_id)):
            year = info.get("year") or "?"
            unit = info.get("unit_code") or "?"
            notes.append(
                f"Berkas ini diekspor dari penilaian lain ({unit} tahun {year}); jawabannya "
                "akan dibandingkan dengan penilaian ini."
            )
    if not parsed.has_explanation_column:
        notes.append("Kolom Penjelasan tidak ada di berkas; penjelasan tidak diubah.")

    seen: dict[str, int] = {}
    answer_cells: dict[str, SheetRow] = {}  # question ref -> its row
    input_cells: dict[str, dict[str, SheetRow]] = {}  # question ref -> key -> row

    for row in parsed.rows:
        ref = row.ref
        if not ref:
            problems.append(RowProblem(
                row.row, "", "kolom Ref kosong, tetapi Jawaban atau Penjelasan terisi. "
                "Isi Ref atau kosongkan baris ini.",
            ))
            continue
        if ref in seen:
            problems.append(RowProblem(
                row.row, ref, f"Ref {ref} muncul lebih dari sekali (juga di baris {seen[ref]})."
            ))
            continue
        seen[ref] = row.row
        if framework.has_question(ref):
            answer_cells[ref] = row
            continue
        base, sep, key = ref.partition(INPUT_SEPARATOR)
        if sep and framework.has_question(base):
            question = framework.question(base)
            if key not in question.input_keys:
                problems.append(RowProblem(
                    row.row, ref, f"Ref {ref} tidak dikenal: {base} tidak punya isian '{key}'."
                ))
                continue
            if not _blank(row.explanation):
                problems.append(RowProblem(
                    row.row, ref, f"Penjelasan untuk {base} diisi pada baris pertanyaan {base}, "
                    "bukan pada baris isiannya.",
                ))
            input_cells.setdefault(base, {})[key] = row
            continue
        try:
            node = framework.node(ref) if ref != TOTAL_REF else None
        except KeyError:
            node = False
        if node is False:
            problems.append(RowProblem(
                row.row, ref, f"Ref '{_shown(ref)}' tidak dikenal dalam kerangka {framework.code}."
            ))
            continue
        # a heading row (total, component, part, area, sub-indicator): nothing to import
        if not _blank(row.answer) or not _blank(row.explanation):
            level = "total" if node is None else _level_of(framework, ref)
            problems.append(RowProblem(
                row.row, ref, f"{ref} adalah baris {_LEVEL_NAMES[level]}; Jawaban dan "
                "Penjelasan hanya diisi pada baris pertanyaan.",
            ))

    changes: list[Change] = []
    unchanged = 0
    questions_in_file = 0
    for question in framework.questions():
        ref = question.ref
        row = answer_cells.get(ref)
        inputs = input_cells.get(ref, {})
        if row is None and not inputs:
            continue
        questions_in_file += 1
        state = current.get(ref) or QuestionState()
        head_row = row.row if row is not None else min(r.row for r in inputs.values())
        new_answer: AnswerInput | None = None
        row_problems: list[RowProblem] = []

        if question.inputs:
            if row is not None and not _blank(row.answer):
                keys = ", ".join(f"{ref}{INPUT_SEPARATOR}{k}" for k in question.input_keys)
                row_problems.append(RowProblem(
                    row.row, ref, f"{ref} dijawab dengan isian angka pada barisnya sendiri "
                    f"({keys}), bukan pada baris ini.",
                ))
            filled = {k: r for k, r in inputs.items() if not _blank(r.answer)}
            if filled:
                values: dict[str, Decimal] = {}
                for spec in question.inputs:
                    cell = inputs.get(spec.key)
                    if cell is None:
                        row_problems.append(RowProblem(
                            head_row, ref, f"baris isian {ref}{INPUT_SEPARATOR}{spec.key} "
                            f"('{spec.label}') tidak ada; isi semua isian {ref} atau "
                            "kosongkan semuanya.",
                        ))
                    elif _blank(cell.answer):
                        row_problems.append(RowProblem(
                            cell.row, cell.ref, f"isian '{spec.label}' untuk {ref} kosong; isi "
                            f"semua isian {ref} atau kosongkan semuanya.",
                        ))
                    else:
                        number = _parse_number(cell.answer)
                        if number is None:
                            row_problems.append(RowProblem(
                                cell.row, cell.ref, f"isian '{spec.label}' untuk {ref} harus "
                                f"berupa angka, bukan '{_shown(cell.answer)}'.",
                            ))
                        else:
                            values[spec.key] = number
                if not row_problems:
                    new_answer = AnswerInput(inputs=values)
                    # negative, fractional and inconsistent inputs: the domain's messages
                    messages = validate_answer(question, new_answer)
                    first = min(r.row for r in inputs.values())
                    row_problems += [RowProblem(first, ref, m) for m in messages]
        elif row is not None and not _blank(row.answer):
            if question.options:
                code = _option_code(question, row.answer)
                if code is None:
                    allowed = ", ".join(question.option_codes)
                    row_problems.append(RowProblem(
                        row.row, ref, f"Pilihan '{_shown(row.answer)}' tidak tersedia untuk "
                        f"{ref} (pilihan: {allowed}).",
                    ))
                else:
                    new_answer = AnswerInput(option=code)
            else:  # index
                number = _parse_number(row.answer)
                if number is None:
                    row_problems.append(RowProblem(
                        row.row, ref, f"Nilai indeks untuk {ref} harus berupa angka, bukan "
                        f"'{_shown(row.answer)}'.",
                    ))
                else:
                    new_answer = AnswerInput(index=number)
                    row_problems += [
                        RowProblem(row.row, ref, m)
                        for m in validate_answer(question, new_answer)
                    ]

        new_explanation = _explanation(row.explanation) if row is not None else None
        if new_explanation is not None and len(new_explanation) > max_explanation:
            row_problems.append(RowProblem(
                head_row, ref, f"Penjelasan {ref} terlalu panjang ({len(new_explanation)} "
                f"karakter; maksimal {max_explanation}).",
            ))
        if row_problems:
            problems.extend(row_problems)
            continue
        answer_changed = new_answer is not None and not _same_answer(
            question, new_answer, state.answer if state.answered else None
        )
        explanation_changed = new_explanation is not None and new_explanation != (
            state.explanation or ""
        )
        if not answer_changed and not explanation_changed:
            unchanged += 1
            continue
        old_shown = describe_answer(question, state.answer if state.answered else None)
        changes.append(Change(
            ref=ref,
            row=head_row,
            old_answer=old_shown,
            new_answer=describe_answer(question, new_answer) if answer_changed else old_shown,
            old_explanation=state.explanation or "",
            new_explanation=new_explanation if explanation_changed else (state.explanation or ""),
            answer=new_answer if answer_changed else None,
            explanation=new_explanation if explanation_changed else None,
        ))

    problems.sort(key=lambda p: (p.row, p.ref))
    plan_hash = _plan_hash(framework, assessment_id, parsed.sha256, changes, current)
    return ImportPlan(
        assessment_id=assessment_id,
        file_sha256=parsed.sha256,
        changes=tuple(changes),
        problems=tuple(problems),
        unchanged=unchanged,
        questions_in_file=questions_in_file,
        notes=tuple(notes),
        plan_hash=plan_hash,
    )


def _level_of(framework: Framework, ref: str) -> str:
    node = framework.node(ref)
    if isinstance(node, Component):
        return "component"
    if isinstance(node, Part):
        return "part"
    if isinstance(node, Area):
        return "area"
    return "sub_indicator"


def _plan_hash(
    framework: Framework,
    assessment_id: int,
    file_sha256: str,
    changes: Sequence[Change],
    current: Mapping[str, QuestionState],
) -> str:
    """Fingerprint of what would be applied *and* of the stored values it replaces, so an
    apply step can prove it applies exactly the plan that was shown."""
    items = []
    for change in changes:
        question = framework.question(change.ref)
        state = current.get(change.ref) or QuestionState()
        items.append({
            "ref": change.ref,
            "old_answer": _canonical_answer(question, state.answer if state.answered else None),
            "old_explanation": state.explanation or "",
            "answer": _canonical_answer(question, change.answer),
            "explanation": change.explanation,
        })
    payload = json.dumps(
        {
            "format": FORMAT_NAME,
            "layout": LAYOUT_VERSION,
            "framework": [framework.code, framework.version],
            "assessment": assessment_id,
            "file": file_sha256,
            "changes": items,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
