"""The SKM report as PDF: the report's blocks in an HTML template
(``app/templates/reports/surveys/skm.html``), laid out by WeasyPrint with the system's fonts
(DejaVu, embedded as subsets; the text stays selectable). The SVG charts are those of
``app.services.charts``, inline.

Rendered by the project's one PDF adapter (``app.services.documents.pdf``: local files only,
fonts embedded), as the LKE report is.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.services import charts
from app.services.documents.pdf import render_pdf
from app.services.surveys.report import SkmReport
from app.services.surveys.report_document import Document, skm_document

MEDIA_TYPE = "application/pdf"
_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "reports"
_env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]))
#: The report's font, also in its charts: the pages' font list (system-ui, Segoe UI, Roboto)
#: names fonts a server lacks, and looking each one up for every chart label took WeasyPrint
#: seconds (bench/skm_report.py).
FONT = "DejaVu Sans"


def _chart_font(svg: str) -> str:
    return svg.replace(charts.quoteattr(charts.FONT), charts.quoteattr(FONT))


def _column_widths(table) -> list[str]:
    """Percent widths from each column's longest cell (capped, so one long text does not
    squeeze the rest) and its header's longest word. The tables use the fixed layout, which
    WeasyPrint lays out in one pass instead of measuring every cell twice (a third faster)."""
    weights = []
    for n, header in enumerate(table.header):
        body = max((len(row[n]) for row in table.rows), default=0)
        word = max((len(w) for w in header.split()), default=0)
        weights.append(max(min(body, 40), word) + 3)
    total = sum(weights)
    return [f"{100 * w / total:.1f}%" for w in weights]


_env.filters["chart_font"] = _chart_font
_env.filters["column_widths"] = _column_widths


def document_html(doc: Document) -> str:
    return _env.get_template("surveys/skm.html").render(
        doc=doc, page_word="Page" if doc.lang == "en" else "Halaman",
        name_word="(name and ID number)" if doc.lang == "en" else "(nama dan NIP)",
    )


def html_to_pdf(html: str) -> bytes:
    return render_pdf(html, base_url=_TEMPLATES)


def skm_pdf(report: SkmReport) -> bytes:
    return html_to_pdf(document_html(skm_document(report)))
