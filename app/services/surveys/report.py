"""The SKM report (laporan Survei Kepuasan Masyarakat) of one campaign, in the structure units
publish under PermenPANRB 14/2017: introduction, method, results, comparison with the previous
period, conclusion and the follow-up plan.

This module gathers the report's content; ``report_pdf`` and ``report_docx`` lay it out. Every
number comes from the services the survey results page uses (``results.campaign_results``,
``results.unit_trend``, ``followups.followup_plan``): nothing is computed twice. The only new
arithmetic is the weighted NRR of PermenPANRB 14/2017 (NRR x the element's weight 1/n, exact),
whose sum is the mean NRR the page shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlmodel import Session, col, func, select

from app.domain.surveys.followup import ElementChange, compare_elements, weakest_elements
from app.domain.surveys.indices import ElementNrr, TrendStep
from app.models.surveys.records import SurveyCampaign, SurveyResponse
from app.models.units import Unit
from app.security.principal import Principal
from app.services import units
from app.services.errors import Conflict, NotFound
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import followups
from app.services.surveys import results as survey_results

#: The most suggestions listed per service (the rest counted), so a report stays printable.
SUGGESTIONS_PER_GROUP = 15


@dataclass(frozen=True)
class ElementLine:
    code: str
    name: str
    name_en: str
    nrr: Fraction
    #: NRR x 1/n (PermenPANRB 14/2017: weight 0.111 for nine elements, exactly 1/9 here).
    weighted: Fraction
    count: int
    #: The previous period's change to this period (None without a previous period).
    change: ElementChange | None = None

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name


@dataclass
class InstrumentSection:
    result: survey_results.InstrumentResult
    elements: list[ElementLine]
    weakest: tuple[ElementNrr, ...]
    previous: survey_results.TrendRow | None
    step: TrendStep | None

    @property
    def instrument(self):
        return self.result.instrument

    @property
    def weighted_sum(self) -> Fraction:
        return sum((e.weighted for e in self.elements), Fraction(0))


@dataclass(frozen=True)
class SuggestionGroup:
    service: str
    items: tuple[tuple[str, int], ...]  # (text, how many gave it), most frequent first
    more: int  # suggestions left out of ``items``
    total: int


@dataclass
class SkmReport:
    unit: Unit
    parents: list[Unit]
    campaign: SurveyCampaign
    results: survey_results.CampaignResults
    sections: list[InstrumentSection]
    channels: dict[str, int]
    suggestions: list[SuggestionGroup]
    trend: list[survey_results.TrendRow]
    plan: followups.FollowupPlan
    generated_on: date
    lang: str = "id"
    services: list[survey_results.ServiceRow] = field(default_factory=list)

    def section(self, kind: str) -> InstrumentSection | None:
        return next((s for s in self.sections if s.result.kind == kind), None)


def _section(session: Session, campaign: SurveyCampaign,
             result: survey_results.InstrumentResult
             ) -> tuple[InstrumentSection, list[survey_results.TrendRow]]:
    trend = survey_results.unit_trend(session, unit_id=campaign.unit_id,
                                      kind=result.kind)
    ids = [r.campaign.id for r in trend]
    at = ids.index(campaign.id) if campaign.id in ids else None
    previous = trend[at - 1] if at else None
    changes = compare_elements(previous.result.elements, result.elements) if previous else {}
    inst = result.instrument
    weight = Fraction(1, len(result.elements))
    lines = [ElementLine(
        e.code, inst.item(e.code).name.id, inst.item(e.code).name.en, e.nrr, e.nrr * weight,
        e.count, changes.get(e.code),
    ) for e in result.elements]
    step = trend[at].step if at is not None else None
    return (InstrumentSection(result, lines, weakest_elements(result.elements), previous,
                              step),
            trend[: at + 1] if at is not None else [])


def _channels(session: Session, campaign_id: int) -> dict[str, int]:
    """Counted responses by channel (web form, kiosk, API)."""
    rows = session.exec(
        select(SurveyResponse.channel, func.count()).where(
            SurveyResponse.campaign_id == campaign_id,
            SurveyResponse.reportable == True,  # noqa: E712
        ).group_by(SurveyResponse.channel)
    ).all()
    return {channel: int(n) for channel, n in sorted(rows)}


def _suggestions(session: Session, campaign_id: int, names: dict[int | None, str]
                 ) -> list[SuggestionGroup]:
    """The counted respondents' suggestions, grouped by service; the same text (ignoring case
    and spaces) counted once with its number."""
    rows = session.exec(
        select(SurveyResponse.service_id, SurveyResponse.suggestion).where(
            SurveyResponse.campaign_id == campaign_id,
            SurveyResponse.reportable == True,  # noqa: E712
            col(SurveyResponse.suggestion).is_not(None),
        ).order_by(SurveyResponse.id)
    ).all()
    grouped: dict[int | None, Counter] = defaultdict(Counter)
    shown: dict[tuple[int | None, str], str] = {}
    for service_id, text in rows:
        text = " ".join((text or "").split())
        if not text:
            continue
        key = text.casefold()
        shown.setdefault((service_id, key), text)
        grouped[service_id][key] += 1
    out = []
    for service_id, counts in grouped.items():
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        items = tuple((shown[(service_id, k)], n) for k, n in ordered[:SUGGESTIONS_PER_GROUP])
        out.append(SuggestionGroup(
            names.get(service_id, "Tanpa jenis layanan"), items,
            sum(n for _, n in ordered[SUGGESTIONS_PER_GROUP:]), sum(counts.values())))
    out.sort(key=lambda g: (g.service == "Tanpa jenis layanan", g.service))
    return out


def campaign_report(
    session: Session, *, actor: Principal | None, campaign_id: int, unit_id: int | None = None,
    lang: str = "id", today: date | None = None,
) -> SkmReport:
    """Everything the SKM report of one campaign says (reading needs ``unit.read``)."""
    campaign = survey_campaigns.campaign_for(session, actor=actor, campaign_id=campaign_id,
                                             unit_id=unit_id)
    results = survey_results.campaign_results(session, campaign=campaign, actor=actor)
    sections, trend = [], []
    for r in results.instruments:
        if r.has_data:
            section, rows = _section(session, campaign, r)
            sections.append(section)
            if r.kind == "ikm" or not trend:
                trend = rows
    unit = units.get(session, unit_id=campaign.unit_id)
    names = {s.service_id: s.name for s in results.services}
    plan = followups.followup_plan(session, actor=actor, campaign_id=campaign.id,
                                   results=results)
    return SkmReport(
        unit=unit, parents=units.ancestors(session, unit=unit), campaign=campaign,
        results=results, sections=sections, channels=_channels(session, campaign.id),
        suggestions=_suggestions(session, campaign.id, names), trend=trend, plan=plan,
        generated_on=today or date.today(), lang="en" if lang == "en" else "id",
        services=results.services,
    )


def period_campaign(
    session: Session, *, actor: Principal | None, unit_id: int, period: str
) -> SurveyCampaign:
    """The unit's campaign of a period (``2019-S1``), for the report per period. NotFound
    without one; Conflict when several campaigns share the period (choose one)."""
    found = [c for c in survey_campaigns.list_campaigns(session, unit_id=unit_id, actor=actor)
             if c.period_label == period.strip().upper()]
    if not found:
        raise NotFound(f"Tidak ada survei untuk periode {period} di unit ini.")
    if len(found) > 1:
        raise Conflict(
            f"Periode {period} mempunyai {len(found)} survei: buat laporan per survei ("
            + ", ".join(f"{c.title} #{c.id}" for c in found) + ").")
    return found[0]
