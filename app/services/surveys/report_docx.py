"""The SKM report as DOCX (python-docx), for a unit to edit the wording before signing: the
same blocks as the PDF, as Word headings, paragraphs, bullet lists and tables. Charts are left
out (their numbers are in the tables beside them)."""

from __future__ import annotations

import io

from app.services.surveys.report import SkmReport
from app.services.surveys.report_document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Para,
    Signature,
    Table,
    skm_document,
)

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def document_docx(doc: Document) -> bytes:
    # python-docx is imported where a file is written (~7 MB of every server's memory).
    from docx import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    word = WordDocument()
    word.styles["Normal"].font.name = "Arial"
    word.styles["Normal"].font.size = Pt(10)
    word.core_properties.title = f"{doc.title} · {doc.subtitle[0]}"
    word.core_properties.language = doc.lang
    word.add_heading(doc.title, 0)
    for line in doc.subtitle:
        word.add_paragraph(line)
    for b in doc.blocks:
        if isinstance(b, Heading):
            word.add_heading(b.text, b.level)
        elif isinstance(b, Para):
            p = word.add_paragraph()
            run = p.add_run(b.text)
            run.bold = b.style == "strong"
            run.italic = b.style == "muted"
        elif isinstance(b, Bullets):
            for item in b.items:
                word.add_paragraph(item, style="List Bullet")
        elif isinstance(b, Table):
            _table(word, b)
        elif isinstance(b, Figure):
            continue  # numbers are in the table beside it
        elif isinstance(b, Signature):
            word.add_paragraph(b.place_date)
            grid = word.add_table(rows=3, cols=len(b.roles))
            for n, role in enumerate(b.roles):
                grid.cell(0, n).text = role
                grid.cell(2, n).text = "(nama dan NIP)" if doc.lang == "id" else \
                    "(name and ID number)"
                for row in (0, 2):
                    grid.cell(row, n).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _table(word, b: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    if b.caption:
        cap = word.add_paragraph()
        cap.add_run(b.caption).italic = True
    table = word.add_table(rows=1 + len(b.rows), cols=len(b.header))
    table.style = "Table Grid"
    # Row by row: python-docx's table.cell(r, c) walks the whole grid on every call.
    rows = table.rows
    for cell, text in zip(rows[0].cells, b.header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for r, row in enumerate(b.rows):
        for n, (cell, text) in enumerate(zip(rows[r + 1].cells, row, strict=True)):
            cell.text = text
            paragraph = cell.paragraphs[0]
            if n in b.numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if r in b.strong_rows and paragraph.runs:
                paragraph.runs[0].bold = True


def skm_docx(report: SkmReport) -> bytes:
    return document_docx(skm_document(report))
