"""The LKE worksheet as an XLSX file: write it, read it back, and plan an import.

Pure code: no database, no HTTP. The service layer (``app.services.lke.xlsx``) loads the
assessment into plain values (``QuestionState`` per question ref, a ``ScoreReport``, the
verdicts) and hands them here; reading returns plain rows and an ``ImportPlan`` that the
service applies through its all-or-nothing ``answer_many``. ``writer`` writes, ``reader``
reads, ``planning`` compares what was read with the stored answers; ``common`` holds the
layout they share.

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

from app.services.lke.xlsx_layout.common import (
    COLUMNS,
    FORMAT_NAME,
    INPUT_SEPARATOR,
    LAYOUT_VERSION,
    LAYOUTS,
    OFFICIAL_COLUMNS,
    ExportMeta,
    QuestionState,
    XlsxRefused,
    describe_answer,
    escape_text,
    unescape_text,
)
from app.services.lke.xlsx_layout.planning import Change, ImportPlan, RowProblem, plan_import
from app.services.lke.xlsx_layout.reader import ParsedWorkbook, SheetRow, read_workbook

__all__ = [
    "COLUMNS",
    "FORMAT_NAME",
    "INPUT_SEPARATOR",
    "LAYOUTS",
    "LAYOUT_VERSION",
    "OFFICIAL_COLUMNS",
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


def write_workbook(*args, **kwargs) -> bytes:
    """app.services.lke.xlsx_layout.writer.write_workbook, imported on first use: the writer
    builds its openpyxl styles at import, and openpyxl costs every server ~12 MB."""
    from app.services.lke.xlsx_layout.writer import write_workbook as write

    return write(*args, **kwargs)

