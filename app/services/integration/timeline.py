"""The unit's road to WBK/WBBM as a timeline: milestones, predicate awards, innovations and,
per year, the survey indices and LKE scores (``app.services.integration.timeline_sources``).

``SurveyPoint(on, instrument, value)`` and ``LkeScore(on, total, assessor)`` are the domain
dataclasses of ``app.domain.programme.milestones``. A point may also carry an optional ``label``
attribute (e.g. "IKM layanan pencairan dana") and a score an optional ``verdict`` attribute
(e.g. "WBK"); the page shows them when present. With no survey or score recorded the timeline
shows no numbers at all (never placeholders posing as data).

Read-only use case: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.domain.programme.messages import Text
from app.domain.programme.milestones import (
    LkeScore,
    Milestone,
    MilestoneKind,
    SurveyPoint,
    timeline_by_year,
)
from app.models.units import PredicateAward, Unit
from app.services import units
from app.services.integration import timeline_sources
from app.services.programme import innovations as programme_innovations
from app.services.programme import milestones as programme_milestones

# Where an innovation's page lives (app.web.programme).
INNOVATION_HREF = "/units/{unit_id}/innovations/{id}"

# Display names and scales of the survey instruments known today; unknown codes show upper-cased.
INSTRUMENTS: dict[str, tuple[str, str]] = {
    "ikm": ("IKM", "25-100"),
    "ipkp": ("IPKP", "1-4"),
    "ipak": ("IPAK", "1-4"),
    "spkp": ("SPKP", "1-4"),
    "spak": ("SPAK", "1-4"),
}

ASSESSORS: dict[str, Text] = {
    "mandiri": Text("Penilaian mandiri", "Self-assessment"),
    "kanwil": Text("Reviu Kanwil", "Regional office review"),
    "tpi": Text("Tim Penilai Internal (TPI)", "Internal assessment team (TPI)"),
    "tpn": Text("Tim Penilai Nasional (TPN)", "National assessment team (TPN)"),
}

# The standard road, in order; custom milestones are shown in the years but not on the road.
ROAD = (
    MilestoneKind.PENCANANGAN,
    MilestoneKind.USULAN_WBK,
    MilestoneKind.PENETAPAN_WBK,
    MilestoneKind.USULAN_WBBM,
    MilestoneKind.PENETAPAN_WBBM,
)

_AWARD_KIND = {"WBK": MilestoneKind.PENETAPAN_WBK, "WBBM": MilestoneKind.PENETAPAN_WBBM}

# Event kinds, in the order they are listed when several fall on the same day.
EVENT_ORDER = ("milestone", "award", "revoked", "innovation_started", "innovation_launched")


@dataclass(frozen=True)
class MilestoneInput:
    """A recorded milestone as the timeline needs it (storage-independent)."""

    id: Any
    kind: MilestoneKind
    on: date
    title: str = ""
    note: str = ""


@dataclass(frozen=True)
class InnovationInput:
    id: Any
    title: str
    phase: str  # "wbk" | "wbbm"
    stage: str
    started_on: date
    launched_on: date | None = None
    parent_title: str = ""  # the innovation it builds on, if any
    href: str = ""


@dataclass(frozen=True)
class Event:
    on: date
    kind: str  # one of EVENT_ORDER
    label: Text  # what kind of event, bilingual
    title: str = ""  # user data (milestone title, innovation name, predicate and year)
    note: str = ""  # user data (milestone note, or the innovation this one builds on)
    decree: str = ""  # decree number of a predicate award
    phase: str = ""  # "wbk" / "wbbm" when the event belongs to one
    stage: str = ""  # innovation stage
    href: str = ""


@dataclass(frozen=True)
class SurveyView:
    on: date
    code: str
    name: str
    scale: str
    value: Decimal
    label: str = ""


@dataclass(frozen=True)
class ScoreView:
    on: date
    total: Decimal
    assessor: Text
    verdict: str = ""


@dataclass(frozen=True)
class YearView:
    year: int
    events: tuple[Event, ...] = ()
    surveys: tuple[SurveyView, ...] = ()
    scores: tuple[ScoreView, ...] = ()
    started: int = 0
    launched: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.events or self.surveys or self.scores)

    @property
    def latest_surveys(self) -> tuple[SurveyView, ...]:
        """The year's last result of each instrument (for the year's summary line)."""
        last: dict[str, SurveyView] = {}
        for point in self.surveys:  # sorted by date
            last[point.code] = point
        return tuple(last.values())

    @property
    def latest_score(self) -> ScoreView | None:
        return self.scores[-1] if self.scores else None


@dataclass(frozen=True)
class RoadStep:
    kind: MilestoneKind
    on: date | None  # first time reached; None = not yet
    current: bool = False  # the next step to reach

    @property
    def reached(self) -> bool:
        return self.on is not None


@dataclass(frozen=True)
class Timeline:
    road: tuple[RoadStep, ...]
    years: tuple[YearView, ...]
    has_survey_source: bool = False
    has_lke_source: bool = False
    innovations: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.years


def _award_events(
    awards: Sequence[PredicateAward], twins: dict[tuple[MilestoneKind, int], Any]
) -> tuple[list[Milestone], dict[Any, Event], dict[Any, str]]:
    """Predicate awards as road milestones, their events (award, revocation) and decrees.

    When a penetapan milestone of the same predicate is recorded in the award's year (or the
    decree's year), the award is folded into it: one event carrying the decree number, not two.
    """
    road: list[Milestone] = []
    events: dict[Any, Event] = {}
    decrees: dict[Any, str] = {}  # milestone id -> decree number folded into it
    for award in awards:
        kind = _AWARD_KIND.get(award.predicate)
        if kind is None:
            continue
        twin = twins.get((kind, award.year), twins.get((kind, award.decree_date.year)))
        if twin is None:
            key = ("award", award.id)
            road.append(Milestone(id=key, kind=kind, on=award.decree_date))
            events[key] = Event(
                on=award.decree_date, kind="award", label=kind.label,
                title=f"{award.predicate} {award.year}", decree=award.decree_number,
                phase=award.predicate.lower(),
            )
        else:
            decrees[twin] = award.decree_number
        if award.revoked_on:
            key = ("revoked", award.id)
            road.append(Milestone(id=key, kind=MilestoneKind.CUSTOM, on=award.revoked_on,
                                  title="revoked"))
            events[key] = Event(
                on=award.revoked_on, kind="revoked",
                label=Text("Predikat dicabut", "Predicate revoked"),
                title=f"{award.predicate} {award.year}", decree=award.decree_number,
                phase=award.predicate.lower(),
            )
    return road, events, decrees


def assemble(
    *,
    milestones: Iterable[MilestoneInput],
    awards: Iterable[PredicateAward] = (),
    innovations: Iterable[InnovationInput] = (),
    survey_points: Iterable[Any] = (),
    lke_scores: Iterable[Any] = (),
    has_survey_source: bool = False,
    has_lke_source: bool = False,
) -> Timeline:
    """Put the unit's history in per-year order (pure: no database).

    Survey points need ``on``, ``instrument``, ``value``; LKE scores ``on``, ``total``,
    ``assessor`` (the domain's SurveyPoint / LkeScore, or anything shaped like them).
    """
    milestones = list(milestones)
    innovations = list(innovations)
    awards = [a for a in awards if getattr(a, "deleted_at", None) is None]
    twins = {}
    for m in sorted(milestones, key=lambda m: m.on):
        twins.setdefault((m.kind, m.on.year), m.id)
    award_milestones, events, decrees = _award_events(awards, twins)

    for m in milestones:
        events[("milestone", m.id)] = Event(
            on=m.on, kind="milestone", label=m.kind.label, title=m.title, note=m.note,
            decree=decrees.get(m.id, ""), phase=_phase_of(m.kind),
        )
    domain_milestones = [
        Milestone(id=("milestone", m.id), kind=m.kind, on=m.on, title=m.title or "-")
        for m in milestones
    ] + award_milestones

    # the domain groups per year and fills the gaps between the first and the last year
    grouped = timeline_by_year(domain_milestones, innovations, survey_points, lke_scores)
    years = []
    for entry in grouped:
        year_events = [events[m.id] for m in entry.milestones]
        year_events += [_innovation_event(i, launched=False) for i in entry.innovations_started]
        year_events += [_innovation_event(i, launched=True) for i in entry.innovations_launched]
        year_events.sort(key=lambda e: (e.on, EVENT_ORDER.index(e.kind)))
        years.append(YearView(
            year=entry.year,
            events=tuple(year_events),
            surveys=tuple(_survey_view(p) for p in entry.survey_points),
            scores=tuple(_score_view(s) for s in entry.lke_scores),
            started=len(entry.innovations_started),
            launched=len(entry.innovations_launched),
        ))
    return Timeline(
        road=_road(milestones, award_milestones),
        years=tuple(years),
        has_survey_source=has_survey_source,
        has_lke_source=has_lke_source,
        innovations=len(innovations),
    )


def _innovation_event(inn: InnovationInput, *, launched: bool) -> Event:
    if launched:
        label = Text("Inovasi diluncurkan", "Innovation launched")
    else:
        label = Text("Inovasi dimulai", "Innovation started")
    return Event(
        on=inn.launched_on if launched and inn.launched_on else inn.started_on,
        kind="innovation_launched" if launched else "innovation_started",
        label=label, title=inn.title, note=inn.parent_title, phase=inn.phase,
        href=inn.href, stage=inn.stage,
    )


def _phase_of(kind: MilestoneKind) -> str:
    if kind in (MilestoneKind.USULAN_WBK, MilestoneKind.PENETAPAN_WBK):
        return "wbk"
    if kind in (MilestoneKind.USULAN_WBBM, MilestoneKind.PENETAPAN_WBBM):
        return "wbbm"
    return ""


def _road(milestones: Sequence[MilestoneInput], awards: Sequence[Milestone]) -> tuple[
    RoadStep, ...
]:
    firsts: dict[MilestoneKind, date] = {}
    for m in list(milestones) + [a for a in awards if a.kind is not MilestoneKind.CUSTOM]:
        if m.kind in ROAD and (m.kind not in firsts or m.on < firsts[m.kind]):
            firsts[m.kind] = m.on
    # the next step is the first one after the furthest step reached
    reached = [i for i, kind in enumerate(ROAD) if kind in firsts]
    nxt = (max(reached) + 1) if reached else 0
    return tuple(
        RoadStep(kind=kind, on=firsts.get(kind), current=(i == nxt))
        for i, kind in enumerate(ROAD)
    )


def _survey_view(point: SurveyPoint) -> SurveyView:
    code = point.instrument.lower()
    name, scale = INSTRUMENTS.get(code, (point.instrument.upper(), ""))
    return SurveyView(
        on=point.on, code=code, name=name, scale=scale, value=Decimal(point.value),
        label=str(getattr(point, "label", "") or ""),
    )


def _score_view(score: LkeScore) -> ScoreView:
    assessor = ASSESSORS.get(score.assessor, Text(score.assessor, score.assessor))
    return ScoreView(
        on=score.on, total=Decimal(score.total), assessor=assessor,
        verdict=str(getattr(score, "verdict", "") or ""),
    )


def unit_timeline(session: Session, *, unit: Unit) -> Timeline:
    """The unit's timeline: its milestones, predicate awards and innovations, its closed
    campaigns' survey indices and its LKE scores."""
    milestones = []
    for row in programme_milestones.all_milestones(session, unit_id=unit.id):
        try:
            kind = MilestoneKind(row.kind)
        except ValueError:
            continue
        milestones.append(
            MilestoneInput(id=row.id, kind=kind, on=row.on_date, title=row.title, note=row.note)
        )
    innovation_rows = programme_innovations.all_innovations(session, unit_id=unit.id)
    titles = {r.id: r.title for r in innovation_rows}
    innovations = [
        InnovationInput(
            id=r.id, title=r.title, phase=r.phase, stage=r.stage, started_on=r.started_on,
            launched_on=r.launched_on, parent_title=titles.get(r.parent_id, ""),
            href=INNOVATION_HREF.format(unit_id=unit.id, id=r.id),
        )
        for r in innovation_rows
    ]
    awards = units.predicate_history(session, unit_id=unit.id)
    return assemble(
        milestones=milestones,
        awards=awards,
        innovations=innovations,
        survey_points=timeline_sources.survey_points(session, unit),
        lke_scores=timeline_sources.lke_scores(session, unit),
        has_survey_source=True,
        has_lke_source=True,
    )
