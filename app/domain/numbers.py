"""Numbers as people type them on a page, in Indonesian: '12.500.000' and '12.500.000,50'.

One parser for every numeric form field (``app.services.form_input``, the programme forms, the
LKE worksheet and review), and its twin that shows a stored number back the same way.

The comma is the decimal separator and the dot groups thousands. Without a comma, dots that
group exactly by three ('1.200', '12.500.000') group thousands; a single dot that does not
('3.62', '0.5') is read as a decimal point, as a machine or an English keyboard writes it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["NumberError", "format_input", "parse_integer", "parse_number"]

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_GROUPED = r"\d{1,3}(?:\.\d{3})+"
_COMMA = re.compile(rf"(?P<whole>\d+|{_GROUPED})?,(?P<fraction>\d+)")
_GROUPED_ONLY = re.compile(_GROUPED)
_POINT = re.compile(r"\d*\.\d+|\d+")


class NumberError(ValueError):
    """The text is not a number; the message says how to write one."""


def parse_number(text: str, *, small: bool = False) -> Decimal:
    """'12.500.000' -> 12500000, '12.500.000,50' -> 12500000.50, '3,62' and '3.62' -> 3.62,
    '-1.200' -> -1200; NumberError for anything else ('12,500,000', '1.2.3', 'abc', '').

    ``small``: a value that is never in the thousands (an index from 1 to 4), so a single dot
    is its decimal point: '3.625' -> 3.625."""
    raw = _SPACES.sub("", str(text))
    sign = ""
    if raw[:1] and raw[:1] in "+-":
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    plain: str | None = None
    if "," in raw:
        match = _COMMA.fullmatch(raw)
        if match:
            plain = f"{(match['whole'] or '0').replace('.', '')}.{match['fraction']}"
    elif small and _POINT.fullmatch(raw):
        plain = raw
    elif _GROUPED_ONLY.fullmatch(raw):
        plain = raw.replace(".", "")
    elif _POINT.fullmatch(raw):
        plain = raw
    if plain is None:
        raise NumberError(
            "harus berupa angka, misalnya 12.500.000 atau 12.500.000,50")
    try:
        value = Decimal(sign + plain)
    except InvalidOperation:  # pragma: no cover - the patterns above admit digits only
        raise NumberError("harus berupa angka") from None
    return value


def parse_integer(text: str) -> int:
    """A whole number typed as people write it: '1.200' -> 1200; '1,5' is refused."""
    value = parse_number(text)
    if value != value.to_integral_value():
        raise NumberError("harus berupa bilangan bulat, misalnya 1.200")
    return int(value)


def format_input(value: Decimal | int | str | None) -> str:
    """A stored number shown back in a form field as it would be typed: 12500000.50 ->
    '12.500.000,50', 1200 -> '1.200'; its own decimals kept (3.6 -> '3,6'). Text (what the
    person typed, refused) is shown unchanged."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value
    number = Decimal(value)
    if not number.is_finite():
        return str(value)
    sign = "-" if number < 0 else ""
    text = format(abs(number), "f")
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"
