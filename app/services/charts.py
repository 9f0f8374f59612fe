"""Server-side SVG charts: plain strings, reusable in a page and later in a PDF report.

No script, no ``style`` attribute (the Content-Security-Policy forbids inline styles): only
SVG presentation attributes. Every chart has ``role="img"``, a ``<title>`` and a
``<desc>``, and prints its numbers as text, so it reads without colour. Values are exact
numbers (Fraction/Decimal/int); labels shown are the caller's strings (already formatted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.domain.surveys.indices import to_fraction

INK = "#1f2933"
MUTED = "#62707d"
GRID = "#d5dbe1"
BAR = "#1d5c8c"
BAR_PRIORITY = "#c2410c"
LINE = "#1d5c8c"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


# xml.sax.saxutils' escape and quoteattr, the same output: importing that module pulls in
# urllib.request (with http.client, email...) into every serving process for three replaces.
def escape(data: str) -> str:
    """``&``, ``<`` and ``>`` as entities (text content)."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data: str) -> str:
    """An attribute value with its quotes: double unless the value holds a double quote."""
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' in data:
        if "'" in data:
            return '"' + data.replace('"', "&quot;") + '"'
        return "'" + data + "'"
    return '"' + data + '"'


def _n(value: float | Fraction) -> str:
    """An SVG coordinate with at most 2 decimals."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _text(x, y, content: str, *, anchor="start", size=13, fill=INK, weight="normal",
          title: str | None = None) -> str:
    tip = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'font-family={quoteattr(FONT)} fill="{fill}" font-weight="{weight}">'
        f"{tip}{escape(content)}</text>"
    )


# The widest a character of the 13 px labels gets on average (bold, wide letters): a label
# is shortened to what surely fits its column, the whole label in its tooltip.
_CHAR_WIDTH = 8


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. "U1 Persyaratan"
    value: Fraction | int | str
    shown: str  # e.g. "3,67"
    highlight: bool = False  # the priority element


def bar_chart(
    bars: Sequence[Bar], *, scale_max: int, scale_min: int = 0, title: str, desc: str = "",
    width: int = 680, label_width: int = 260, row: int = 30, note: str | None = None,
    chart_id: str = "bars", tick: int = 1, value_width: int = 56,
) -> str:
    """Horizontal bars from ``scale_min`` to each value, with a grid line every ``tick``
    steps of the scale (1: every step, as a 1-4 survey scale; 25 for a 0-100 one);
    ``value_width`` is the room right of the longest bar for its value."""
    top, bottom, right = 8, 26 + (18 if note else 0), value_width
    height = top + row * len(bars) + bottom
    plot = width - label_width - right
    span = Fraction(scale_max - scale_min)
    axis = top + row * len(bars)

    def x(v) -> Fraction:
        return label_width + plot * (to_fraction(v) - scale_min) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc or title)}</desc>',
    ]
    for step in range(scale_min, scale_max + 1, tick):
        gx = x(step)
        parts.append(
            f'<line x1="{_n(gx)}" y1="{top}" x2="{_n(gx)}" y2="{axis + 4}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(gx, axis + 18, str(step), anchor="middle", size=11, fill=MUTED))
    for n, bar in enumerate(bars):
        y = top + n * row
        fits = (label_width - 12) // _CHAR_WIDTH
        label = bar.label if len(bar.label) <= fits else bar.label[:fits - 1].rstrip() + "…"
        weight = "bold" if bar.highlight else "normal"
        parts.append(_text(label_width - 8, y + row / 2 + 4, label, anchor="end", weight=weight,
                           title=bar.label if label != bar.label else None))
        x0, x1 = x(scale_min), x(bar.value)
        parts.append(
            f'<rect x="{_n(x0)}" y="{_n(y + 5)}" width="{_n(max(x1 - x0, 0))}" '
            f'height="{row - 10}" rx="3" fill="{BAR_PRIORITY if bar.highlight else BAR}"/>'
        )
        parts.append(_text(x1 + 6, y + row / 2 + 4, bar.shown, weight=weight))
    if note:
        parts.append(_text(width - 4, height - 4, note, anchor="end", size=11, fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Band:
    lower: Fraction | int | str
    upper: Fraction | int | str
    label: str
    fill: str


IKM_BAND_FILLS = {"A": "#e3f4ea", "B": "#eaf2fb", "C": "#fdf3dc", "D": "#fde8e6"}


def line_chart(
    points: Sequence[tuple[str, Fraction | int | str, str]], *, y_min, y_max, title: str,
    desc: str = "", bands: Sequence[Band] = (), width: int = 640, height: int = 260,
    chart_id: str = "line",
) -> str:
    """A line over periods: points are (period label, exact value, shown value)."""
    left, right, top, bottom = 44, (110 if bands else 16), 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    pad = 36  # keeps the first and last point and their labels inside the plot
    lo, hi = to_fraction(y_min), to_fraction(y_max)

    def y(v) -> Fraction:
        return top + plot_h * (hi - to_fraction(v)) / (hi - lo)

    count = len(points)

    def x(i: int) -> Fraction:
        if count == 1:
            return Fraction(left + plot_w // 2)
        return left + pad + Fraction((plot_w - 2 * pad) * i, count - 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc or title)}</desc>',
    ]
    for band in bands:
        b_lo = max(to_fraction(band.lower), lo)
        b_hi = min(to_fraction(band.upper), hi)
        if b_hi <= b_lo:
            continue
        parts.append(
            f'<rect x="{left}" y="{_n(y(b_hi))}" width="{plot_w}" '
            f'height="{_n(y(b_lo) - y(b_hi))}" fill="{band.fill}"/>'
        )
        parts.append(_text(left + plot_w + 6, (y(b_hi) + y(b_lo)) / 2 + 4, band.label,
                           size=11, fill=MUTED))
    for tick in _ticks(lo, hi):
        parts.append(
            f'<line x1="{left}" y1="{_n(y(tick))}" x2="{left + plot_w}" y2="{_n(y(tick))}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y(tick) + 4, _n(tick), anchor="end", size=11, fill=MUTED))
    if count > 1:
        path = " ".join(f"{_n(x(i))},{_n(y(v))}" for i, (_, v, _) in enumerate(points))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>'
        )
    for i, (label, value, shown) in enumerate(points):
        px, py = x(i), y(value)
        parts.append(f'<circle cx="{_n(px)}" cy="{_n(py)}" r="4.5" fill="{LINE}"/>')
        parts.append(_text(px, py - 9, shown, anchor="middle", size=12, weight="bold"))
        parts.append(_text(px, height - 12, label, anchor="middle", size=11, fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: Fraction, hi: Fraction) -> list[Fraction]:
    span = hi - lo
    step = next(
        (s for s in (Fraction(1, 2), 1, 5, 10, 25, 50) if span / s <= 8), Fraction(span, 4)
    )
    first = -(-lo // step) * step
    ticks = []
    t = Fraction(first)
    while t <= hi:
        ticks.append(t)
        t += step
    return ticks
