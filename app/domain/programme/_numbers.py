"""Helpers for exact numbers: the domain accepts int and Decimal, never float or bool."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.domain.programme.messages import Problem

ExactNumber = int | Decimal


def is_exact_number(value: Any) -> bool:
    """True for int (not bool) and finite Decimal."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Decimal) and value.is_finite()


def check_exact_number(value: Any, field: str) -> list[Problem]:
    if is_exact_number(value):
        return []
    return [Problem("not_exact_number", {"got": type(value).__name__}, field=field)]


def is_whole(value: ExactNumber) -> bool:
    return isinstance(value, int) or value == value.to_integral_value()


def share(part: int, whole: int) -> Fraction | None:
    """part/whole as an exact Fraction; None when whole is 0 (nothing to share)."""
    return None if whole == 0 else Fraction(part, whole)
