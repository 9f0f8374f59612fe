"""Names shared by the writer, the reader and the import planner: the sheet layout, limits,
the plain values the service hands in, text escaping and how an answer is shown."""


import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.domain.lke.framework import Question
from app.domain.lke.scoring import AnswerInput
from app.domain.text import clean_text

#: The control characters an XLSX cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, kept
#: here so that importing this module does not load openpyxl).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

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
#: The official layout (``layout="official"``) puts the printed worksheet's number before
#: the ref; the reader finds columns by header, so it reads either layout.
NUMBER_COLUMN: tuple[str, str, int] = ("number", "No.", 12)
OFFICIAL_COLUMNS: tuple[tuple[str, str, int], ...] = (NUMBER_COLUMN, *COLUMNS)
LAYOUTS = ("standard", "official")
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

LEVEL_NAMES = {
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
    layout: str = "standard"  # one of LAYOUTS


# ------------------------------------------------------------------------------------------
# Text safety
# ------------------------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """Text safe for a spreadsheet cell: illegal XML and invisible characters
    (app.domain.text) dropped, and a leading ``= + - @`` / tab / CR prefixed with a single
    quote so it can never run as a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", clean_text(value))
    if text.startswith(DANGEROUS_PREFIXES):
        text = "'" + text
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "\u2026"
    return text


def unescape_text(value: str) -> str:
    """Undo ``escape_text``'s quote prefix (only before a dangerous first character); a
    cell's invisible characters are dropped, as everywhere text comes in (app.domain.text)."""
    value = clean_text(value)
    if value.startswith("'") and value[1:2] != "" and value[1:].startswith(DANGEROUS_PREFIXES):
        return value[1:]
    return value


# ------------------------------------------------------------------------------------------
# Answers shown as text
# ------------------------------------------------------------------------------------------


def plain_decimal(value: Decimal) -> str:
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
        return plain_decimal(Decimal(answer.index)) if answer.index is not None else ""
    given = answer.inputs or {}
    parts = []
    for spec in question.inputs:
        if spec.key in given and given[spec.key] is not None:
            parts.append(f"{spec.label}: {plain_decimal(Decimal(given[spec.key]))}")
    return "; ".join(parts)


def canonical_answer(question: Question, answer: AnswerInput | None) -> Any:
    """A JSON-able, order-stable form of an answer (for equality and the plan hash)."""
    if answer is None or answer.is_empty:
        return None
    if question.options:
        return {"option": answer.option}
    if question.is_index:
        return {"index": plain_decimal(Decimal(answer.index))}
    return {
        "inputs": {
            k: plain_decimal(Decimal(v)) for k, v in sorted((answer.inputs or {}).items())
        }
    }
