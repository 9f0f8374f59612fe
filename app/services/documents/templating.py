"""The Jinja2 environment of printed documents, over the same template folder as the pages.

A report includes the pages' partials and macros (``pages/lke/_macros.html``...), so it
formats numbers, verdicts and labels exactly as the pages do. The helpers both need are
defined here, below the two faces, and ``app.web.templating`` registers the same ones on the
pages' environment. A document is rendered in one language given by its caller (not the
request's), so the helpers take the language from ``current_language`` set around the
render (see :func:`render_document`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.domain.display import round_half_up
from app.domain.lke import review as lke_review
from app.domain.text import clean_text
from app.i18n import current_language, format_date, format_number, gettext
from app.services.lke.assessments import STATUS_LABELS

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
#: Stylesheets and images a document links to (relative URLs resolve here).
STATIC_DIR = TEMPLATE_DIR.parent / "static"


# --- helpers of the pages and the documents -------------------------------------------------

def dec(value, places: int = 4) -> str:
    """A machine number for HTML attributes (meter value, input value): '12.3456'."""
    if value is None:
        return "0"
    if not isinstance(value, int | Fraction | Decimal):
        value = Fraction(value)
    return str(round_half_up(value, places))


def answer_label(question, data: dict | None) -> str:
    """A stored LKE answer as people read it: "B", "Ya", "3,62", or "a=1; b=2"."""
    if not data:
        return "—"
    if data.get("option"):
        return str(data["option"])
    if data.get("index") is not None:
        return str(data["index"]).replace(".", ",")
    if data.get("inputs"):
        labels = {i.key: i.label for i in question.inputs} if question else {}
        return "; ".join(
            f"{labels.get(k, k)}: {str(v).replace('.', ',')}" for k, v in data["inputs"].items()
        )
    return "—"


REVIEW_PARTY_NAMES = {
    "self": "Penilaian mandiri", lke_review.REGIONAL: "Kantor Wilayah", lke_review.TPI: "TPI",
}

_ID_DECIMAL = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d+),(\d+)(?![\d,])")


def local_numbers(text: Any) -> Any:
    """A sentence a service wrote with Indonesian numbers ('nilai 61,01 di bawah 85,00'),
    its numbers in English form ('61.01', '1,234.50') on an English page."""
    if not isinstance(text, str) or current_language.get() != "en":
        return text
    return _ID_DECIMAL.sub(
        lambda m: f"{m.group(1).replace('.', ',')}.{m.group(2)}", text)


def shown(value: Any) -> Any:
    """Every ``{{ ... }}`` a template prints: a text without invisible characters
    (app.domain.text), whatever was stored before they were refused at the input. Markup is
    the output of a template or macro, whose own expressions already passed here."""
    if type(value) is str and not value.isprintable():
        return clean_text(value)  # (printable text has no Cc or Cf character: no call)
    return value


#: What pages and documents alike reach besides their context.
SHARED_GLOBALS: dict[str, Any] = {
    "_": gettext,
    "fmt": format_number,
    "fmt_date": format_date,
    "status_labels": STATUS_LABELS,
    "review_level_names": lke_review.LEVEL_NAMES,
    "review_status_names": lke_review.STATUS_NAMES,
    "review_party_names": REVIEW_PARTY_NAMES,
    "answer_label": answer_label,
}
SHARED_FILTERS: dict[str, Any] = {"dec": dec, "local_numbers": local_numbers}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(("html", "xml"), default_for_string=True),
        finalize=shown,
        auto_reload=False,
    )
    env.globals.update(SHARED_GLOBALS)
    env.filters.update(SHARED_FILTERS)
    return env


env = _environment()


def render_document(name: str, context: dict[str, Any], *, lang: str) -> str:
    """The HTML of document template ``name`` in ``lang`` ("id" or "en")."""
    token = current_language.set(lang)
    try:
        return env.get_template(name).render({**context, "lang": lang})
    finally:
        current_language.reset(token)
