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
from typing import Any, Literal

from app.domain.surveys.indices import (
    IKM_2017_BANDS,
    IKM_SCALE_MAX,
    IKM_SCALE_MIN,
    GradeBand,
    band_problems,
)
from app.domain.surveys.instrument_schema import (
    DocumentSpec,
    GradeSpec,
    ItemSpec,
    OptionSpec,
    ProfileFieldSpec,
    ScaleSpec,
    SuggestionSpec,
    TextSpec,
    check,
    label_number,
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
# The file's structure is checked node by node by the models of ``instrument_schema``; the
# functions below hold the semantic rules and run on the nodes that validated.


def _text(spec: TextSpec) -> Text:
    return Text(spec.id, spec.en)


def _labels(
    problems: list[str], where: str, value: Any, scale: tuple[int, ...] | None
) -> dict[int, Text] | None:
    if not isinstance(value, Mapping):
        problems.append(
            f"{where}: must be a mapping of scale value to {{id, en}}, got {type(value).__name__}"
        )
        return None
    out: dict[int, Text] = {}
    for key, raw in value.items():
        number = label_number(key)
        if number is None:
            problems.append(f"{where}: label key {key!r} is not an integer scale value")
            continue
        if number in out:
            problems.append(f"{where}: scale value {number} labelled twice")
            continue
        if scale is not None and number not in scale:
            problems.append(
                f"{where}: label for {number} is outside the scale {scale[0]}-{scale[-1]}"
            )
        text = check(TextSpec, raw, f"{where}[{number}]", problems)
        if text is not None:
            out[number] = _text(text)
    return out


def _where(prefix: str, raw: Any, key: str = "code") -> str:
    """``items[2] P3`` once the node's code is readable, else ``items[2]``."""
    code = raw.get(key) if isinstance(raw, Mapping) else None
    if isinstance(code, str) and code.strip() and not any(c.isspace() for c in code.strip()):
        return f"{prefix} {code.strip()}"
    return prefix


def _items(
    problems: list[str],
    raw: Any,
    scale: tuple[int, ...] | None,
    default_labels: dict[int, Text] | None,
) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("items: must be a non-empty list")
        return ()
    items: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        where = _where(f"items[{n}]", entry)
        spec = check(ItemSpec, entry, where, problems)
        if isinstance(entry, Mapping) and where != f"items[{n}]":
            code = where.split(" ", 1)[1]
            if code in seen:
                problems.append(f"{where}: duplicate item code {code!r}")
            seen.add(code)
        if not isinstance(entry, Mapping):
            continue
        if entry.get("labels") is not None:
            labels = _labels(problems, f"{where}.labels", entry["labels"], scale)
        elif default_labels is not None:
            labels = default_labels
        else:
            problems.append(f"{where}: no labels (give item labels or instrument-level labels)")
            labels = None
        if labels is not None and scale is not None:
            missing = [v for v in scale if v not in labels]
            if missing:
                problems.append(
                    f"{where}: no label for scale value(s) " + ", ".join(map(str, missing))
                )
        if spec is None or labels is None or scale is None:
            continue
        points = tuple(ScalePoint(v, labels[v]) for v in scale if v in labels)
        items.append(Item(spec.code, _text(spec.name), _text(spec.question), points))
    return tuple(items)


def _profile(problems: list[str], raw: Any) -> tuple[ProfileField, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("profile: must be a list")
        return ()
    fields: list[ProfileField] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        where = _where(f"profile[{n}]", entry)
        spec = check(ProfileFieldSpec, entry, where, problems)
        if spec is not None and spec.code in seen:
            problems.append(f"{where}: duplicate profile field {spec.code!r}")
        options: list[ProfileOption] = []
        option_codes: set[str] = set()
        for k, option in enumerate(spec.options if spec is not None else ()):
            ow = f"{where}.options[{k}]"
            o = check(OptionSpec, option, ow, problems)
            if o is None:
                continue
            if o.code in option_codes:
                problems.append(f"{ow}: duplicate option code {o.code!r}")
            option_codes.add(o.code)
            options.append(ProfileOption(o.code, Text(o.id, o.en)))
        if spec is not None:
            seen.add(spec.code)
            fields.append(ProfileField(spec.code, _text(spec.label), tuple(options), spec.required))
    return tuple(fields)


def _suggestion(problems: list[str], raw: Any) -> SuggestionField | None:
    if raw is None:
        return None
    spec = check(SuggestionSpec, raw, "suggestion", problems)
    if spec is None:
        return None
    if spec.max_length < 1:
        problems.append("suggestion.max_length: must be at least 1")
        return None
    return SuggestionField(spec.code, _text(spec.label), spec.required, spec.max_length)


def _grades(problems: list[str], raw: Any) -> tuple[GradeBand, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("grades: must be a non-empty list")
        return ()
    specs = [check(GradeSpec, entry, f"grades[{n}]", problems) for n, entry in enumerate(raw)]
    bands = [GradeBand(s.letter, s.lower, s.upper, s.id, s.en) for s in specs if s is not None]
    if len(bands) == len(specs):
        problems.extend(f"grades: {problem}" for problem in band_problems(bands))
    return tuple(bands)


def _scale(problems: list[str], doc: Mapping[str, Any]) -> tuple[int, ...] | None:
    spec = check(ScaleSpec, doc, "document", problems)
    low = spec.scale_min if spec is not None else _raw_int(doc.get("scale_min"))
    high = spec.scale_max if spec is not None else _raw_int(doc.get("scale_max"))
    scale = None
    if low is not None and high is not None:
        if low >= high:
            problems.append(f"scale: scale_min ({low}) must be below scale_max ({high})")
        else:
            scale = tuple(range(low, high + 1))
    if doc.get("kind") == "ikm" and (low, high) != (IKM_SCALE_MIN, IKM_SCALE_MAX):
        problems.append(f"scale: an ikm instrument must use the 1-4 scale, got {low}-{high}")
    return scale


def _raw_int(value: Any) -> int | None:
    """One bound of a scale whose other bound is broken (for the ikm 1-4 message only)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_instrument(doc: Any) -> Instrument:
    """Validate an already-parsed instrument document (a mapping) and build the Instrument.

    Raises :class:`InstrumentError` listing every problem. Reading files is the services'
    job (app.services.surveys.instruments).
    """
    problems: list[str] = []
    if not isinstance(doc, Mapping):
        check(DocumentSpec, doc, "document", problems)
        raise InstrumentError(problems)
    spec = check(DocumentSpec, doc, "document", problems)
    # the node checks below need only the document's mapping, not a valid document
    instructions = None
    if doc.get("instructions") is not None:
        text = check(TextSpec, doc["instructions"], "instructions", problems)
        instructions = _text(text) if text is not None else None
    scale = _scale(problems, doc)
    labels = doc.get("labels")
    default_labels = _labels(problems, "labels", labels, scale) if "labels" in doc else None
    items = _items(problems, doc.get("items"), scale, default_labels)
    profile = _profile(problems, doc.get("profile"))
    suggestion = _suggestion(problems, doc.get("suggestion"))
    kind = doc.get("kind") if doc.get("kind") in KINDS else None
    grades: tuple[GradeBand, ...] = ()
    if "grades" in doc:
        if kind is not None and kind != "ikm":
            problems.append(f"grades: only an ikm instrument has grades, this one is {kind}")
        else:
            grades = _grades(problems, doc["grades"])
    elif kind == "ikm":
        grades = IKM_2017_BANDS

    if problems or spec is None or scale is None:
        raise InstrumentError(problems)
    return Instrument(
        code=spec.code,
        kind=spec.kind,  # type: ignore[arg-type]
        title=_text(spec.title),
        source=spec.source,
        scale_min=scale[0],
        scale_max=scale[-1],
        items=items,
        profile=profile,
        suggestion=suggestion,
        instructions=instructions,
        grades=grades,
    )
