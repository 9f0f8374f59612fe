"""Display helpers: exact values are rounded only here, half up, for people and JSON."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

__all__ = ["format_id", "round_half_up"]


def round_half_up(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round an exact value half away from zero to ``places`` decimals (1/3 -> 0.33,
    0.125 -> 0.13, -0.125 -> -0.13)."""
    if isinstance(value, float) or isinstance(places, bool) or places < 0:
        raise TypeError("round_half_up takes exact numbers (int, Decimal, Fraction)")
    exact = Fraction(value)
    scale = 10**places
    magnitude = abs(exact) * scale
    units = int(magnitude + Fraction(1, 2))  # floor(x + 1/2) for x >= 0
    if exact < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def format_id(value: Fraction | Decimal | int, places: int = 2) -> str:
    """Indonesian number format after half-up rounding: 87.555 -> '87,56', 1234.5 -> '1.234,50'."""
    rounded = round_half_up(value, places)
    text = f"{abs(rounded):,.{places}f}"  # '1,234.50'
    text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"-{text}" if rounded < 0 else text
