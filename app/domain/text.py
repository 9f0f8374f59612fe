"""Invisible characters taken out of the text people and systems send, before it is stored
or shown.

What goes:

- Unicode *format* characters (category Cf): the bidirectional controls U+202A-U+202E and
  U+2066-U+2069 that reorder what a reader sees ("invoice\\u202Egnp.exe" shows as
  "invoiceexe.png"), the zero-width space, non-joiner, marks and word joiner
  (U+200B-U+200F, U+2060-U+2064), the byte-order mark U+FEFF, the soft hyphen U+00AD and the
  invisible tag characters U+E0000-U+E007F. Each lets two texts that look the same differ
  (a name, a code, a file name), or hides text from the person reading it.
- Control characters (category Cc) other than tab, line feed and carriage return: escape
  sequences, backspace, DEL and the C1 controls U+0080-U+009F. None is ever typed.

What stays:

- NUL (U+0000) is not removed: no text can hold it, and a request with one is refused
  outright (422, ``app.deps.refuse_nul`` and the check before every write), which says more
  than dropping it quietly would.
- The zero-width joiner U+200D *between two emoji* ("👩\\u200D💻", "🏳️\\u200D🌈"), where it
  builds one picture out of two. Anywhere else it goes: in Latin text it only hides a
  difference. (Scripts that join letters with it, such as Devanagari, are not written in this
  product.) The tag characters that spell the flags of England, Scotland and Wales go too:
  those flags show as a plain black flag.

Pure; ``clean_text`` is applied where text comes in (the input models, the form readers, the
upload name, the public survey), in the check before every write, and on every value a page
shows (``app.web.templating``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

ZWJ = "\u200d"
_KEPT_CONTROLS = frozenset("\t\n\r\x00")
# U+FE0F (emoji presentation) and the skin tones U+1F3FB-U+1F3FF may sit between an emoji
# and the joiner; they are not emoji themselves (categories Mn and Sk).
_EMOJI_TAILS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and char not in _KEPT_CONTROLS)


def _emoji(char: str) -> bool:
    """A pictograph (category So: every emoji a joiner sequence is made of)."""
    return unicodedata.category(char) == "So" and ord(char) > 0x2000


def _kept_joiner(text: str, at: int) -> bool:
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    return bool(before and after) and (before in _EMOJI_TAILS or _emoji(before)) and \
        _emoji(after)


def invisible_characters(text: str) -> Iterator[tuple[int, str]]:
    """(position, character) of each character ``clean_text`` removes."""
    if text.isprintable():  # no Cc or Cf character in it: Python's "printable"
        return
    for at, char in enumerate(text):
        if _invisible(char) and not (char == ZWJ and _kept_joiner(text, at)):
            yield at, char


def clean_text(text: str) -> str:
    """``text`` without its invisible format and control characters (see the module)."""
    if text.isprintable():
        return text  # the common case (no Cc or Cf character): nothing to look at
    drop = {at for at, _char in invisible_characters(text)}
    if not drop:
        return text
    return "".join(char for at, char in enumerate(text) if at not in drop)


def clean_value(value: object) -> object:
    """``clean_text`` on a text, or on every text inside lists and mappings (keys too);
    anything else as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_value(v) for v in value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    return value
