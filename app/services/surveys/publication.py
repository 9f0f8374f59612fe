"""The public results page of a unit: what PermenPANRB 14/2017 asks it to publish.

For everyone, no sign-in: per finished period (a campaign that has ended or was closed) the
IKM with its grade, the IPKP and the IPAK, per service type, and their trend. Read from the
running counts (``survey_tally``, ``survey_respondent_tally``: one GROUP BY each over every
campaign of the unit, however many responses), so only *counted* answers are in: suspect
answers not reviewed yet, or set aside on review, are not.

Nothing personal: no single answer, no profile, no suggestion text, no name. A period or a
service type with fewer counted answers than ``minimum`` is held back, and so are the
smallest others when the held-back ones could be worked out from the total
(app.domain.surveys.disclosure). A period still running is listed without figures: a page
refreshed between two answers would show what the last person answered.

Read-only, apart from the unit's publication switch (``set_published``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.surveys.disclosure import publishable_groups
from app.domain.surveys.indices import ElementTally, TrendPoint, TrendStep, trend
from app.domain.surveys.instruments import Instrument
from app.models.base import utcnow
from app.models.surveys.publication import SurveyPublication
from app.models.surveys.records import SurveyCampaign, SurveyService
from app.models.units import Unit
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import NotFound
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import followups as survey_followups
from app.services.surveys.campaigns import forbid
from app.services.surveys.results import (
    INDEX_NAMES,
    InstrumentResult,
    instrument_result,
    respondents_by_campaign_and_service,
    tallies_by_campaign_and_service,
)

__all__ = [
    "NOT_PUBLISHED", "PublicAction", "PublicGroup", "PublicPeriod", "PublicResults", "TrendEntry",
    "is_published", "public_results", "set_published",
]

#: The one answer for an unknown unit, a deleted one and one that does not publish: the
#: page does not tell them apart.
NOT_PUBLISHED = "Halaman hasil survei ini tidak ditemukan."
#: Campaign states whose answers are final enough to publish.
FINISHED = ("ended", "closed")
NO_SERVICE_NAME = "Tanpa jenis layanan"


@dataclass(frozen=True)
class PublicGroup:
    """The answers of one service type in one period (``service_id`` None: none given)."""

    service_id: int | None
    name: str
    respondents: int
    results: tuple[InstrumentResult, ...]


@dataclass(frozen=True)
class PublicPeriod:
    """One finished campaign: its indices when it has enough counted answers, else none."""

    campaign: SurveyCampaign
    respondents: int
    shown: bool
    results: tuple[InstrumentResult, ...] = ()
    services: tuple[PublicGroup, ...] = ()  # the service types shown on their own
    held_services: int = 0  # service types with answers, not shown on their own

    def result(self, kind: str) -> InstrumentResult | None:
        for r in self.results:
            if r.kind == kind and r.has_data:
                return r
        return None


@dataclass(frozen=True)
class TrendEntry:
    period: PublicPeriod
    result: InstrumentResult
    step: TrendStep


@dataclass(frozen=True)
class PublicAction:
    """One follow-up action on a published period's finding, and what the next published
    period measured for its element (None until then)."""

    followup: survey_followups.PublicFollowup  # element, action, due date, status: no owner
    nrr_before: Fraction | None
    nrr_after: Fraction | None

    @property
    def change(self) -> Fraction | None:
        if self.nrr_before is None or self.nrr_after is None:
            return None
        return self.nrr_after - self.nrr_before


@dataclass
class PublicResults:
    unit: Unit
    minimum: int
    periods: list[PublicPeriod]  # finished campaigns, latest period first
    running: list[SurveyCampaign]  # taking answers now: listed, no figures
    trends: dict[str, list[TrendEntry]] = field(default_factory=dict)  # kind -> oldest first
    actions: list[PublicAction] = field(default_factory=list)  # latest period first

    @property
    def published(self) -> list[PublicPeriod]:
        return [p for p in self.periods if p.shown]

    @property
    def latest(self) -> PublicPeriod | None:
        published = self.published
        return published[0] if published else None

    @property
    def kinds(self) -> list[str]:
        """The survey kinds (ikm, spkp, spak) some published period has, in that order."""
        return [k for k in ("ikm", "spkp", "spak")
                if any(p.result(k) for p in self.published)]


# --------------------------------------------------------------------------- switch


def is_published(session: Session, *, unit_id: int, actor: Principal | None = None) -> bool:
    """Whether the unit's results page is on (it is unless a coordinator turned it off)."""
    forbid(actor, "unit.read", unit_id)
    row = get_row(session, SurveyPublication, unit_id)
    return row is None or row.published


def set_published(
    session: Session, *, actor: Principal | None, unit_id: int, published: bool
) -> bool:
    """Turn the unit's public results page on or off (survey coordinators)."""
    forbid(actor, "surveys.manage", unit_id)
    units.get(session, unit_id=unit_id)
    row = get_row(session, SurveyPublication, unit_id)
    before = row is None or row.published
    if before == published:
        return published
    if row is None:
        row = SurveyPublication(unit_id=unit_id)
    row.published, row.updated_at = published, utcnow()
    row.updated_by = actor.user_id if actor is not None else None
    session.add(row)
    audit.record(
        session, actor=actor, action="update", entity="survey_publication", entity_id=unit_id,
        unit_id=unit_id, before={"published": before}, after={"published": published},
    )
    session.commit()
    return published


# --------------------------------------------------------------------------- the page


def _merged(by_service: Sequence[dict[str, list[ElementTally]]]) -> dict[str, list[ElementTally]]:
    """The campaign's tallies: per instrument and item, the sum over its services."""
    sums: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for found in by_service:
        for inst, items in found.items():
            for t in items:
                pair = sums[inst][t.code]
                pair[0] += t.total
                pair[1] += t.count
    return {inst: [ElementTally(code, total, count) for code, (total, count) in items.items()]
            for inst, items in sums.items()}


def _results(instruments: Sequence[Instrument], found: dict[str, list[ElementTally]]
             ) -> tuple[InstrumentResult, ...]:
    return tuple(instrument_result(i, found.get(i.code)) for i in instruments)


def public_results(
    session: Session, *, unit_code: str, minimum: int, now: datetime | None = None
) -> PublicResults:
    """What the unit publishes, or NotFound (unknown, deleted or not publishing)."""
    unit = units.get_by_code(session, code=unit_code) if 0 < len(unit_code) <= 40 else None
    if unit is None or unit.deleted_at is not None or not is_published(
            session, unit_id=unit.id):
        raise NotFound(NOT_PUBLISHED)
    campaigns = survey_campaigns.list_campaigns(session, unit_id=unit.id)
    states = {c.id: survey_campaigns.campaign_state(c, now) for c in campaigns}
    finished = [c for c in campaigns if states[c.id] in FINISHED]
    running = [c for c in campaigns if states[c.id] == "open"]
    ids = [c.id for c in finished]
    tallies = tallies_by_campaign_and_service(session, campaign_ids=ids)
    respondents = respondents_by_campaign_and_service(session, campaign_ids=ids)
    service_ids = [sid for _cid, sid in respondents if sid is not None]
    names = dict(session.exec(select(SurveyService.id, SurveyService.name).where(
        col(SurveyService.id).in_(service_ids or [-1]))).all())

    periods = []
    for campaign in finished:
        instruments = survey_campaigns.instruments_of(session, campaign)
        counts = {sid: n for (cid, sid), n in respondents.items() if cid == campaign.id}
        total = sum(counts.values())
        if total < minimum:
            periods.append(PublicPeriod(campaign, total, shown=False))
            continue
        # Services by name (no service last), so the groups are listed and held back in a
        # stable order.
        order = sorted(counts, key=lambda s: (s is None, names.get(s, "") if s else ""))
        shown = publishable_groups({sid: counts[sid] for sid in order}, minimum)
        groups = tuple(
            PublicGroup(sid, names.get(sid, NO_SERVICE_NAME) if sid else NO_SERVICE_NAME,
                        counts[sid], _results(instruments, tallies.get((campaign.id, sid), {})))
            for sid in order if sid in shown
        )
        merged = _merged([found for (cid, _sid), found in tallies.items() if cid == campaign.id])
        periods.append(PublicPeriod(
            campaign, total, shown=True, results=_results(instruments, merged),
            services=groups, held_services=len(counts) - len(groups),
        ))
    out = PublicResults(unit=unit, minimum=minimum, periods=periods, running=running)
    out.trends = _trends(out.published)
    out.actions = _actions(survey_followups.list_followups_for_unit(session, unit.id),
                           out.trends)
    return out


def _actions(followups: Sequence[survey_followups.PublicFollowup],
             trends: dict[str, list[TrendEntry]]) -> list[PublicAction]:
    """The follow-ups of published periods, compared with the next published period only
    (the reader's own comparison may use a period still running or too small to publish)."""
    kinds = {name: kind for kind, name in INDEX_NAMES.items()}
    out = []
    for f in followups:
        entries = trends.get(kinds.get(f.index_name, ""), [])
        at = next((n for n, e in enumerate(entries) if e.period.campaign.id == f.campaign_id),
                  None)
        if at is None:  # its period is not published: neither is what answers it
            continue
        after = entries[at + 1].result if at + 1 < len(entries) else None
        out.append(PublicAction(f, _nrr(entries[at].result, f.element_code),
                                _nrr(after, f.element_code) if after else None))
    return out


def _nrr(result: InstrumentResult, code: str) -> Fraction | None:
    return next((e.nrr for e in result.elements if e.code == code), None)


def _trends(published: Sequence[PublicPeriod]) -> dict[str, list[TrendEntry]]:
    """kind -> the published periods with that index, oldest first, with their change."""
    out: dict[str, list[TrendEntry]] = {}
    for kind in ("ikm", "spkp", "spak"):
        rows = [(p, p.result(kind)) for p in reversed(published) if p.result(kind)]
        if not rows:
            continue
        # Two campaigns may share a period label: compare in order anyway, keyed by campaign.
        steps = trend(TrendPoint(f"{p.campaign.period_label}#{p.campaign.id}", r.value)
                      for p, r in rows)
        out[kind] = [TrendEntry(p, r, s) for (p, r), s in zip(rows, steps, strict=True)]
    return out
