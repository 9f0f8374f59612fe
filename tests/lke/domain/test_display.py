from decimal import Decimal
from fractions import Fraction as F

from app.domain.display import format_id, round_half_up


def test_round_half_up():
    assert round_half_up(F(1, 3)) == Decimal("0.33")
    assert round_half_up(Decimal("0.125")) == Decimal("0.13")  # half up, not to even
    assert round_half_up(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_half_up(F(5999, 100)) == Decimal("59.99")
    assert round_half_up(-Decimal("0.125")) == Decimal("-0.13")
    assert round_half_up(100) == Decimal("100.00")


def test_format_id():
    assert format_id(Decimal("87.555")) == "87,56"
    assert format_id(F(263, 3)) == "87,67"
    assert format_id(Decimal("1234.5")) == "1.234,50"
    assert format_id(0) == "0,00"
