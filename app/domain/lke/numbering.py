"""The official numbering of the LKE ZI worksheet (Lampiran III PermenPANRB 90/2021), beside
Zona's refs.

The printed worksheet numbers its rows by position: component ``A``/``B`` (Pengungkit,
Hasil), part ``I``/``II`` within its component, area ``1``..``6`` within its part,
sub-indicator ``i``/``ii``/``iii`` within its area and question ``a``/``b``/``c`` within its
sub-indicator. So ``PPA1A`` (Pemenuhan, Manajemen perubahan, Penyusunan Tim Kerja, first
question) is ``A.I.1.i.a`` and evidence folders handed to evaluators are named the same way
(``1.i.a``). The numbers follow the framework's document order, so they are derived, not
stored: a framework version with another order numbers itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.lke.framework import Framework

SEPARATOR = "."

_ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)


def roman(n: int) -> str:
    """1 -> 'I', 4 -> 'IV', 14 -> 'XIV' (n >= 1)."""
    if n < 1:
        raise ValueError("roman numerals start at 1")
    out = []
    for value, symbol in _ROMAN:
        count, n = divmod(n, value)
        out.append(symbol * count)
    return "".join(out)


def letter(n: int) -> str:
    """1 -> 'a', 26 -> 'z', 27 -> 'aa' (as spreadsheets name columns, lower case)."""
    if n < 1:
        raise ValueError("letters start at 1")
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


@dataclass(frozen=True)
class OfficialNumber:
    """One node's number: ``own`` as printed on its row ('i'), ``full`` from the component
    down ('A.I.1.i'), ``level`` one of component, part, area, sub_indicator, question."""

    own: str
    full: str
    level: str


def official_numbers(framework: Framework) -> dict[str, OfficialNumber]:
    """Every node ref of the framework -> its official number."""
    out: dict[str, OfficialNumber] = {}
    for c_index, component in enumerate(framework.components, start=1):
        c_num = letter(c_index).upper()
        out[component.ref] = OfficialNumber(c_num, c_num, "component")
        for p_index, part in enumerate(component.parts, start=1):
            p_full = f"{c_num}{SEPARATOR}{roman(p_index)}"
            out[part.ref] = OfficialNumber(roman(p_index), p_full, "part")
            for a_index, area in enumerate(part.areas, start=1):
                a_full = f"{p_full}{SEPARATOR}{a_index}"
                out[area.ref] = OfficialNumber(str(a_index), a_full, "area")
                for s_index, sub in enumerate(area.sub_indicators, start=1):
                    s_own = roman(s_index).lower()
                    s_full = f"{a_full}{SEPARATOR}{s_own}"
                    out[sub.ref] = OfficialNumber(s_own, s_full, "sub_indicator")
                    for q_index, question in enumerate(sub.questions, start=1):
                        q_own = letter(q_index)
                        out[question.ref] = OfficialNumber(
                            q_own, f"{s_full}{SEPARATOR}{q_own}", "question")
    return out


def numbers_of(framework: Framework) -> dict[str, OfficialNumber]:
    """``official_numbers``, computed once per framework object."""
    return framework.derived("official_numbers", official_numbers)
