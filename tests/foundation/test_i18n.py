"""Every UI string in the templates has an English translation; formatting is Indonesian."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from app.i18n import format_number, missing_translations

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
LITERAL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def template_messages() -> set[str]:
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        for double, single in LITERAL.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


def test_every_template_string_has_an_english_translation():
    messages = sorted(template_messages())
    assert len(messages) > 30
    assert missing_translations("en", messages) == []


def test_numbers_are_shown_in_indonesian_format():
    assert format_number(Decimal("87.555"), lang="id") == "87,56"
    assert format_number(Fraction(1, 3), lang="id") == "0,33"
    assert format_number(Decimal("1234.5"), lang="id") == "1.234,50"
    assert format_number(Decimal("1234.5"), lang="en") == "1,234.50"
    assert format_number(None) == "-"
