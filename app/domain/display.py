"""Display helpers: exact values are rounded only here, half up, for people and JSON."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

__all__ = ["format_grouped", "format_id", "round_half_up"]


def _units(value: Fraction | Decimal | int, places: int) -> int:
    """``value`` x 10**places rounded half away from zero, as an int (integer arithmetic only:
    floor(|n/d| x scale + 1/2) = (2|n| x scale + d) // 2d)."""
    if isinstance(value, float) or isinstance(places, bool) or places < 0:
        raise TypeError("round_half_up takes exact numbers (int, Decimal, Fraction)")
    if isinstance(value, int):
        numerator, denominator = int(value), 1
    elif isinstance(value, Fraction):
        numerator, denominator = value.numerator, value.denominator
    elif isinstance(value, Decimal):
        numerator, denominator = value.as_integer_ratio()
    else:
        exact = Fraction(value)
        numerator, denominator = exact.numerator, exact.denominator
    units = (2 * abs(numerator) * 10**places + denominator) // (2 * denominator)
    return -units if numerator < 0 else units


def round_half_up(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round an exact value half away from zero to ``places`` decimals (1/3 -> 0.33,
    0.125 -> 0.13, -0.125 -> -0.13)."""
    return Decimal(_units(value, places)).scaleb(-places)


def format_grouped(
    value: Fraction | Decimal | int, places: int = 2, *, group: str = ".", decimal: str = ","
) -> str:
    """Half-up rounded, thousands grouped by 3: 1234.5 -> '1.234,50' (or '1,234.50' with
    ``group=","`` and ``decimal="."``); '-' before a value that rounds below zero."""
    units = _units(value, places)
    whole, fraction = divmod(-units if units < 0 else units, 10**places)
    text = f"{whole:,}"
    if group != ",":
        text = text.replace(",", group)
    if places:
        text = f"{text}{decimal}{fraction:0{places}d}"
    return f"-{text}" if units < 0 else text


def format_id(value: Fraction | Decimal | int, places: int = 2) -> str:
    """Indonesian number format after half-up rounding: 87.555 -> '87,56', 1234.5 -> '1.234,50'."""
    return format_grouped(value, places)
