"""Survey instruments (IKM, SPKP, SPAK) as data: YAML files in ``app/frameworks/surveys``
(read by app.services.surveys.instruments; this module sees only the parsed document).

An instrument is a frozen tree of dataclasses. :func:`parse_instrument` checks the whole
document and raises one :class:`InstrumentError` listing *every* problem, so whoever edits a
file fixes it in one round. The answer scale is data (``scale_min``/``scale_max``), so an
SPKP on 1-6 is a new file, not a code change; IKM is fixed at 1-4 by its formula.

File shape (see the bundled files)::

    code: spkp            # stable, unique
    kind: spkp            # ikm | spkp | spak
    source: ...           # regulation or origin, free text
    title: {id: ..., en: ...}
    scale_min: 1
    scale_max: 4
    labels: {1: {id: ..., en: ...}, ...}   # optional default for every item
    items:
      - code: P1
        name: {id: ..., en: ...}
        question: {id: ..., en: ...}
        labels: {1: {id: ..., en: ...}, ...}  # optional, overrides the default
    profile:              # optional respondent profile
      - code: gender
        label: {id: ..., en: ...}
        required: false
        options: [{code: L, id: Laki-laki, en: Male}, ...]
    suggestion: {code: saran, label: {id: ..., en: ...}, required: false, max_length: 2000}
    grades:               # ikm only, optional (default: PermenPANRB 14/2017)
      - {letter: A, lower: "88.31", upper: "100.00", id: Sangat Baik, en: Very good}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from app.domain.surveys.indices import (
    IKM_2017_BANDS,
    IKM_SCALE_MAX,
    IKM_SCALE_MIN,
    GradeBand,
    band_problems,
)

__all__ = [
    "KINDS",
    "Instrument",
    "InstrumentError",
    "Item",
    "ProfileField",
    "ProfileOption",
    "ScalePoint",
    "SuggestionField",
    "Text",
    "parse_instrument",
]

Kind = Literal["ikm", "spkp", "spak"]
KINDS: tuple[str, ...] = ("ikm", "spkp", "spak")

_TOP_KEYS = {
    "code", "kind", "source", "title", "instructions", "scale_min", "scale_max", "labels",
    "items", "profile", "suggestion", "grades",
}
_ITEM_KEYS = {"code", "name", "question", "labels"}
_FIELD_KEYS = {"code", "label", "required", "options"}
_OPTION_KEYS = {"code", "id", "en"}
_SUGGESTION_KEYS = {"code", "label", "required", "max_length"}
_GRADE_KEYS = {"letter", "lower", "upper", "id", "en"}


class InstrumentError(ValueError):
    """An instrument document is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str] | tuple[str, ...], source: str = "instrument"):
        self.problems: tuple[str, ...] = tuple(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class Text:
    """Wording in Indonesian (shown to respondents by default) and English."""

    id: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


@dataclass(frozen=True)
class ScalePoint:
    value: int
    label: Text


@dataclass(frozen=True)
class Item:
    """One question: an IKM element (``U1``) or an SPKP/SPAK item (``P1``, ``A1``)."""

    code: str
    name: Text
    question: Text
    #: One point per scale value, ascending; worded per item.
    scale: tuple[ScalePoint, ...]

    def label(self, value: int) -> Text:
        for point in self.scale:
            if point.value == value:
                return point.label
        raise KeyError(value)


@dataclass(frozen=True)
class ProfileOption:
    code: str
    label: Text


@dataclass(frozen=True)
class ProfileField:
    """A respondent-profile question (gender, age group, ...) with coded options."""

    code: str
    label: Text
    options: tuple[ProfileOption, ...]
    required: bool = False

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class SuggestionField:
    code: str
    label: Text
    required: bool = False
    max_length: int = 2000


@dataclass(frozen=True)
class Instrument:
    code: str
    kind: Kind
    title: Text
    source: str
    scale_min: int
    scale_max: int
    items: tuple[Item, ...]
    profile: tuple[ProfileField, ...] = ()
    suggestion: SuggestionField | None = None
    instructions: Text | None = None
    #: IKM grade bands (kind ``ikm`` only; empty for perception surveys).
    grades: tuple[GradeBand, ...] = ()

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)

    @property
    def scale_values(self) -> tuple[int, ...]:
        return tuple(range(self.scale_min, self.scale_max + 1))

    def item(self, code: str) -> Item:
        for i in self.items:
            if i.code == code:
                return i
        raise KeyError(code)

    def profile_field(self, code: str) -> ProfileField:
        for f in self.profile:
            if f.code == code:
                return f
        raise KeyError(code)


# --------------------------------------------------------------------------- parsing


class _Checker:
    """Collects problems while building; parse helpers return ``None`` on a problem."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(self, where: str, value: Any, allowed: set[str]) -> Mapping | None:
        if not isinstance(value, Mapping):
            self.add(where, f"must be a mapping, got {type(value).__name__}")
            return None
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            self.add(where, "unknown key(s): " + ", ".join(unknown))
        return value

    def string(self, where: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.add(where, "must be a non-empty string")
            return None
        return value.strip()

    def code(self, where: str, value: Any) -> str | None:
        text = self.string(where, value)
        if text is not None and any(ch.isspace() for ch in text):
            self.add(where, f"code {text!r} must not contain spaces")
            return None
        return text

    def integer(self, where: str, value: Any) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(where, f"must be an integer, got {value!r}")
            return None
        return value

    def boolean(self, where: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(where, f"must be true or false, got {value!r}")
            return default
        return value

    def text(self, where: str, value: Any) -> Text | None:
        m = self.mapping(where, value, {"id", "en"})
        if m is None:
            return None
        id_ = self.string(f"{where}.id", m.get("id"))
        en = self.string(f"{where}.en", m.get("en"))
        return Text(id_, en) if id_ is not None and en is not None else None

    def two_decimals(self, where: str, value: Any) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(where, f"must be a number like \"88.31\", got {value!r}")
            return None
        try:
            # str() of a YAML float gives back the digits as written (88.31 -> "88.31").
            d = Decimal(str(value).strip())
        except InvalidOperation:
            self.add(where, f"must be a number like \"88.31\", got {value!r}")
            return None
        if not d.is_finite() or d != d.quantize(Decimal("0.01")):
            self.add(where, f"must have at most 2 decimals, got {value!r}")
            return None
        return d.quantize(Decimal("0.01"))


def _labels(
    c: _Checker, where: str, value: Any, scale: tuple[int, ...] | None
) -> dict[int, Text] | None:
    if not isinstance(value, Mapping):
        c.add(where, f"must be a mapping of scale value to {{id, en}}, got {type(value).__name__}")
        return None
    out: dict[int, Text] = {}
    for key, raw in value.items():
        if isinstance(key, bool):
            number = None
        elif isinstance(key, int):
            number = key
        elif isinstance(key, str) and key.strip().lstrip("-").isdigit():
            number = int(key)
        else:
            number = None
        if number is None:
            c.add(where, f"label key {key!r} is not an integer scale value")
            continue
        if number in out:
            c.add(where, f"scale value {number} labelled twice")
            continue
        if scale is not None and number not in scale:
            c.add(where, f"label for {number} is outside the scale {scale[0]}-{scale[-1]}")
        text = c.text(f"{where}[{number}]", raw)
        if text is not None:
            out[number] = text
    return out


def _items(
    c: _Checker, raw: Any, scale: tuple[int, ...] | None, default_labels: dict[int, Text] | None
) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        c.add("items", "must be a non-empty list")
        return ()
    items: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        where = f"items[{n}]"
        m = c.mapping(where, entry, _ITEM_KEYS)
        if m is None:
            continue
        code = c.code(f"{where}.code", m.get("code"))
        if code is not None:
            where = f"items[{n}] {code}"
            if code in seen:
                c.add(where, f"duplicate item code {code!r}")
            seen.add(code)
        name = c.text(f"{where}.name", m.get("name"))
        question = c.text(f"{where}.question", m.get("question"))
        if "labels" in m:
            labels = _labels(c, f"{where}.labels", m["labels"], scale)
        elif default_labels is not None:
            labels = default_labels
        else:
            c.add(where, "no labels (give item labels or instrument-level labels)")
            labels = None
        if labels is not None and scale is not None:
            missing = [v for v in scale if v not in labels]
            if missing:
                c.add(where, "no label for scale value(s) " + ", ".join(map(str, missing)))
        if None in (code, name, question, labels) or scale is None:
            continue
        points = tuple(ScalePoint(v, labels[v]) for v in scale if v in labels)
        items.append(Item(code, name, question, points))
    return tuple(items)


def _profile(c: _Checker, raw: Any) -> tuple[ProfileField, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add("profile", "must be a list")
        return ()
    fields: list[ProfileField] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        where = f"profile[{n}]"
        m = c.mapping(where, entry, _FIELD_KEYS)
        if m is None:
            continue
        code = c.code(f"{where}.code", m.get("code"))
        if code is not None:
            where = f"profile[{n}] {code}"
            if code in seen:
                c.add(where, f"duplicate profile field {code!r}")
            seen.add(code)
        label = c.text(f"{where}.label", m.get("label"))
        required = c.boolean(f"{where}.required", m.get("required"), False)
        raw_options = m.get("options")
        options: list[ProfileOption] = []
        if not isinstance(raw_options, list) or not raw_options:
            c.add(f"{where}.options", "must be a non-empty list")
        else:
            option_codes: set[str] = set()
            for k, option in enumerate(raw_options):
                ow = f"{where}.options[{k}]"
                om = c.mapping(ow, option, _OPTION_KEYS)
                if om is None:
                    continue
                ocode = c.code(f"{ow}.code", om.get("code"))
                if ocode is not None and ocode in option_codes:
                    c.add(ow, f"duplicate option code {ocode!r}")
                option_codes.add(ocode)
                id_ = c.string(f"{ow}.id", om.get("id"))
                en = c.string(f"{ow}.en", om.get("en"))
                if None not in (ocode, id_, en):
                    options.append(ProfileOption(ocode, Text(id_, en)))
        if code is not None and label is not None:
            fields.append(ProfileField(code, label, tuple(options), required))
    return tuple(fields)


def _suggestion(c: _Checker, raw: Any) -> SuggestionField | None:
    if raw is None:
        return None
    m = c.mapping("suggestion", raw, _SUGGESTION_KEYS)
    if m is None:
        return None
    code = c.code("suggestion.code", m.get("code", "saran"))
    label = c.text("suggestion.label", m.get("label"))
    required = c.boolean("suggestion.required", m.get("required"), False)
    max_length = c.integer("suggestion.max_length", m.get("max_length", 2000))
    if max_length is not None and max_length < 1:
        c.add("suggestion.max_length", "must be at least 1")
        max_length = None
    if None in (code, label, max_length):
        return None
    return SuggestionField(code, label, required, max_length)


def _grades(c: _Checker, raw: Any) -> tuple[GradeBand, ...]:
    if not isinstance(raw, list) or not raw:
        c.add("grades", "must be a non-empty list")
        return ()
    bands: list[GradeBand] = []
    ok = True
    for n, entry in enumerate(raw):
        where = f"grades[{n}]"
        m = c.mapping(where, entry, _GRADE_KEYS)
        if m is None:
            ok = False
            continue
        letter = c.code(f"{where}.letter", m.get("letter"))
        lower = c.two_decimals(f"{where}.lower", m.get("lower"))
        upper = c.two_decimals(f"{where}.upper", m.get("upper"))
        id_ = c.string(f"{where}.id", m.get("id"))
        en = c.string(f"{where}.en", m.get("en"))
        if None in (letter, lower, upper, id_, en):
            ok = False
            continue
        bands.append(GradeBand(letter, lower, upper, id_, en))
    if ok:
        for problem in band_problems(bands):
            c.add("grades", problem)
    return tuple(bands)


def _parse(doc: Any) -> Instrument:
    c = _Checker()
    m = c.mapping("document", doc, _TOP_KEYS)
    if m is None:
        raise InstrumentError(c.problems)

    code = c.code("code", m.get("code"))
    kind = m.get("kind")
    if kind not in KINDS:
        c.add("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
        kind = None
    title = c.text("title", m.get("title"))
    source = c.string("source", m.get("source", "-"))
    instructions = c.text("instructions", m["instructions"]) if "instructions" in m else None

    scale_min = c.integer("scale_min", m.get("scale_min"))
    scale_max = c.integer("scale_max", m.get("scale_max"))
    scale: tuple[int, ...] | None = None
    if scale_min is not None and scale_max is not None:
        if scale_min >= scale_max:
            c.add("scale", f"scale_min ({scale_min}) must be below scale_max ({scale_max})")
        else:
            scale = tuple(range(scale_min, scale_max + 1))
    if kind == "ikm" and (scale_min, scale_max) != (IKM_SCALE_MIN, IKM_SCALE_MAX):
        c.add("scale", f"an ikm instrument must use the 1-4 scale, got {scale_min}-{scale_max}")

    default_labels = _labels(c, "labels", m["labels"], scale) if "labels" in m else None
    items = _items(c, m.get("items"), scale, default_labels)
    profile = _profile(c, m.get("profile"))
    suggestion = _suggestion(c, m.get("suggestion"))

    grades: tuple[GradeBand, ...] = ()
    if "grades" in m:
        if kind is not None and kind != "ikm":
            c.add("grades", f"only an ikm instrument has grades, this one is {kind}")
        else:
            grades = _grades(c, m["grades"])
    elif kind == "ikm":
        grades = IKM_2017_BANDS

    if c.problems:
        raise InstrumentError(c.problems)
    return Instrument(
        code=code,
        kind=kind,
        title=title,
        source=source,
        scale_min=scale_min,
        scale_max=scale_max,
        items=items,
        profile=profile,
        suggestion=suggestion,
        instructions=instructions,
        grades=grades,
    )


def parse_instrument(doc: Any) -> Instrument:
    """Validate an already-parsed instrument document (a mapping) and build the Instrument.

    Raises :class:`InstrumentError` listing every problem. Reading files is the services'
    job (app.services.surveys.instruments).
    """
    return _parse(doc)
