"""Innovations into the LKE ZI worksheet, and survey indices before/after an innovation.

- **Registered services** are the unit's *active* survey service types (``survey_service``).
  An innovation lists its services as free text; a text names a registered service when it
  equals the service's code or its name, ignoring case and repeated spaces (``sp2d``,
  ``Pencairan dana (penerbitan SP2D)``). Anything else stays unmatched and the suggestion says
  so ("layanan tidak terdaftar").
- **Suggestions** (``suggestions``): ``innovations.suggest_lke`` with those services. PRF1B's
  *simplified* services are the registered services an operating innovation (penerapan or
  replikasi, not stopped) made faster or shorter, by a valid before/after measure of service
  time or number of steps that improved.
- **Apply** (``apply_to_lke``): writes the chosen refs (PPF2F / PRF1A options, PRF1B inputs)
  to an editable assessment with the source ``innovations`` and links each innovation that
  supports the answer (its page) as evidence; one transaction, audited.
- **Before/after** (``service_index_changes``): for each service of a launched innovation, the
  IKM of that service over the unit's closed IKM campaigns whose period ended before the
  launch (within ``innovations.service_windows``) against those that started on or after it;
  a campaign running across the launch date belongs to neither. Shown only when both sides
  have counted answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from sqlmodel import Session, col, func, select

from app.domain import programme as dom
from app.domain.surveys.indices import ElementTally
from app.models.lke.assessments import Assessment
from app.models.programme import InnovationImpact
from app.models.surveys.records import SurveyCampaign, SurveyResponse, SurveyService
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Invalid
from app.services.lke import answers as lke_answers
from app.services.lke import assessments
from app.services.lke import links as lke_links
from app.services.programme import innovations
from app.services.programme._common import live
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import results as survey_results

REFS = ("PPF2F", "PRF1A", "PRF1B")
SOURCE = "innovations"
INNOVATION_PAGES = "innovations"
SIMPLIFYING_KINDS = (dom.MetricKind.SERVICE_TIME_MINUTES, dom.MetricKind.STEPS)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def registered_services(session: Session, *, unit_id: int) -> list[SurveyService]:
    """The unit's active service types (the survey capability's list)."""
    return survey_catalogue.active_services(session, unit_id=unit_id)


def service_matcher(services: Sequence[SurveyService]) -> Callable[[str], str]:
    """Free text -> the name of the registered service it names (code or name, any case);
    unmatched text comes back trimmed."""
    aliases: dict[str, str] = {}
    for s in services:
        aliases.setdefault(_norm(s.code), s.name)
        aliases.setdefault(_norm(s.name), s.name)

    def key(text: str) -> str:
        return aliases.get(_norm(text), " ".join(str(text).split()))

    return key


def simplified_services(
    session: Session, *, unit_id: int, key: Callable[[str], str], registered: set[str]
) -> set[str]:
    """Registered services an operating innovation made faster or shorter (measured)."""
    rows = [r for r in innovations.all_innovations(session, unit_id=unit_id)
            if r.status != "dihentikan" and dom.Stage(r.stage).in_operation]
    if not rows:
        return set()
    by_innovation: dict[int, list[InnovationImpact]] = defaultdict(list)
    for imp in session.exec(live(InnovationImpact, unit_id)).all():
        by_innovation[imp.innovation_id].append(imp)
    out: set[str] = set()
    for row in rows:
        for imp in by_innovation.get(row.id, ()):
            measure = innovations.impact_to_domain(imp)
            if measure.kind not in SIMPLIFYING_KINDS or dom.validate_impact(measure):
                continue
            if dom.improvement(measure).improved:
                out |= {key(s) for s in row.services or []} & registered
    return out


def suggestions(
    session: Session, *, actor: Principal | None, unit_id: int
) -> innovations.LkeSuggestionView:
    """PPF2F / PRF1A / PRF1B suggested from the innovations, with the unit's services."""
    services = registered_services(session, unit_id=unit_id)
    key = service_matcher(services)
    names = {s.name for s in services}
    return innovations.suggest_lke(
        session, actor=actor, unit_id=unit_id, services_registered=sorted(names),
        services_simplified=sorted(simplified_services(
            session, unit_id=unit_id, key=key, registered=names)),
        service_key=key,
    )


# --------------------------------------------------------------------------- apply


@dataclass(frozen=True)
class AppliedAnswer:
    ref: str
    option: str | None
    inputs: dict[str, int] | None
    innovation_ids: tuple[int, ...]
    changed: bool


@dataclass(frozen=True)
class ApplyResult:
    assessment: Assessment
    answers: tuple[AppliedAnswer, ...]
    links_added: int
    links_removed: int
    titles: dict[int, str] = field(default_factory=dict)  # innovation id -> title


def editable_assessments(session: Session, *, unit_id: int) -> list[Assessment]:
    """The unit's assessments that still take answers, newest year first."""
    return [a for a in assessments.list_for_unit(session, actor=None, unit_id=unit_id)
            if assessments.is_editable(a)]


def apply_to_lke(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    refs: Sequence[str],
    base_url: str,
    unit_id: int | None = None,
) -> ApplyResult:
    """Write the suggested PPF2F / PRF1A / PRF1B to an editable assessment, innovations as
    evidence (links to their pages). With ``unit_id`` (a page addressed through a unit), an
    assessment of another unit, or none at all, is NotFound."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id,
                                 permission="indicators.write", unit_id=unit_id)
    assessments.assert_editable(assessment)
    chosen = list(dict.fromkeys(r.strip().upper() for r in refs if r and r.strip()))
    unknown = [r for r in chosen if r not in REFS]
    if not chosen or unknown:
        raise Invalid("Pilih jawaban yang akan diterapkan: PPF2F, PRF1A dan/atau PRF1B.",
                      problems=[f"'{r}' bukan saran dari registri inovasi." for r in unknown])
    view = suggestions(session, actor=None, unit_id=assessment.unit_id)
    sug = view.suggestions
    framework = assessments.framework_of(session, assessment)
    missing = [r for r in chosen if not framework.has_question(r)]
    if missing:
        raise Invalid(f"Pertanyaan {', '.join(missing)} tidak ada dalam LKE {framework.code}.")
    if not view.services_known or (
        not registered_services(session, unit_id=assessment.unit_id)
        and {"PRF1A", "PRF1B"} & set(chosen)
    ):
        raise Invalid(
            "PRF1A dan PRF1B memerlukan daftar jenis layanan unit: tambahkan jenis layanan "
            "di menu Survei terlebih dahulu."
        )
    rows = lke_answers.answers_of(session, assessment_id=assessment.id)
    changes, planned = [], []
    for ref in chosen:
        if ref == "PRF1B":
            inputs = {"services_registered": sug.prf1b.denominator,
                      "services_simplified": sug.prf1b.numerator}
            change = lke_answers.AnswerChange(ref, inputs=inputs)
            ids, option = tuple(sug.prf1b.evidence_ids), None
        else:
            item = sug.ppf2f if ref == "PPF2F" else sug.prf1a
            inputs, option, ids = None, item.option, tuple(item.evidence_ids)
            change = lke_answers.AnswerChange(ref, option=option)
        row = rows.get(ref)
        same = row is not None and row.source == SOURCE and (
            row.option == option if option else
            {k: int(v) for k, v in (row.inputs or {}).items()} == inputs
        )
        if not same:
            changes.append(change)
        planned.append(AppliedAnswer(ref, option, inputs, ids, not same))
    try:
        if changes:
            lke_answers.answer_many(session, actor=actor, assessment_id=assessment.id,
                                    changes=changes, source=SOURCE, commit=False)
        added = removed = 0
        for answer in planned:
            pages = [
                (lke_links.page_url(base_url, lke_links.innovation_path(assessment.unit_id, i)),
                 f"Inovasi: {view.titles.get(i, i)}")
                for i in answer.innovation_ids
            ]
            a, r = lke_links.attach_pages(
                session, actor=actor, assessment=assessment, ref=answer.ref, pages=pages,
                kind=INNOVATION_PAGES,
            )
            added, removed = added + a, removed + r
        audit.record(
            session, actor=actor, action="apply_innovations", entity="assessment",
            entity_id=assessment.id, unit_id=assessment.unit_id,
            before={a.ref: _value(rows.get(a.ref)) for a in planned},
            after={"answers": {a.ref: {"option": a.option, "inputs": a.inputs,
                                       "innovations": list(a.innovation_ids)}
                               for a in planned},
                   "links_added": added, "links_removed": removed},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ApplyResult(assessment, tuple(planned), added, removed, dict(view.titles))


def _value(row) -> dict | None:
    if row is None:
        return None
    return {"option": row.option, "inputs": row.inputs, "source": row.source}


# --------------------------------------------------------------------------- before / after


@dataclass(frozen=True)
class WindowIndex:
    """The IKM of one service over some campaigns (pooled answers)."""

    campaigns: tuple[SurveyCampaign, ...]
    respondents: int
    result: survey_results.InstrumentResult

    @property
    def value(self) -> Fraction | None:
        return self.result.value


@dataclass(frozen=True)
class ServiceChange:
    service_text: str  # as written on the innovation
    service: SurveyService
    window: innovations.ServiceWindow
    before: WindowIndex
    after: WindowIndex

    @property
    def change(self) -> Fraction:
        return self.after.value - self.before.value


def _ikm_campaigns(session: Session, unit_id: int) -> list[tuple[SurveyCampaign, object]]:
    out = []
    for c in survey_campaigns.list_campaigns(session, unit_id=unit_id):
        if survey_campaigns.campaign_state(c) not in ("closed", "ended"):
            continue
        inst = next((i for i in survey_campaigns.instruments_of(session, c) if i.kind == "ikm"), None)
        if inst is not None:
            out.append((c, inst))
    return out


def _pooled(session: Session, picked: list[tuple[SurveyCampaign, object]],
            service_id: int) -> WindowIndex | None:
    if not picked:
        return None
    picked = sorted(picked, key=lambda p: (survey_campaigns.period_sort_key(p[0].period_label),
                                           p[0].opens_on))
    ids = [c.id for c, _ in picked]
    codes = {inst.code for _, inst in picked}
    merged: dict[str, list[int]] = {}
    for code, rows in survey_results.tallies(session, campaign_ids=ids,
                                             service_id=service_id).items():
        if code not in codes:
            continue
        for t in rows:
            total, count = merged.get(t.code, [0, 0])
            merged[t.code] = [total + t.total, count + t.count]
    if not merged:
        return None
    instrument = picked[-1][1]
    result = survey_results.instrument_result(
        instrument, [ElementTally(k, v[0], v[1]) for k, v in merged.items()]
    )
    if not result.has_data:
        return None
    respondents = session.exec(
        select(func.count()).select_from(SurveyResponse).where(
            col(SurveyResponse.campaign_id).in_(ids), SurveyResponse.service_id == service_id,
            SurveyResponse.reportable == True,  # noqa: E712
        )
    ).one()
    return WindowIndex(tuple(c for c, _ in picked), int(respondents), result)


def service_index_changes(
    session: Session, *, actor: Principal | None, innovation_id: int, days: int = 365
) -> list[ServiceChange]:
    """Per service of the innovation: its IKM before and after the launch (both sides needed)."""
    row = innovations.get_innovation(session, actor=actor, innovation_id=innovation_id)
    windows = [w for w in innovations.service_windows(session, actor=actor,
                                                      unit_id=row.unit_id, days=days)
               if w.innovation_id == row.id]
    if not windows:
        return []
    services = registered_services(session, unit_id=row.unit_id) + [
        s for s in survey_catalogue.list_services(session, unit_id=row.unit_id) if not s.active
    ]
    by_alias: dict[str, SurveyService] = {}
    for s in services:
        by_alias.setdefault(_norm(s.code), s)
        by_alias.setdefault(_norm(s.name), s)
    campaigns = _ikm_campaigns(session, row.unit_id)
    out = []
    for w in windows:
        service = by_alias.get(_norm(w.service))
        if service is None:
            continue
        before = _pooled(session, [
            (c, i) for c, i in campaigns if w.before_from <= c.closes_on < w.launched_on
        ], service.id)
        after = _pooled(session, [
            (c, i) for c, i in campaigns if w.launched_on <= c.opens_on < w.after_until
        ], service.id)
        if before is not None and after is not None:
            out.append(ServiceChange(w.service, service, w, before, after))
    return out
