"""Indonesian number entry: one parser for every numeric form field, shown back the same way."""

from decimal import Decimal

import pytest

from app.domain.numbers import NumberError, format_input, parse_integer, parse_number
from app.services.errors import Invalid
from app.services.form_input import FormInput


@pytest.mark.parametrize(("text", "value"), [
    ("12.500.000", Decimal("12500000")),
    ("12.500.000,50", Decimal("12500000.50")),
    ("12500000,5", Decimal("12500000.5")),
    ("3,62", Decimal("3.62")),
    ("3.62", Decimal("3.62")),  # a single dot that does not group by three: a decimal point
    ("-1.200", Decimal("-1200")),
    (" 1 200 ", Decimal("1200")),
    (",5", Decimal("0.5")),
])
def test_indonesian_numbers_are_read(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "-", "abc", "1.2.3", "12,500,000", "1,2,3", "1e5", "NaN",
                                  "12.50.000", "1.200,", "Rp 5"])
def test_junk_is_refused_with_an_example(text):
    with pytest.raises(NumberError, match="12.500.000,50"):
        parse_number(text)


def test_small_values_read_a_single_dot_as_decimal_point():
    assert parse_number("3.625", small=True) == Decimal("3.625")
    assert parse_number("3.625") == Decimal("3625")


def test_integers():
    assert parse_integer("1.200") == 1200
    with pytest.raises(NumberError, match="bulat"):
        parse_integer("1,5")


def test_shown_back_as_typed():
    assert format_input(Decimal("12500000.50")) == "12.500.000,50"
    assert format_input(12500000) == "12.500.000"
    assert format_input(Decimal("3.6")) == "3,6"
    assert format_input(Decimal("-1234.5")) == "-1.234,5"
    assert format_input("12.500.000,5") == "12.500.000,5"  # what was typed stays
    assert format_input(None) == ""
    assert parse_number(format_input(Decimal("9876543.21"))) == Decimal("9876543.21")


class _Budget(FormInput):
    amount: Decimal | None = None
    people: int | None = None


def test_every_form_input_reads_indonesian_numbers():
    got = _Budget.parse({"amount": "12.500.000,50", "people": "1.200"})
    assert got.amount == Decimal("12500000.50") and got.people == 1200


def test_a_form_lists_every_bad_number_at_once():
    with pytest.raises(Invalid) as exc:
        _Budget.parse({"amount": "dua juta", "people": "1,5"})
    assert exc.value.problems == [
        "Isian 'amount' harus berupa angka, misalnya 12.500.000,50.",
        "Isian 'people' harus berupa bilangan bulat.",
    ]


def test_programme_and_lke_forms_read_indonesian_numbers():
    from app.domain.lke import AnswerInput  # noqa: F401  (the domain type the LKE reads into)
    from app.services.lke import answers
    from app.services.programme.inputs import ImpactIn, InnovationIn

    innovation = InnovationIn.parse({"title": "SP2D antar", "phase": "wbk", "stage": "penerapan",
                                     "change_area": "pelayanan_publik",
                                     "budget": "12.500.000,50", "started_on": "2018-03-01"})
    assert innovation.budget == Decimal("12500000.50")
    with pytest.raises(Invalid) as exc:
        ImpactIn.parse({"label": "Waktu", "before_value": "lama", "after_value": "1.200",
                        "before_on": "2018-01-01", "after_on": "2019-01-01", "unit": "menit"})
    assert any("Nilai sebelum harus berupa angka" in p for p in exc.value.problems)
    # the worksheet: '1.200' people is 1200 (not 1,2), '3,62' and '3.62' an index of 3.62
    change = answers.AnswerChange("X", inputs={"a": "1.200", "b": "12.500"}, index="3,62")
    question = type("Q", (), {"options": (), "option_codes": ()})()
    normal = answers._normalise(question, change)
    assert normal.inputs == {"a": Decimal("1200"), "b": Decimal("12500")}
    assert normal.index == Decimal("3.62")
    assert answers._normalise(question, answers.AnswerChange("X", index="3.625")).index == \
        Decimal("3.625")
