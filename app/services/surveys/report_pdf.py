"""The SKM report as PDF: the report's blocks in an HTML template
(``app/templates/reports/surveys/skm.html``), laid out by WeasyPrint with the system's fonts
(DejaVu, embedded as subsets; the text stays selectable). The SVG charts are those of
``app.services.charts``, inline.

``html_to_pdf`` is the one render call: swap it for a shared one when the project has it.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.services.surveys.report import SkmReport
from app.services.surveys.report_document import Document, skm_document

MEDIA_TYPE = "application/pdf"
_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "reports"
_env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]))


def document_html(doc: Document) -> str:
    return _env.get_template("surveys/skm.html").render(
        doc=doc, page_word="Page" if doc.lang == "en" else "Halaman",
        name_word="(name and ID number)" if doc.lang == "en" else "(nama dan NIP)",
    )


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    return HTML(string=html, base_url=str(_TEMPLATES)).write_pdf()


def skm_pdf(report: SkmReport) -> bytes:
    return html_to_pdf(document_html(skm_document(report)))
