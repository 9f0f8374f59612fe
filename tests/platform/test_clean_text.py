"""app.domain.text.clean_text: the invisible characters taken out of incoming text (pure)."""

from __future__ import annotations

import pytest

from app.domain.text import clean_text, clean_value, invisible_characters


@pytest.mark.parametrize("raw,clean", [
    # The bidirectional controls: embeddings and overrides U+202A-U+202E, isolates
    # U+2066-U+2069, and the marks U+200E, U+200F and U+061C.
    ("invoice\u202egnp.exe", "invoicegnp.exe"),
    ("a\u202ab\u202bc\u202cd\u202de\u202ef", "abcdef"),
    ("\u2066kiri\u2069 \u2067kanan\u2069 \u2068x\u2069", "kiri kanan x"),
    ("a\u200eb\u200fc\u061cd", "abcd"),
    # Zero-width space, non-joiner, word joiner, invisible operators, BOM, soft hyphen.
    ("ad\u200bmin", "admin"),
    ("a\u200cb\u2060c\u2061d\u2062e\u2063f\u2064g", "abcdefg"),
    ("\ufeffKPPN", "KPPN"),
    ("pe\u00adla\u00adya\u00adnan", "pelayanan"),
    # The tag characters (invisible ASCII look-alikes).
    ("ok\U000e0041\U000e0042\U000e007f", "ok"),
    # Control characters: escape sequences, backspace, DEL, C1 controls.
    ("merah\x1b[31m", "merah[31m"),
    ("ab\x08c\x7fd", "abcd"),
    ("x\x85y\x9bz\x80", "xyz"),
])
def test_invisible_characters_are_removed(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize("text", [
    "Kantor Pelayanan Perbendaharaan Negara",
    "baris satu\nbaris dua\r\nkolom\ttab",  # tab, line feed and carriage return stay
    "Café, naïve, Ñ, ß, Ünïcödé",
    "日本語, العربية, ไทย, 한국어",
    "Pelayanan bagus 👍🏽 ❤️ 🇮🇩",  # skin tone (Sk), variation selector (Mn), flag (So)
    "nilai\x00",  # NUL is refused by the request gate and before every write, not dropped
    "",
])
def test_visible_text_is_left_as_it_is(text):
    assert clean_text(text) == text
    assert list(invisible_characters(text)) == []


def test_the_zero_width_joiner_stays_between_emoji_only():
    technologist = "\U0001f469\u200d\U0001f4bb"  # woman + ZWJ + laptop: one picture
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    rainbow_flag = "\U0001f3f3\ufe0f\u200d\U0001f308"  # after the presentation selector
    toned = "\U0001f468\U0001f3fd\u200d\U0001f4bb"  # after a skin tone
    for sequence in (technologist, family, rainbow_flag, toned):
        assert clean_text(f"Tim {sequence} hebat") == f"Tim {sequence} hebat"
    # Anywhere else it only hides a difference.
    assert clean_text("ad\u200dmin") == "admin"
    assert clean_text("\u200d\U0001f4bb") == "\U0001f4bb"
    assert clean_text("\U0001f469\u200d") == "\U0001f469"
    assert clean_text("\U0001f469\u200d x") == "\U0001f469 x"
    assert clean_text("\U0001f469\u200d\u200d\U0001f4bb") == "\U0001f469\U0001f4bb"


def test_the_positions_of_what_is_removed():
    assert list(invisible_characters("a\u202eb\u200bc")) == [(1, "\u202e"), (3, "\u200b")]


def test_texts_inside_lists_and_mappings_are_cleaned_and_the_rest_kept():
    assert clean_value({"na\u200bme": ["a\u202eb", 3, None], "n": 1.5, "t": ("\ufeffx",)}) == \
        {"name": ["ab", 3, None], "n": 1.5, "t": ("x",)}
    assert clean_value(7) == 7
