"""Read an uploaded XLSX back into plain rows, refusing files that are not safe to open."""


import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from fractions import Fraction
from typing import Any

from app.domain.display import format_id
from app.services.lke.xlsx_layout.common import (
    COLUMNS,
    HEADER_SCAN_ROWS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    OLE2_MAGIC,
    REQUIRED_HEADERS,
    SHEET_INFO,
    SHEET_LKE,
    SHEET_SUMMARY,
    ZIP_MAGIC,
    XlsxRefused,
    unescape_text,
)

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


def cell_text(value: Any) -> str:
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
    from openpyxl import load_workbook  # imported when used: ~12 MB per server

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
                    info[values[0]] = unescape_text(cell_text(values[1] if len(values) > 1
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
            ref_text = unescape_text(cell_text(ref)).strip()
            if not ref_text and blank(answer) and blank(explanation):
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


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
