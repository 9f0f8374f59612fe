"""Innovations: stages, ZI phases, lineage rules and suggested LKE answers.

Lineage: an innovation may build on (develop) an earlier innovation of the unit, its parent.
Rules checked by ``validate_innovation``:
- the parent started no later than the child; no self-reference; no cycle;
- a WBK-phase innovation cannot build on a WBBM-phase one;
- a WBBM-phase innovation that develops a WBK-phase one must state its *pembeda*: what is new
  and how citizens feel the difference (both non-empty). WBBM on WBBM and WBK on WBK need none.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction

from app.domain.programme.areas import ChangeArea
from app.domain.programme.impact import Impact, improvement, validate_impact
from app.domain.programme.messages import Message, Problem, Reason, Text

Id = Hashable  # innovation, service and member ids: whatever the storage uses (int or str)


class Stage(StrEnum):
    """Stages used by government innovation registries; ``replikasi`` = already replicated."""

    INISIATIF = "inisiatif"
    UJI_COBA = "uji_coba"
    PENERAPAN = "penerapan"
    REPLIKASI = "replikasi"

    @property
    def label(self) -> Text:
        return _STAGE_LABELS[self]

    @property
    def in_operation(self) -> bool:
        """Implemented for citizens (penerapan or replikasi), as opposed to planned/piloted."""
        return self in (Stage.PENERAPAN, Stage.REPLIKASI)


_STAGE_LABELS = {
    Stage.INISIATIF: Text("Inisiatif", "Initiative"),
    Stage.UJI_COBA: Text("Uji coba", "Trial"),
    Stage.PENERAPAN: Text("Penerapan", "Implementation"),
    Stage.REPLIKASI: Text("Replikasi", "Replicated"),
}


class Phase(StrEnum):
    """The ZI predicate an innovation was built for."""

    WBK = "wbk"
    WBBM = "wbbm"

    @property
    def label(self) -> Text:
        if self is Phase.WBK:
            return Text("WBK (Wilayah Bebas dari Korupsi)", "WBK (Corruption-Free Area)")
        return Text(
            "WBBM (Wilayah Birokrasi Bersih dan Melayani)",
            "WBBM (Clean and Serving Bureaucracy Area)",
        )


class Origin(StrEnum):
    """Where the idea comes from (drives LKE PPF2F options C and D)."""

    ASLI = "asli"  # the unit's own idea
    PENGEMBANGAN = "pengembangan"  # develops an existing innovation (own or another unit's)
    REPLIKASI = "replikasi"  # copies another unit's innovation
    INSTANSI_LAIN = "instansi_lain"  # runs an innovation rolled out by another agency

    @property
    def label(self) -> Text:
        return _ORIGIN_LABELS[self]


_ORIGIN_LABELS = {
    Origin.ASLI: Text("Gagasan unit sendiri", "The unit's own idea"),
    Origin.PENGEMBANGAN: Text("Pengembangan inovasi yang ada", "Develops an existing one"),
    Origin.REPLIKASI: Text("Replikasi inovasi unit lain", "Replicates another unit's"),
    Origin.INSTANSI_LAIN: Text(
        "Pelaksanaan inovasi instansi lain", "Runs another agency's innovation"
    ),
}


@dataclass(frozen=True)
class Pembeda:
    """What sets a WBBM innovation apart from the WBK one it develops."""

    what_is_new: str
    citizen_benefit: str  # how citizens feel the difference


@dataclass(frozen=True)
class Innovation:
    id: Id
    name: str
    phase: Phase
    stage: Stage
    areas: frozenset[ChangeArea]
    started_on: date
    launched_on: date | None = None
    parent_id: Id | None = None
    pembeda: Pembeda | None = None
    origin: Origin = Origin.ASLI
    differs_from_other_units: bool = False
    brings_service_closer: bool = False
    service_ids: frozenset[Id] = field(default_factory=frozenset)
    impacts: tuple[Impact, ...] = ()


def find_cycle(child_id: Id, parent_id: Id, parents: Mapping[Id, Id | None]) -> tuple[Id, ...]:
    """The cycle that linking ``child_id -> parent_id`` would close, or () if none.

    ``parents`` maps innovation id -> parent id (None for roots); its entry for ``child_id``
    is ignored (the new link replaces it). The result lists ids from the child along parent
    links back to the child, e.g. ``(a, b, a)`` for a 2-cycle and ``(a, a)`` for a self-link.
    Cycles already present in ``parents`` that do not pass through the child are not this
    link's fault and are not reported; the walk still terminates on them.
    """
    path: list[Id] = [child_id]
    seen: set[Id] = {child_id}
    current: Id | None = parent_id
    while current is not None:
        path.append(current)
        if current == child_id:
            return tuple(path)
        if current in seen:
            return ()
        seen.add(current)
        current = parents.get(current)
    return ()


def validate_innovation(
    innovation: Innovation, known: Mapping[Id, Innovation] | None = None
) -> list[Problem]:
    """Everything wrong with an innovation, given the unit's other innovations by id."""
    known = known or {}
    problems: list[Problem] = []
    if not innovation.name.strip():
        problems.append(Problem("required", field="name"))
    if not innovation.areas:
        problems.append(Problem("innovation.no_area", field="areas"))
    if innovation.launched_on is not None and innovation.launched_on < innovation.started_on:
        problems.append(
            Problem(
                "innovation.launch_before_start",
                {"launched_on": innovation.launched_on.isoformat(),
                 "started_on": innovation.started_on.isoformat()},
                field="launched_on",
            )
        )
    problems.extend(_lineage_problems(innovation, known))
    for i, measure in enumerate(innovation.impacts):
        problems.extend(validate_impact(measure, prefix=f"impacts[{i}]."))
    return problems


def _lineage_problems(child: Innovation, known: Mapping[Id, Innovation]) -> list[Problem]:
    parent_id = child.parent_id
    if parent_id is None:
        return []
    if parent_id == child.id:
        return [Problem("innovation.parent_self", field="parent_id")]
    parent = known.get(parent_id)
    if parent is None:
        return [Problem("innovation.parent_unknown", {"parent_id": parent_id}, field="parent_id")]
    problems: list[Problem] = []
    parents = {i: inn.parent_id for i, inn in known.items()}
    cycle = find_cycle(child.id, parent_id, parents)
    if cycle:
        problems.append(
            Problem(
                "innovation.parent_cycle",
                {"parent_id": parent_id, "cycle": " -> ".join(str(i) for i in cycle)},
                field="parent_id",
            )
        )
    if parent.started_on > child.started_on:
        problems.append(
            Problem(
                "innovation.parent_started_later",
                {"parent_id": parent_id, "parent_started_on": parent.started_on.isoformat(),
                 "started_on": child.started_on.isoformat()},
                field="started_on",
            )
        )
    if child.phase is Phase.WBK and parent.phase is Phase.WBBM:
        problems.append(
            Problem("innovation.wbk_on_wbbm", {"parent_id": parent_id}, field="parent_id")
        )
    if child.phase is Phase.WBBM and parent.phase is Phase.WBK:
        missing = pembeda_missing(child.pembeda)
        if missing:
            problems.append(
                Problem(
                    "innovation.pembeda_required",
                    {"parent_id": parent_id, "missing": tuple(Message(m) for m in missing)},
                    field="pembeda",
                )
            )
    return problems


def pembeda_missing(pembeda: Pembeda | None) -> tuple[str, ...]:
    """Message codes of the pembeda parts that are empty (both when there is no pembeda)."""
    what = pembeda.what_is_new.strip() if pembeda else ""
    benefit = pembeda.citizen_benefit.strip() if pembeda else ""
    missing = []
    if not what:
        missing.append("innovation.pembeda_what_is_new")
    if not benefit:
        missing.append("innovation.pembeda_citizen_benefit")
    return tuple(missing)


# --- LKE suggestions ------------------------------------------------------------------------

# PRF1A bands on the share s = improved services / registered services (documented choice:
# the regulation says only "all / not all / not yet meeting needs / none"):
#   A  s = 1 (all)            B  1/2 < s < 1 (most)
#   C  0 < s <= 1/2 (some)    D  s = 0 or nothing registered (none)
PRF1A_MOST_ABOVE = Fraction(1, 2)

_PRF1A_BANDS = {
    "A": Text("seluruh layanan", "all services"),
    "B": Text("sebagian besar layanan", "most services"),
    "C": Text("sebagian kecil layanan", "some services"),
    "D": Text("belum ada layanan", "no service"),
}


@dataclass(frozen=True)
class Suggestion:
    """A suggested option for one LKE question, with its reasons and evidence."""

    ref: str
    option: str
    reasons: tuple[Reason, ...]
    evidence_ids: tuple[Id, ...]


@dataclass(frozen=True)
class RatioSuggestion:
    """A suggested numeric-input answer: numerator / denominator, ratio exact and capped at 1."""

    ref: str
    numerator: int
    denominator: int
    ratio: Fraction
    reasons: tuple[Reason, ...]
    evidence_ids: tuple[Id, ...]


@dataclass(frozen=True)
class LkeSuggestions:
    ppf2f: Suggestion
    prf1a: Suggestion
    prf1b: RatioSuggestion


def suggest_lke_answers(
    innovations: Iterable[Innovation],
    services_registered: Collection[Id],
    services_simplified: Collection[Id],
) -> LkeSuggestions:
    """Suggest answers for PPF2F, PRF1A and PRF1B from the unit's innovations.

    ``services_registered`` are the ids of the services in the unit's service standard;
    ``services_simplified`` the ids of those declared simplified (PRF1B). Only innovations in
    operation (penerapan, replikasi) count; the reasons say which ones were left out and why.
    """
    innovations = tuple(innovations)
    operating = tuple(i for i in innovations if i.stage.in_operation)
    idle = tuple(i.id for i in innovations if not i.stage.in_operation)
    base: list[Reason] = []
    if idle:
        base.append(Reason("lke.not_operating", {"ids": idle}))
    return LkeSuggestions(
        ppf2f=_suggest_ppf2f(operating, base),
        prf1a=_suggest_prf1a(operating, set(services_registered), base),
        prf1b=_suggest_prf1b(operating, set(services_registered), set(services_simplified)),
    )


def _suggest_ppf2f(operating: tuple[Innovation, ...], base: list[Reason]) -> Suggestion:
    reasons = list(base)
    service = [i for i in operating if ChangeArea.PELAYANAN_PUBLIK in i.areas]
    other = tuple(i.id for i in operating if ChangeArea.PELAYANAN_PUBLIK not in i.areas)
    if other:
        reasons.append(Reason("lke.not_service_area", {"ids": other}))

    def distinctive(i: Innovation) -> bool:
        own = i.origin in (Origin.ASLI, Origin.PENGEMBANGAN)
        return own and i.differs_from_other_units and i.brings_service_closer

    tiers = (
        ("A", [i for i in service if distinctive(i) and i.stage is Stage.REPLIKASI]),
        ("B", [i for i in service if distinctive(i)]),
        ("C", [i for i in service if i.origin is not Origin.INSTANSI_LAIN]),
        ("D", service),
    )
    for option, chosen in tiers:
        if chosen:
            ids = tuple(i.id for i in chosen)
            reasons.append(Reason(f"lke.ppf2f_{option.lower()}", {"ids": ids}))
            return Suggestion("PPF2F", option, tuple(reasons), ids)
    reasons.append(Reason("lke.ppf2f_e"))
    return Suggestion("PPF2F", "E", tuple(reasons), ())


def _suggest_prf1a(
    operating: tuple[Innovation, ...], registered: set[Id], base: list[Reason]
) -> Suggestion:
    reasons = list(base)
    improved: set[Id] = set()
    evidence: list[Id] = []
    unmeasured: list[Id] = []
    unknown: set[Id] = set()
    for inn in operating:
        if not inn.service_ids:
            continue
        if not _has_measured_improvement(inn):
            unmeasured.append(inn.id)
            continue
        unknown |= inn.service_ids - registered
        hits = inn.service_ids & registered
        if hits:
            improved |= hits
            evidence.append(inn.id)
    if unmeasured:
        reasons.append(Reason("lke.no_measured_impact", {"ids": tuple(unmeasured)}))
    if unknown:
        reasons.append(Reason("lke.unknown_services", {"ids": _sorted(unknown)}))
    if not registered:
        reasons.append(Reason("lke.no_registered_services"))
        return Suggestion("PRF1A", "D", tuple(reasons), ())
    share = Fraction(len(improved), len(registered))
    if share == 1:
        option = "A"
    elif share > PRF1A_MOST_ABOVE:
        option = "B"
    elif share > 0:
        option = "C"
    else:
        option = "D"
    reasons.append(
        Reason(
            "lke.prf1a_share",
            {"improved": len(improved), "registered": len(registered),
             "share": f"{share.numerator}/{share.denominator}", "band": _PRF1A_BANDS[option]},
        )
    )
    return Suggestion("PRF1A", option, tuple(reasons), tuple(evidence) if option != "D" else ())


def _suggest_prf1b(
    operating: tuple[Innovation, ...], registered: set[Id], simplified: set[Id]
) -> RatioSuggestion:
    reasons: list[Reason] = []
    unknown = simplified - registered
    if unknown:
        reasons.append(Reason("lke.unknown_services", {"ids": _sorted(unknown)}))
    counted = simplified & registered
    if registered:
        ratio = Fraction(len(counted), len(registered))
    else:
        ratio = Fraction(0)
        reasons.append(Reason("lke.no_registered_services"))
    reasons.append(
        Reason("lke.prf1b_ratio", {"simplified": len(counted), "registered": len(registered)})
    )
    evidence = tuple(i.id for i in operating if i.service_ids & counted)
    return RatioSuggestion(
        "PRF1B", len(counted), len(registered), ratio, tuple(reasons), evidence
    )


def _has_measured_improvement(inn: Innovation) -> bool:
    for measure in inn.impacts:
        if not validate_impact(measure) and improvement(measure).improved:
            return True
    return False


def _sorted(ids: Iterable[Id]) -> tuple[Id, ...]:
    return tuple(sorted(ids, key=str))
