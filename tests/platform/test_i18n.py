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


def test_number_format_matches_babel_for_the_cldr_patterns():
    """The fast formatter gives what Babel gives for "#,##0.00" in id_ID and en_US."""
    from babel.numbers import format_decimal

    from app.domain.display import round_half_up

    values = [
        0, 7, -7, 1000, -1234567, 10**12,
        Decimal("0.005"), Decimal("-0.005"), Decimal("-0.004"), Decimal("999.995"),
        Decimal("-999.995"), Decimal("1234.5"), Decimal("1E+3"), Decimal("0E-5"),
        Fraction(1, 3), Fraction(-2, 3), Fraction(10**15 + 1, 7), Fraction(263, 3),
    ]
    for value in values:
        for places in range(4):
            pattern = "#,##0" + ("." + "0" * places if places else "")
            rounded = round_half_up(value, places)
            for lang, locale in (("id", "id_ID"), ("en", "en_US")):
                expected = format_decimal(rounded, format=pattern, locale=locale)
                assert format_number(value, places, lang=lang) == expected, (value, places)


def test_a_message_filled_with_values_is_translated_through_its_template():
    """Services write f-strings; the English catalogue holds their templates ({name})."""
    from app.i18n import gettext

    assert gettext("U1: jawaban harus antara 1 dan 4.", "en") == \
        "U1: the answer must be between 1 and 4."
    assert gettext("U3 (Kemudahan prosedur) wajib dijawab.", "en") == \
        "U3 (Kemudahan prosedur) must be answered."
    # A value that is itself a catalogue entry is translated too.
    assert gettext("Isian 'year' harus berupa bilangan bulat.", "en") == \
        "Field 'year' must be a whole number."
    # No template, no exact entry: the Indonesian stays (still readable, never a crash).
    assert gettext("Kalimat yang tidak ada di katalog 42.", "en") == \
        "Kalimat yang tidak ada di katalog 42."
    assert gettext("U1: jawaban harus antara 1 dan 4.", "id") == \
        "U1: jawaban harus antara 1 dan 4."


async def test_a_refused_survey_answer_reads_english_in_message_en(client, db, world, make_campaign):
    from tests.factories import issue_token

    campaign = make_campaign()
    token = issue_token(db, world, "UNIT-A1", ["read", "write:surveys"])
    response = await client.post(
        f"/api/v1/survey-campaigns/{campaign.id}/responses",
        json={"answers": {"ikm-2017": {"U1": 5, "U2": "3"}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    by_field = {e["field"]: e for e in response.json()["errors"]}
    u1 = by_field["answers.ikm-2017.U1"]
    assert (u1["code"], u1["message_en"]) == ("out_of_range", "U1: the answer must be between 1 and 4.")
    assert by_field["answers.ikm-2017.U2"]["message_en"] == "U2: the answer must be a whole number."
