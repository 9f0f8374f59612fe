"""Milestones of the ZI journey and a per-year timeline.

Order rules (each needs an earlier milestone, strictly before it, on an earlier day):
    pencanangan < usulan_wbk < penetapan_wbk < usulan_wbbm < penetapan_wbbm
Pencanangan and each award (penetapan) may be recorded once; proposals may repeat (a unit
that was not awarded proposes again the next year). Custom milestones need a title.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from app.domain.programme.innovation import Innovation
from app.domain.programme.messages import Problem, Text

Id = Hashable


class MilestoneKind(StrEnum):
    PENCANANGAN = "pencanangan"
    USULAN_WBK = "usulan_wbk"
    PENETAPAN_WBK = "penetapan_wbk"
    USULAN_WBBM = "usulan_wbbm"
    PENETAPAN_WBBM = "penetapan_wbbm"
    CUSTOM = "custom"

    @property
    def label(self) -> Text:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    MilestoneKind.PENCANANGAN: Text("Pencanangan Zona Integritas", "Integrity Zone declaration"),
    MilestoneKind.USULAN_WBK: Text("Usulan WBK", "WBK proposal"),
    MilestoneKind.PENETAPAN_WBK: Text("Penetapan WBK", "WBK award"),
    MilestoneKind.USULAN_WBBM: Text("Usulan WBBM", "WBBM proposal"),
    MilestoneKind.PENETAPAN_WBBM: Text("Penetapan WBBM", "WBBM award"),
    MilestoneKind.CUSTOM: Text("Tonggak lain", "Other milestone"),
}

# kind -> the kind that must come strictly before it
PRECEDED_BY: dict[MilestoneKind, MilestoneKind] = {
    MilestoneKind.USULAN_WBK: MilestoneKind.PENCANANGAN,
    MilestoneKind.PENETAPAN_WBK: MilestoneKind.USULAN_WBK,
    MilestoneKind.USULAN_WBBM: MilestoneKind.PENETAPAN_WBK,
    MilestoneKind.PENETAPAN_WBBM: MilestoneKind.USULAN_WBBM,
}

ONCE_ONLY = (MilestoneKind.PENCANANGAN, MilestoneKind.PENETAPAN_WBK, MilestoneKind.PENETAPAN_WBBM)


@dataclass(frozen=True)
class Milestone:
    id: Id
    kind: MilestoneKind
    on: date
    title: str = ""  # required for custom milestones


def validate_timeline(milestones: Sequence[Milestone]) -> list[Problem]:
    """Order and uniqueness problems; fields point at ``milestones[i]``."""
    problems: list[Problem] = []
    for i, m in enumerate(milestones):
        if m.kind is MilestoneKind.CUSTOM and not m.title.strip():
            problems.append(Problem("required", {"id": m.id}, field=f"milestones[{i}].title"))
        needed = PRECEDED_BY.get(m.kind)
        if needed is None:
            continue
        if not any(other.kind is needed and other.on < m.on for other in milestones):
            problems.append(
                Problem(
                    "milestone.needs_earlier",
                    {"id": m.id, "kind_label": m.kind.label, "on": m.on.isoformat(),
                     "needed_label": needed.label},
                    field=f"milestones[{i}].on",
                )
            )
    for kind in ONCE_ONLY:
        count = sum(1 for m in milestones if m.kind is kind)
        if count > 1:
            problems.append(
                Problem("milestone.duplicate", {"kind_label": kind.label, "count": count},
                        field="milestones")
            )
    return problems


class Dated(Protocol):
    @property
    def on(self) -> date: ...


@dataclass(frozen=True)
class SurveyPoint:
    """An index result to show on the timeline (e.g. instrument "ikm", "ipkp", "ipak")."""

    on: date
    instrument: str
    value: Decimal


@dataclass(frozen=True)
class LkeScore:
    """An LKE total to show on the timeline; ``assessor`` e.g. "mandiri", "tpi", "tpn"."""

    on: date
    total: Decimal
    assessor: str = "mandiri"


@dataclass(frozen=True)
class YearEntry:
    """Everything that happened in one year, each list sorted by date."""

    year: int
    milestones: tuple[Milestone, ...] = ()
    innovations_started: tuple[Innovation, ...] = ()
    innovations_launched: tuple[Innovation, ...] = ()
    survey_points: tuple[Dated, ...] = ()
    lke_scores: tuple[Dated, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.milestones or self.innovations_started or self.innovations_launched
                    or self.survey_points or self.lke_scores)


def timeline_by_year(
    milestones: Iterable[Milestone],
    innovations: Iterable[Innovation] = (),
    survey_points: Iterable[Dated] = (),
    lke_scores: Iterable[Dated] = (),
) -> tuple[YearEntry, ...]:
    """Group the unit's history per calendar year, from the first year to the last.

    Years in between without events are included (empty) so the timeline has no gaps.
    An innovation appears in the year it started and, if launched, in its launch year.
    Survey points and LKE scores are anything with an ``on`` date.
    """
    milestones = sorted(milestones, key=lambda m: m.on)
    innovations = tuple(innovations)
    started = sorted(innovations, key=lambda i: i.started_on)
    launched = sorted((i for i in innovations if i.launched_on), key=lambda i: i.launched_on)
    surveys = sorted(survey_points, key=lambda s: s.on)
    scores = sorted(lke_scores, key=lambda s: s.on)
    years = (
        [m.on.year for m in milestones]
        + [i.started_on.year for i in started]
        + [i.launched_on.year for i in launched]
        + [s.on.year for s in surveys]
        + [s.on.year for s in scores]
    )
    if not years:
        return ()
    return tuple(
        YearEntry(
            year=y,
            milestones=tuple(m for m in milestones if m.on.year == y),
            innovations_started=tuple(i for i in started if i.started_on.year == y),
            innovations_launched=tuple(i for i in launched if i.launched_on.year == y),
            survey_points=tuple(s for s in surveys if s.on.year == y),
            lke_scores=tuple(s for s in scores if s.on.year == y),
        )
        for y in range(min(years), max(years) + 1)
    )
