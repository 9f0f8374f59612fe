"""QR codes for a campaign's public link (segno), as SVG for print and PNG for chat apps.

Pure rendering: no database. The link a code carries is the campaign's short public link,
with ``?src=<tag>`` when the code is for one counter or service (a *source tag*), so the
results can be split by where people scanned it.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import segno

__all__ = ["PNG_SCALES", "SOURCE_TAG", "public_link", "qr_png", "qr_svg", "results_link"]

#: Source tags are short slugs (counter or service names), safe in a URL without escaping.
SOURCE_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: Allowed PNG module sizes in pixels (10 px x ~37 modules ~ 450 px with the quiet zone).
PNG_SCALES = range(2, 41)


def public_link(base_url: str, code: str, source: str | None = None) -> str:
    """The short link printed under the QR code: ``<base>/s/<code>[?src=<tag>]``."""
    link = f"{base_url.rstrip('/')}/s/{quote(code, safe='')}"
    if source:
        link += f"?src={quote(source, safe='')}"
    return link


def results_link(base_url: str, unit_code: str) -> str:
    """The unit's public results page: ``<base>/hasil/<unit code>``."""
    return f"{base_url.rstrip('/')}/hasil/{quote(unit_code, safe='')}"


def _make(link: str) -> segno.QRCode:
    import segno  # loaded by the first QR code drawn, not by every server (about 1 MB)

    # Level M survives a smudged or partly covered poster and keeps the code small.
    return segno.make(link, error="m", micro=False, boost_error=False)


def qr_svg(link: str, *, title: str | None = None) -> bytes:
    """A scalable SVG (viewBox only, no fixed size) with the quiet zone of 4 modules."""
    out = io.BytesIO()
    _make(link).save(
        out, kind="svg", border=4, xmldecl=False, svgns=True, omitsize=True,
        title=title, svgclass="qr", lineclass=None, dark="#000", light="#fff",
    )
    return out.getvalue()


def qr_png(link: str, *, scale: int = 10) -> bytes:
    """A PNG with ``scale`` pixels per module (black on white, quiet zone of 4 modules)."""
    if scale not in PNG_SCALES:
        raise ValueError(f"scale must be {PNG_SCALES.start}-{PNG_SCALES.stop - 1}")
    out = io.BytesIO()
    _make(link).save(out, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    return out.getvalue()
