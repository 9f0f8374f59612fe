"""The official worksheet numbering (A/I/1/i/a), counted by hand from the printed LKE ZI 2021
order: Pengungkit (A) > Pemenuhan (I), Reform (II); Hasil (B) > Birokrasi bersih (I),
Pelayanan prima (II)."""

import pytest

from app.domain.lke.numbering import letter, numbers_of, official_numbers, roman


@pytest.mark.parametrize(("n", "text"), [(1, "I"), (2, "II"), (3, "III"), (4, "IV"), (6, "VI"),
                                        (9, "IX"), (14, "XIV"), (40, "XL")])
def test_roman(n, text):
    assert roman(n) == text


@pytest.mark.parametrize(("n", "text"), [(1, "a"), (3, "c"), (26, "z"), (27, "aa"), (28, "ab")])
def test_letter(n, text):
    assert letter(n) == text


def test_numbers_follow_the_printed_worksheet(fw):
    numbers = official_numbers(fw)
    expected = {
        "P": "A", "H": "B",
        "PP": "A.I", "PR": "A.II", "HB": "B.I", "HP": "B.II",
        "PPA": "A.I.1", "PPF": "A.I.6", "PRA": "A.II.1", "PRB": "A.II.2",
        "PPA1": "A.I.1.i", "PPA2": "A.I.1.ii", "PPC6": "A.I.3.vi",
        "PPA1A": "A.I.1.i.a", "PPA1B": "A.I.1.i.b",
        "PPA2C": "A.I.1.ii.c",
        # PPD2 has eight questions: the last is the 8th letter
        "PPD2H": "A.I.4.ii.h",
        "PRB3C": "A.II.2.iii.c",
        "HBA1A": "B.I.1.i.a", "HBB1A": "B.I.2.i.a", "HPA1A": "B.II.1.i.a",
    }
    assert {ref: numbers[ref].full for ref in expected} == expected
    assert numbers["PPA2C"].own == "c" and numbers["PPA2"].own == "ii"
    assert numbers["PR"].own == "II" and numbers["PRB"].own == "2"
    assert numbers["PPA1A"].level == "question" and numbers["PPA1"].level == "sub_indicator"
    # every node numbered once, every full number distinct
    assert len(numbers) == sum(1 for _ in fw.iter_nodes())
    assert len({n.full for n in numbers.values()}) == len(numbers)
    assert numbers_of(fw) is numbers_of(fw)
