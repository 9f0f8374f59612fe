"""Survey results into the LKE ZI worksheet.

Rules (documented for users in docs/domain-joins.md):

- **Hasil**: HPA1A takes the IPKP (SPKP) and HBA1A the IPAK (SPAK) of the unit's latest
  *closed* campaign of the assessment's year that has counted answers for that survey
  (``survey_results.year_indices``; a campaign still taking answers is not used, it is listed
  as pending). The index on the 1-4 scale is rounded half-up to two decimals, as the survey
  report shows it, and stored through ``lke_answers.answer_many`` with the source
  ``survey:<campaign id>``; the campaign's results page is linked as the question's evidence
  (an older campaign's page linked earlier is unlinked).
- **PPF4A** (how many satisfaction surveys a year): the number of IKM campaigns of the year
  with counted answers is mapped to the option whose label says "minimal N kali" with the
  largest N not above the count (read from the bound framework; with no survey, the option
  without a count, "Belum dilakukan"). It is only a suggestion until the user applies it
  (source ``survey-count:<year>``, the campaigns linked as evidence).
- **Triggers**: on demand (worksheet button, ``POST /api/v1/assessments/{id}/fill-from-surveys``)
  and when a campaign is closed through :func:`set_campaign_status` / :func:`close_campaign`
  (the use case both faces call): if the unit has an editable assessment of the campaign's year
  it is filled with the closer's rights; a locked one is left alone and the campaign page says
  why (``campaign_status``).

Every write is one transaction with its audit records; final or in-review assessments refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.domain.display import round_half_up
from app.domain.lke import Framework
from app.models.lke.assessments import Assessment, LkeAnswer
from app.models.surveys.records import CampaignStatus, SurveyCampaign
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Forbidden, Invalid, NotFound, ServiceError
from app.services.lke import answers as lke_answers
from app.services.lke import assessments
from app.services.lke import links as lke_links
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results
from app.services.surveys.results import YearIndex

#: survey kind -> the Hasil question its index answers.
HASIL_REFS: tuple[tuple[str, str], ...] = (("spkp", "HPA1A"), ("spak", "HBA1A"))
COUNT_REF = "PPF4A"
SOURCE_PREFIX = "survey:"
COUNT_SOURCE_PREFIX = "survey-count:"
CAMPAIGN_PAGES = "surveys/campaigns"
_TIMES = re.compile(r"minimal\s+(\d+)\s+kali", re.IGNORECASE)


def source_campaign_id(source: str | None) -> int | None:
    """'survey:12' -> 12; anything else -> None."""
    if source and source.startswith(SOURCE_PREFIX):
        tail = source[len(SOURCE_PREFIX):]
        return int(tail) if tail.isdigit() else None
    return None


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class HasilItem:
    """One Hasil question and the survey result that answers it (None without one)."""

    ref: str
    kind: str  # spkp | spak
    index_name: str  # IPKP | IPAK
    chosen: YearIndex | None
    index: Decimal | None  # the value the LKE gets (1-4, 2 decimals)
    current_index: str | None
    current_source: str | None
    pending: tuple[YearIndex, ...] = ()  # newer campaigns still taking answers
    minimum_sample: int | None = None  # of the chosen campaign (Krejcie-Morgan, population)

    @property
    def sample_short(self) -> bool:
        """The index rests on fewer answers than the campaign's minimum sample."""
        return (self.chosen is not None and self.minimum_sample is not None
                and self.chosen.respondents < self.minimum_sample)

    @property
    def source(self) -> str | None:
        return f"{SOURCE_PREFIX}{self.chosen.campaign_id}" if self.chosen else None

    @property
    def up_to_date(self) -> bool:
        return (
            self.chosen is not None
            and self.current_index is not None
            and Decimal(self.current_index) == self.index
            and self.current_source == self.source
        )

    @property
    def reason(self) -> str:
        """Why nothing can be filled (Indonesian), or '' when a result is there."""
        if self.chosen is not None:
            return ""
        if self.pending:
            return (f"Survei {self.index_name} tahun ini masih berjalan "
                    f"({self.pending[0].campaign_title}); hasilnya dipakai setelah ditutup.")
        return f"Belum ada survei dengan hasil {self.index_name} pada tahun ini."


@dataclass(frozen=True)
class CountSuggestion:
    """PPF4A: the IKM campaigns of the year and the option their number points to."""

    ref: str
    year: int
    campaigns: tuple[YearIndex, ...]
    option: str | None
    option_label: str
    current_option: str | None
    current_source: str | None
    problem: str = ""

    @property
    def count(self) -> int:
        return len(self.campaigns)

    @property
    def source(self) -> str:
        return f"{COUNT_SOURCE_PREFIX}{self.year}"

    @property
    def applied(self) -> bool:
        return self.option is not None and self.current_option == self.option


@dataclass(frozen=True)
class SurveyPlan:
    """What the surveys of the assessment's year give the worksheet (nothing stored)."""

    assessment: Assessment
    editable: bool
    locked_reason: str
    hasil: tuple[HasilItem, ...]
    count: CountSuggestion | None

    @property
    def year(self) -> int:
        return self.assessment.year

    @property
    def fillable(self) -> tuple[HasilItem, ...]:
        return tuple(h for h in self.hasil if h.chosen is not None)

    @property
    def changes_pending(self) -> bool:
        return any(not h.up_to_date for h in self.fillable)


def _locked_reason(assessment: Assessment) -> str:
    try:
        assessments.assert_editable(assessment)
    except ServiceError as exc:
        return exc.message
    return ""


def _count_option(framework: Framework, count: int) -> tuple[str | None, str, str]:
    """(option, label, problem) for PPF4A from the option labels of the bound framework."""
    if not framework.has_question(COUNT_REF):
        return None, "", f"{COUNT_REF} tidak ada dalam LKE {framework.code}."
    question = framework.question(COUNT_REF)
    counted: list[tuple[int, Any]] = []
    uncounted = []
    for option in question.options:
        found = _TIMES.search(option.label)
        if found:
            counted.append((int(found.group(1)), option))
        else:
            uncounted.append(option)
    best = max((pair for pair in counted if pair[0] <= count), default=None,
               key=lambda pair: pair[0])
    if best is not None:
        return best[1].code, best[1].label, ""
    if uncounted:
        lowest = min(uncounted, key=lambda o: o.value)
        return lowest.code, lowest.label, ""
    return None, "", f"Pilihan {COUNT_REF} tidak dapat dipetakan dari jumlah survei."


def _plan(session: Session, assessment: Assessment) -> SurveyPlan:
    framework = assessments.framework_of(session, assessment)
    rows: dict[str, LkeAnswer] = lke_answers.answers_of(
        session, assessment_id=assessment.id, refs=[ref for _kind, ref in HASIL_REFS] + [COUNT_REF])
    found = survey_results.year_indices(session, unit_id=assessment.unit_id,
                                        year=assessment.year)
    hasil = []
    for kind, ref in HASIL_REFS:
        if not framework.has_question(ref):
            continue
        listed = found.get(kind, [])
        chosen = next((x for x in listed if x.closed), None)
        pending = tuple(
            x for x in listed if not x.closed
            and (chosen is None or survey_campaigns.period_sort_key(x.period)
                 >= survey_campaigns.period_sort_key(chosen.period))
        )
        row = rows.get(ref)
        hasil.append(HasilItem(
            ref=ref, kind=kind, index_name=survey_results.INDEX_NAMES[kind], chosen=chosen,
            index=round_half_up(chosen.value_1_4, 2) if chosen else None,
            current_index=row.index_value if row else None,
            current_source=row.source if row else None, pending=pending,
            minimum_sample=_minimum_sample(chosen.population) if chosen else None,
        ))
    count = None
    if framework.has_question(COUNT_REF):
        ikm = tuple(sorted(found.get("ikm", []),
                           key=lambda x: survey_campaigns.period_sort_key(x.period)))
        option, label, problem = _count_option(framework, len(ikm))
        row = rows.get(COUNT_REF)
        count = CountSuggestion(
            ref=COUNT_REF, year=assessment.year, campaigns=ikm, option=option,
            option_label=label, current_option=row.option if row else None,
            current_source=row.source if row else None, problem=problem,
        )
    reason = _locked_reason(assessment)
    return SurveyPlan(assessment, not reason, reason, tuple(hasil), count)


def _minimum_sample(population: int | None) -> int | None:
    return survey_results.sample_size(population) if population else None


def plan(session: Session, *, actor: Principal | None, assessment_id: int) -> SurveyPlan:
    """What the year's surveys would fill (Hasil) and suggest (PPF4A); nothing is stored."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    return _plan(session, assessment)


# --------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class FillResult:
    plan: SurveyPlan  # after the fill
    changed: tuple[str, ...]  # refs whose value or source changed
    links_added: int = 0
    links_removed: int = 0
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (ref, reason)


def _writable(session: Session, actor: Principal | None, assessment_id: int) -> Assessment:
    assessment = assessments.get(
        session, actor=actor, assessment_id=assessment_id, permission="indicators.write"
    )
    assessments.assert_editable(assessment)
    return assessment


def _campaign_page(base_url: str, unit_id: int, item: YearIndex) -> tuple[str, str]:
    return (
        lke_links.page_url(base_url, lke_links.campaign_path(unit_id, item.campaign_id)),
        f"Hasil survei: {item.campaign_title} ({item.period})",
    )


def _fill(
    session: Session, *, actor: Principal | None, assessment: Assessment, base_url: str,
    trigger: str,
) -> FillResult:
    before = _plan(session, assessment)
    framework = assessments.framework_of(session, assessment)
    items = before.fillable
    if not items:
        raise Invalid(
            f"Belum ada hasil survei yang dapat mengisi LKE {assessment.year}.",
            problems=[f"{h.ref}: {h.reason}" for h in before.hasil],
        )
    try:
        changed = []
        for h in items:
            if h.up_to_date:
                continue
            lke_answers.answer_many(
                session, actor=actor, assessment_id=assessment.id,
                changes=[lke_answers.AnswerChange(h.ref, index=h.index)], source=h.source,
                commit=False,
            )
            changed.append(h.ref)
        added = removed = 0
        for h in items:
            expected = 0 if framework.question(h.ref).evidence else None
            a, r = lke_links.attach_pages(
                session, actor=actor, assessment=assessment, ref=h.ref,
                pages=[_campaign_page(base_url, assessment.unit_id, h.chosen)],
                kind=CAMPAIGN_PAGES, expected_index=expected,
            )
            added, removed = added + a, removed + r
        skipped = tuple((h.ref, h.reason) for h in before.hasil if h.chosen is None)
        audit.record(
            session, actor=actor, action="fill_from_surveys", entity="assessment",
            entity_id=assessment.id, unit_id=assessment.unit_id,
            before={h.ref: {"index": h.current_index, "source": h.current_source}
                    for h in items},
            after={"trigger": trigger,
                   "answers": {h.ref: {"index": str(h.index), "source": h.source,
                                       "campaign": h.chosen.campaign_title,
                                       "period": h.chosen.period} for h in items},
                   "changed": changed, "links_added": added, "links_removed": removed,
                   "skipped": dict(skipped)},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return FillResult(_plan(session, assessment), tuple(changed), added, removed, skipped)


def fill_from_surveys(
    session: Session, *, actor: Principal | None, assessment_id: int, base_url: str
) -> FillResult:
    """Fill HPA1A/HBA1A from the year's latest closed SPKP/SPAK campaigns, linking them."""
    assessment = _writable(session, actor, assessment_id)
    return _fill(session, actor=actor, assessment=assessment, base_url=base_url,
                 trigger="on_demand")


def apply_survey_count(
    session: Session, *, actor: Principal | None, assessment_id: int, base_url: str
) -> CountSuggestion:
    """Answer PPF4A with the option the year's number of IKM campaigns points to."""
    assessment = _writable(session, actor, assessment_id)
    current = _plan(session, assessment).count
    if current is None or current.option is None:
        raise Invalid(current.problem if current else f"{COUNT_REF} tidak ada dalam LKE ini.")
    framework = assessments.framework_of(session, assessment)
    expected = 0 if framework.question(COUNT_REF).evidence else None
    try:
        if not (current.applied and current.current_source == current.source):
            lke_answers.answer_many(
                session, actor=actor, assessment_id=assessment.id,
                changes=[lke_answers.AnswerChange(COUNT_REF, option=current.option)],
                source=current.source, commit=False,
            )
        added, removed = lke_links.attach_pages(
            session, actor=actor, assessment=assessment, ref=COUNT_REF,
            pages=[_campaign_page(base_url, assessment.unit_id, c) for c in current.campaigns],
            kind=CAMPAIGN_PAGES, expected_index=expected,
        )
        audit.record(
            session, actor=actor, action="apply_survey_count", entity="assessment",
            entity_id=assessment.id, unit_id=assessment.unit_id,
            before={"option": current.current_option, "source": current.current_source},
            after={"option": current.option, "source": current.source,
                   "ikm_campaigns": [c.campaign_id for c in current.campaigns],
                   "links_added": added, "links_removed": removed},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return _plan(session, assessment).count


# --------------------------------------------------------------------------- closing a campaign


@dataclass(frozen=True)
class CloseOutcome:
    """What closing a campaign did to the LKE of its year."""

    year: int
    assessment_id: int | None
    status: str  # filled | unchanged | locked | no_assessment | forbidden | nothing
    message: str
    changed: tuple[str, ...] = ()


def _base_url() -> str:
    from app.config import get_settings

    return get_settings().base_url


def set_campaign_status(
    session: Session, *, actor: Principal | None, campaign_id: int, status: str
) -> SurveyCampaign:
    """Open, close or reopen a campaign; closing an open one then fills its year's LKE Hasil.

    The status change is the surveys service's own transaction; the fill that follows is a
    second one and never undoes the close (a locked assessment is simply left alone).
    """
    current = session.get(SurveyCampaign, campaign_id)
    was_closed = current is not None and current.status == CampaignStatus.closed
    campaign = survey_campaigns.set_campaign_status(
        session, actor=actor, campaign_id=campaign_id, status=status
    )
    if status == CampaignStatus.closed and not was_closed:
        fill_after_close(session, actor=actor, campaign=campaign)
    return campaign


@dataclass(frozen=True)
class ClosePreview:
    """What closing a campaign now would do (nothing stored): its sample against the minimum
    and the Hasil answers of its year's LKE it would fill."""

    campaign: SurveyCampaign
    respondents: int
    minimum_sample: int
    year: int
    fills: tuple[str, ...]  # e.g. ("HPA1A",): answered from this campaign on close

    @property
    def sample_reached(self) -> bool:
        return self.respondents >= self.minimum_sample


def close_preview(
    session: Session, *, actor: Principal | None, campaign_id: int, unit_id: int | None = None
) -> ClosePreview:
    """For the confirmation before a close: the sample and what the LKE would receive."""
    campaign = survey_campaigns.campaign_for(session, actor=actor, campaign_id=campaign_id,
                                             unit_id=unit_id)
    res = survey_results.campaign_results(session, campaign=campaign, with_services=False,
                                          with_profile=False, actor=actor)
    kinds = {r.kind for r in res.instruments if r.has_data}
    fills: tuple[str, ...] = ()
    assessment = assessments.find(session, unit_id=campaign.unit_id, year=campaign.year)
    if assessment is not None and not _locked_reason(assessment):
        framework = assessments.framework_of(session, assessment)
        fills = tuple(ref for kind, ref in HASIL_REFS
                      if kind in kinds and framework.has_question(ref))
    return ClosePreview(campaign, res.respondents, res.minimum_sample, campaign.year, fills)


def close_campaign(
    session: Session, *, actor: Principal | None, campaign_id: int
) -> SurveyCampaign:
    """Close a campaign and fill the LKE Hasil of its year from it."""
    return set_campaign_status(
        session, actor=actor, campaign_id=campaign_id, status=CampaignStatus.closed
    )


def fill_after_close(
    session: Session, *, actor: Principal | None, campaign: SurveyCampaign
) -> CloseOutcome:
    """Fill the editable assessment of a just-closed campaign's year (refusals are outcomes)."""
    assessment = assessments.find(session, unit_id=campaign.unit_id, year=campaign.year)
    if assessment is None:
        return CloseOutcome(campaign.year, None, "no_assessment",
                            f"Belum ada penilaian LKE {campaign.year} untuk unit ini.")
    reason = _locked_reason(assessment)
    if reason:
        return CloseOutcome(campaign.year, assessment.id, "locked", reason)
    if actor is not None and not actor.can("indicators.write", assessment.unit_id):
        return CloseOutcome(campaign.year, assessment.id, "forbidden",
                            "Penutup survei tidak berhak mengubah LKE; isi dari lembar kerja.")
    try:
        result = _fill(session, actor=actor, assessment=assessment, base_url=_base_url(),
                       trigger=f"campaign_closed:{campaign.id}")
    except (Invalid, Forbidden, NotFound) as exc:
        return CloseOutcome(campaign.year, assessment.id, "nothing", exc.message)
    status = "filled" if result.changed else "unchanged"
    return CloseOutcome(campaign.year, assessment.id, status,
                        f"LKE {campaign.year} diisi dari hasil survei.", result.changed)


# --------------------------------------------------------------------------- campaign view


@dataclass(frozen=True)
class CampaignLke:
    """For a campaign page: which LKE answers of its year come from it, or why not."""

    campaign: SurveyCampaign
    closed: bool
    assessment: Assessment | None
    editable: bool
    locked_reason: str
    uses: tuple[HasilItem, ...]  # Hasil answers whose source is this campaign
    others: tuple[HasilItem, ...]  # Hasil answers of the kinds it carries, from elsewhere
    kinds: tuple[str, ...]


def campaign_status(
    session: Session, *, actor: Principal | None, campaign_id: int, unit_id: int | None = None
) -> CampaignLke:
    """Where this campaign stands in the LKE of its year (read-only); with ``unit_id`` (a page
    addressed through a unit), a campaign of another unit is NotFound."""
    campaign = survey_campaigns.campaign_for(session, actor=actor, campaign_id=campaign_id,
                                             unit_id=unit_id)
    kinds = tuple(i.kind for i in survey_campaigns.instruments_of(session, campaign))
    closed = survey_campaigns.campaign_state(campaign) in ("closed", "ended")
    assessment = assessments.find(session, unit_id=campaign.unit_id, year=campaign.year)
    if assessment is None:
        return CampaignLke(campaign, closed, None, False, "", (), (), kinds)
    current = _plan(session, assessment)
    mine = f"{SOURCE_PREFIX}{campaign.id}"
    relevant = [h for h in current.hasil if h.kind in kinds]
    return CampaignLke(
        campaign, closed, assessment, current.editable, current.locked_reason,
        tuple(h for h in relevant if h.current_source == mine),
        tuple(h for h in relevant if h.current_source != mine), kinds,
    )
