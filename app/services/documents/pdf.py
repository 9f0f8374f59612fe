"""HTML -> PDF with WeasyPrint: an adapter any report uses (LKE report, SKM report...).

The HTML is a complete document with its print CSS (page size, margins, running footer);
``base_url`` is the folder its relative URLs (stylesheets, images) resolve against. Only
``data:`` URLs and files under that folder are fetched: a report never reaches the network
or the rest of the disk, whatever text ends up in it. Fonts are Debian's (installed by
``.ci/run`` and the Dockerfile), embedded as subsets, so the text is selectable and the
document looks the same wherever it is opened.

WeasyPrint (with Pango through cffi) is imported on the first document, not with the app:
it is a good part of a worker's start-up, and uvicorn restarts a worker that is slow to start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from app.services import charts

PDF_MEDIA_TYPE = "application/pdf"
#: The font of the pages' SVG charts in print. The pages' list (system-ui, Segoe UI, Roboto)
#: names fonts a server lacks, and WeasyPrint looking each one up for every chart label cost
#: about half a second per chart (bench/report_pdf.py, bench/skm_report.py).
CHART_FONT = "Liberation Sans"


@dataclass(frozen=True)
class _Engine:
    html: Any  # weasyprint.HTML
    fetcher: Any  # a weasyprint.URLFetcher subclass taking the allowed root folder
    fonts: Any  # weasyprint FontConfiguration, one per process


@lru_cache(maxsize=1)
def _engine() -> _Engine:
    """WeasyPrint, loaded once per process (fontconfig's lookup is paid once too)."""
    from weasyprint import HTML, URLFetcher
    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint warns about every CSS property it ignores (and about refused URLs): worth
    # nothing to the people reading the server's log.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    class LocalFetcher(URLFetcher):
        """Fetches ``data:`` URLs and files below ``root``; refuses everything else."""

        def __init__(self, root: Path):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = root

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if not path.is_relative_to(self.root):
                    raise ValueError(f"outside the document's folder: {url}")
            elif parts.scheme != "data":
                raise ValueError(f"not fetched for a document: {url}")
            return super().fetch(url, headers)

    return _Engine(HTML, LocalFetcher, FontConfiguration())


def render_pdf(html: str, *, base_url: str | Path) -> bytes:
    """The PDF of a complete HTML document (its print CSS inside or linked under
    ``base_url``)."""
    engine = _engine()
    root = Path(base_url).resolve()
    html = html.replace(charts.quoteattr(charts.FONT), charts.quoteattr(CHART_FONT))
    document = engine.html(string=html, base_url=root.as_uri() + "/",
                           url_fetcher=engine.fetcher(root))
    return document.write_pdf(font_config=engine.fonts)
