"""Every message code used by the programme domain exists in Indonesian and English."""

import re
import string
from pathlib import Path

import pytest

import app.domain.programme as programme
from app.domain.programme.messages import CATALOGUE, Problem, ProgrammeError, Reason, Text

SOURCE = Path(programme.__file__).parent
CODE = re.compile(r'(?:Problem|Reason|Message)\(\s*f?"([a-z_.0-9{}()]+)"')


def placeholders(template):
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_catalogue_entry_has_both_languages_with_same_placeholders(code):
    texts = CATALOGUE[code]
    assert set(texts) == {"id", "en"}
    assert placeholders(texts["id"]) == placeholders(texts["en"])


def test_every_code_used_in_the_source_is_catalogued():
    used = set()
    for path in SOURCE.glob("*.py"):
        used |= set(CODE.findall(path.read_text(encoding="utf-8")))
    dynamic = {c for c in used if "{" in c}
    assert dynamic == {"lke.ppf2f_{option.lower()}"}
    used = (used - dynamic) | {f"lke.ppf2f_{o}" for o in "abcde"}
    assert used <= set(CATALOGUE), used - set(CATALOGUE)


def test_rendering_and_fallback():
    p = Problem("required", field="nama")
    assert p.text() == "Kolom nama wajib diisi."
    assert p.text("en") == "Field nama is required."
    assert p.text("fr") == p.text("id")
    r = Reason("lke.not_operating", {"ids": (3, 5)})
    assert r.text("id") == (
        "Inovasi 3, 5 belum diterapkan (tahap inisiatif/uji coba), tidak dihitung.")
    assert Text("Satpam", "Security guards").text("en") == "Security guards"


def test_programme_error_carries_problems_and_english_text():
    err = ProgrammeError([Problem("required", field="title")])
    assert isinstance(err, ValueError)
    assert err.problems[0].field == "title"
    assert str(err) == "Field title is required."
