"""Translations (gettext catalogs) and number/date formatting.

Message ids are the Indonesian text: Indonesian is the product's first language, so a
string without a translation still reads correctly in the default UI. `en.po` translates
them to English (`app/i18n/en/<capability>.po`). Catalogs are compiled in memory at start-up (no binary .mo in the repo).
"""

from __future__ import annotations

import contextvars
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

from app.domain.display import format_grouped

LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
CATALOG_DIR = Path(__file__).parent

current_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "zona_language", default="id"
)


@lru_cache
def _catalog(lang: str) -> dict[str, str]:
    """Every `app/i18n/<lang>/*.po` file merged (one file per capability)."""
    merged: dict[str, str] = {}
    for path in sorted((CATALOG_DIR / lang).glob("*.po")):
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        merged.update(
            {
                message.id: message.string
                for message in catalog
                if message.id and isinstance(message.id, str) and message.string
            }
        )
    return merged


def gettext(message: str, lang: str | None = None) -> str:
    lang = lang or current_language.get()
    if lang == "id":
        return message
    found = _catalog(lang).get(message)
    if found is not None:
        return found
    return _translate_filled(message, lang) or message


_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


@lru_cache
def _templates(lang: str) -> list[tuple[re.Pattern[str], str]]:
    """The catalogue's entries with ``{name}`` placeholders, as patterns matching a message
    already filled in (most literal text first, so the most specific template wins)."""
    templates = []
    for source, translated in _catalog(lang).items():
        if "{" not in source:
            continue
        seen: set[str] = set()

        def group(match: re.Match[str], seen=seen) -> str:
            name = match.group(1)
            if name in seen:
                return f"(?P={name})"
            seen.add(name)
            return f"(?P<{name}>.+?)"

        pattern = _PLACEHOLDER.sub(group, re.escape(source))
        if seen:
            literal = len(_PLACEHOLDER.sub("", re.escape(source)))
            templates.append((literal, re.compile(pattern, re.S), translated))
    templates.sort(key=lambda entry: -entry[0])
    return [(pattern, translated) for _, pattern, translated in templates]


def _translate_filled(message: str, lang: str) -> str | None:
    """A message a service built with values (``f"{code}: jawaban harus antara {low} dan
    {high}."``) translated through the catalogue's template of it: services keep writing
    plain Indonesian sentences, and the API's ``message_en`` / English pages still read
    English. Each value is translated too when the catalogue has it (a word like
    ``wajib diisi``). None when no template matches."""
    for pattern, translated in _templates(lang):
        match = pattern.fullmatch(message)
        if match is None:
            continue
        # a value is translated too: a word of the catalogue, or a filled message itself
        # (a requirement's label inside the reason it failed), shorter each time
        values = {name: _catalog(lang).get(value)
                  or (_translate_filled(value, lang) if len(value) < len(message) else None)
                  or value
                  for name, value in match.groupdict().items()}
        try:
            return translated.format(**values)
        except (KeyError, IndexError, ValueError):
            return None
    return None


def missing_translations(lang: str, messages: list[str]) -> list[str]:
    catalog = _catalog(lang)
    return [m for m in messages if m not in catalog]


def _exact(value) -> Fraction:
    """Templates may hand over floats from the database (SQLite AVG): read them as text."""
    if isinstance(value, float):
        return Fraction(Decimal(str(value)))
    return Fraction(value)


# Separators (group, decimal) of the CLDR number patterns of id_ID and en_US: "#,##0.00"
# gives '1.234,50' and '1,234.50'. Formatting with them directly gives Babel's output for
# these patterns (tests/foundation/test_i18n.py compares both) without re-parsing the
# pattern and the locale on every call: pages format ~1000 numbers each.
_SEPARATORS = {"id": (".", ","), "en": (",", ".")}


def format_number(value, places: int = 2, lang: str | None = None) -> str:
    """`87,56` in Indonesian, `87.56` in English; '-' for no value."""
    if value is None:
        return "-"
    group, decimal = _SEPARATORS["id" if (lang or current_language.get()) == "id" else "en"]
    if isinstance(value, float):
        value = _exact(value)
    return format_grouped(value, places, group=group, decimal=decimal)


def format_date(value: date | datetime | None, tz: str = "Asia/Jakarta") -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(tz))
        return local.strftime("%d-%m-%Y %H:%M")
    return value.strftime("%d-%m-%Y")
