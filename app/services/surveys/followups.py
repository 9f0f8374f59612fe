"""The follow-up plan of a campaign's findings (rencana tindak lanjut hasil survei).

For the weakest elements of a campaign (``app.domain.surveys.followup.weakest_elements``) the
unit records actions: what, who answers for it, by when, status and evidence. Each action may
point at an item of the unit's action plan (``action_item_id``; the join that copies an action
into the plan is ``app.services.integration.survey_followups``). The next period's results show
whether each element improved: the NRR of the element in this campaign against the next
campaign of the unit that measured the same kind of index (``results.unit_trend`` order),
compared exactly.

Writes need ``surveys.write`` (delete and undo: ``surveys.delete``), reads ``unit.read``;
``list_followups_for_unit`` is the public page's reader and gives no personal data (no owner,
no evidence, no author).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlmodel import Session, col, select

from app.domain.programme import ItemStatus
from app.domain.surveys.followup import (
    ElementChange,
    Finding,
    FollowupAction,
    FollowupSuggestion,
    compare_elements,
    suggest_followup_answer,
    weakest_elements,
)
from app.domain.surveys.indices import ElementNrr
from app.domain.surveys.instruments import Instrument
from app.models.programme import ActionItem
from app.models.surveys.followups import SurveyFollowup
from app.models.surveys.records import SurveyCampaign
from app.security.principal import Principal
from app.services import audit
from app.services.errors import FieldProblem, Invalid, NotFound
from app.services.lke.evidence import check_url
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import results as survey_results
from app.services.surveys.campaigns import campaign_for, forbid, utc_now
from app.services.surveys.inputs import FollowupIn, FollowupPatch

ENTITY = "survey_followup"
STATUSES = tuple(s.value for s in ItemStatus)
_FIELDS = ("instrument_code", "element_code", "action", "owner", "due_on", "status",
           "evidence_title", "evidence_url", "action_item_id")
_LIMITS = {"action": 300, "owner": 200, "evidence_title": 200, "evidence_url": 500}
_LABELS = {"action": "Tindakan", "owner": "Penanggung jawab", "evidence_title": "Judul bukti",
           "evidence_url": "Tautan bukti"}


def status_label(status: str, lang: str = "id") -> str:
    return ItemStatus(status).label.text(lang) if status in STATUSES else status


# --------------------------------------------------------------------------- checks


def default_instrument(instruments: list[Instrument]) -> Instrument | None:
    """The instrument a follow-up is about when none is named: the IKM, else the first."""
    return next((i for i in instruments if i.kind == "ikm"), instruments[0] if instruments else None)


def _problems(session: Session, campaign: SurveyCampaign, values: dict[str, Any]
              ) -> list[FieldProblem]:
    """Every problem of the values about to be stored (normalises texts in place)."""
    problems: list[FieldProblem] = []
    for name in ("action", "owner", "evidence_title", "evidence_url", "element_code"):
        values[name] = (values.get(name) or "").strip()
    instruments = survey_campaigns.instruments_of(session, campaign)
    code = (values.get("instrument_code") or "").strip()
    inst = next((i for i in instruments if i.code == code), None) if code else \
        default_instrument(instruments)
    if inst is None:
        problems.append(FieldProblem("instrument_code", "invalid",
                                     f"Instrumen '{code}' tidak dipakai survei ini."))
    else:
        values["instrument_code"] = inst.code
        element = values["element_code"].upper()
        values["element_code"] = element
        if element not in inst.item_codes:
            problems.append(FieldProblem(
                "element_code", "missing" if not element else "invalid",
                "Unsur wajib dipilih." if not element else
                f"Unsur '{element}' tidak ada pada {inst.title.id} "
                f"(pilihan: {', '.join(inst.item_codes)})."))
    if not values["action"]:
        problems.append(FieldProblem("action", "missing", "Tindakan wajib diisi."))
    for name, limit in _LIMITS.items():
        if len(values[name]) > limit:
            problems.append(FieldProblem(
                name, "too_long", f"{_LABELS[name]} paling banyak {limit} karakter."))
    if values.get("status") not in STATUSES:
        problems.append(FieldProblem(
            "status", "invalid", "Status harus salah satu dari: "
            + ", ".join(s.label.id for s in ItemStatus) + "."))
    if values["evidence_url"] and len(values["evidence_url"]) <= 500:
        problems += [FieldProblem("evidence_url", "invalid", p)
                     for p in check_url(values["evidence_url"])]
    item_id = values.get("action_item_id")
    if item_id is not None:
        item = session.get(ActionItem, item_id)
        if item is None or item.unit_id != campaign.unit_id or item.deleted_at is not None:
            problems.append(FieldProblem(
                "action_item_id", "invalid",
                f"Butir rencana aksi {item_id} tidak ditemukan di unit ini."))
    return problems


def _refuse(problems: list[FieldProblem]) -> None:
    if problems:
        raise Invalid(FollowupIn.refusal, errors=problems)


# --------------------------------------------------------------------------- writes


def create_followup(
    session: Session, *, actor: Principal | None, campaign_id: int, data: FollowupIn,
    unit_id: int | None = None,
) -> SurveyFollowup:
    """Add an action to a campaign's follow-up plan; Invalid (nothing stored) with every
    problem."""
    campaign = campaign_for(session, actor=actor, campaign_id=campaign_id,
                            permission="surveys.write", unit_id=unit_id)
    values = {name: getattr(data, name, None) for name in _FIELDS}
    values["status"] = values["status"] or "belum_mulai"
    _refuse(_problems(session, campaign, values))
    row = SurveyFollowup(unit_id=campaign.unit_id, campaign_id=campaign.id,
                         created_by=actor.user_id if actor else None, **values)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity=ENTITY, entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    session.commit()
    return row


def get_followup(
    session: Session, *, actor: Principal | None, followup_id: int,
    permission: str = "unit.read", unit_id: int | None = None,
) -> SurveyFollowup:
    """One live action (of ``unit_id`` when given); NotFound or Forbidden."""
    row = session.get(SurveyFollowup, followup_id)
    if row is None or row.deleted_at is not None or (
            unit_id is not None and row.unit_id != unit_id):
        raise NotFound(f"Tindak lanjut {followup_id} tidak ditemukan.")
    forbid(actor, permission, row.unit_id)
    return row


def update_followup(
    session: Session, *, actor: Principal | None, followup_id: int, changes: FollowupPatch,
    unit_id: int | None = None,
) -> SurveyFollowup:
    """Change the given fields; the whole action must still be valid."""
    row = get_followup(session, actor=actor, followup_id=followup_id,
                       permission="surveys.write", unit_id=unit_id)
    given = changes.model_dump(exclude_unset=True)
    values = {name: getattr(row, name) for name in _FIELDS} | {
        k: v for k, v in given.items() if k in _FIELDS}
    campaign = campaign_for(session, actor=None, campaign_id=row.campaign_id)
    _refuse(_problems(session, campaign, values))
    before = audit.snapshot(row)
    for name in _FIELDS:
        setattr(row, name, values[name])
    row.updated_at = utc_now()
    row.updated_by = actor.user_id if actor else None
    audit.save(session, row, actor=actor, action="update", entity=ENTITY, before=before)
    return row


def delete_followup(
    session: Session, *, actor: Principal | None, followup_id: int, unit_id: int | None = None
) -> SurveyFollowup:
    """Soft-delete an action (kept for the record; the undo brings it back)."""
    row = get_followup(session, actor=actor, followup_id=followup_id,
                       permission="surveys.delete", unit_id=unit_id)
    before = audit.snapshot(row)
    row.deleted_at = utc_now()
    audit.save(session, row, actor=actor, action="delete", entity=ENTITY, before=before)
    return row


def deleted_followup(
    session: Session, *, actor: Principal | None, followup_id: int, unit_id: int | None = None
) -> SurveyFollowup:
    """A soft-deleted action (of the unit, when given): what an undo brings back."""
    row = session.get(SurveyFollowup, followup_id)
    if row is None or row.deleted_at is None or (
            unit_id is not None and row.unit_id != unit_id):
        raise NotFound(f"Tindak lanjut {followup_id} tidak ditemukan di antara yang dihapus.")
    forbid(actor, "surveys.delete", row.unit_id)
    return row


def restore_followup(
    session: Session, *, actor: Principal | None, followup_id: int, unit_id: int | None = None
) -> SurveyFollowup:
    """Undo a delete; Invalid when its campaign was deleted meanwhile. Audited as restore."""
    row = deleted_followup(session, actor=actor, followup_id=followup_id, unit_id=unit_id)
    campaign = session.get(SurveyCampaign, row.campaign_id)
    if campaign is None or campaign.deleted_at is not None:
        raise Invalid("Tindak lanjut tidak dapat dipulihkan: survei-nya sudah dihapus.")
    before = audit.snapshot(row)
    row.deleted_at = None
    row.updated_at = utc_now()
    row.updated_by = actor.user_id if actor else None
    audit.save(session, row, actor=actor, action="restore", entity=ENTITY, before=before)
    return row


# --------------------------------------------------------------------------- reads


def _live(unit_id: int | None = None, campaign_ids: list[int] | None = None):
    query = select(SurveyFollowup).where(col(SurveyFollowup.deleted_at).is_(None))
    if unit_id is not None:
        query = query.where(SurveyFollowup.unit_id == unit_id)
    if campaign_ids is not None:
        query = query.where(col(SurveyFollowup.campaign_id).in_(campaign_ids or [-1]))
    return query.order_by(SurveyFollowup.element_code, col(SurveyFollowup.due_on),
                          SurveyFollowup.id)


def list_followups(
    session: Session, *, actor: Principal | None, campaign_id: int, unit_id: int | None = None
) -> list[SurveyFollowup]:
    """A campaign's live actions, by element then due date."""
    campaign = campaign_for(session, actor=actor, campaign_id=campaign_id, unit_id=unit_id)
    return list(session.exec(_live(campaign_ids=[campaign.id])).all())


@dataclass(frozen=True)
class NextPeriod:
    """The unit's next campaign measuring the same index, and each element's change."""

    campaign: SurveyCampaign
    changes: dict[str, ElementChange]


def next_period(
    session: Session, *, campaign: SurveyCampaign, instrument: Instrument
) -> NextPeriod | None:
    """The next campaign after ``campaign`` (results.unit_trend order) with answers to the same
    kind of index, and the exact change of every element; None when there is none yet."""
    rows = survey_results.unit_trend(session, unit_id=campaign.unit_id, kind=instrument.kind)
    ids = [r.campaign.id for r in rows]
    if campaign.id not in ids or ids.index(campaign.id) == len(ids) - 1:
        return None
    this, after = rows[ids.index(campaign.id)], rows[ids.index(campaign.id) + 1]
    return NextPeriod(after.campaign, compare_elements(this.result.elements,
                                                       after.result.elements))


@dataclass
class ElementPlan:
    """One element of an instrument: its NRR, whether it is among the weakest, its actions and
    (once the next period is measured) its change."""

    code: str
    name: str
    name_en: str
    nrr: Fraction
    weakest: bool
    actions: list[SurveyFollowup] = field(default_factory=list)
    change: ElementChange | None = None


@dataclass
class InstrumentPlan:
    instrument: Instrument
    result: survey_results.InstrumentResult
    weakest: tuple[ElementNrr, ...]
    elements: list[ElementPlan]
    next: NextPeriod | None

    @property
    def shown(self) -> list[ElementPlan]:
        """The weakest elements, then any other element the unit planned actions for."""
        weak = [e for e in self.elements if e.weakest]
        weak.sort(key=lambda e: [w.code for w in self.weakest].index(e.code))
        return weak + [e for e in self.elements if not e.weakest and e.actions]


@dataclass
class FollowupPlan:
    campaign: SurveyCampaign
    instruments: list[InstrumentPlan]
    actions: list[SurveyFollowup]


def followup_plan(
    session: Session, *, actor: Principal | None, campaign_id: int, unit_id: int | None = None,
    results: survey_results.CampaignResults | None = None,
) -> FollowupPlan:
    """The campaign's findings (the three weakest elements of each instrument with answers),
    the actions per element, and the next period's change per element. ``results``: the
    campaign's results already computed (the report passes its own)."""
    campaign = campaign_for(session, actor=actor, campaign_id=campaign_id, unit_id=unit_id)
    if results is None:
        results = survey_results.campaign_results(session, campaign=campaign,
                                                  with_services=False, with_profile=False)
    actions = list(session.exec(_live(campaign_ids=[campaign.id])).all())
    by_element: dict[tuple[str, str], list[SurveyFollowup]] = defaultdict(list)
    for a in actions:
        by_element[(a.instrument_code, a.element_code)].append(a)
    plans = []
    for r in results.instruments:
        if not r.has_data:
            continue
        inst = r.instrument
        weakest = weakest_elements(r.elements)
        weak_codes = {e.code for e in weakest}
        following = next_period(session, campaign=campaign, instrument=inst)
        elements = [ElementPlan(
            e.code, inst.item(e.code).name.id, inst.item(e.code).name.en, e.nrr,
            e.code in weak_codes, by_element.get((inst.code, e.code), []),
            following.changes.get(e.code) if following else None,
        ) for e in r.elements]
        plans.append(InstrumentPlan(inst, r, weakest, elements, following))
    return FollowupPlan(campaign, plans, actions)


# --------------------------------------------------------------------------- public reader


@dataclass(frozen=True)
class PublicFollowup:
    """One action as the public results page shows it: no owner, evidence or author."""

    campaign_id: int
    period: str
    campaign_title: str
    index_name: str  # IKM | IPKP | IPAK
    element_code: str
    element_name: str
    element_name_en: str
    action: str
    due_on: date | None
    status: str  # belum_mulai | berjalan | selesai | batal
    nrr_before: Fraction | None
    nrr_after: Fraction | None
    #: True / False once the next period measured the element; None before that.
    improved: bool | None

    def status_label(self, lang: str = "id") -> str:
        return status_label(self.status, lang)


def list_followups_for_unit(session: Session, unit_id: int) -> list[PublicFollowup]:
    """Every live action of the unit's live campaigns, latest period first, then element:
    the follow-up taken, for the anonymous public results page (no personal data)."""
    actions = list(session.exec(_live(unit_id=unit_id)).all())
    if not actions:
        return []
    campaigns = {c.id: c for c in survey_campaigns.list_campaigns(session, unit_id=unit_id)}
    order = {cid: n for n, cid in enumerate(campaigns)}  # newest period first
    trends: dict[str, list[survey_results.TrendRow]] = {}
    out = []
    for a in actions:
        campaign = campaigns.get(a.campaign_id)
        if campaign is None:
            continue
        inst = next((i for i in survey_campaigns.instruments_of(session, campaign)
                     if i.code == a.instrument_code), None)
        if inst is None or a.element_code not in inst.item_codes:
            continue
        if inst.kind not in trends:
            trends[inst.kind] = survey_results.unit_trend(session, unit_id=unit_id,
                                                          kind=inst.kind)
        before, after = _element_pair(trends[inst.kind], campaign.id, a.element_code)
        item = inst.item(a.element_code)
        out.append(PublicFollowup(
            campaign.id, campaign.period_label, campaign.title,
            survey_results.INDEX_NAMES[inst.kind], a.element_code, item.name.id, item.name.en,
            a.action, a.due_on, a.status, before, after,
            None if before is None or after is None else after > before,
        ))
    out.sort(key=lambda f: (order[f.campaign_id], f.index_name, f.element_code))
    return out


def _element_pair(rows: list[survey_results.TrendRow], campaign_id: int, code: str
                  ) -> tuple[Fraction | None, Fraction | None]:
    ids = [r.campaign.id for r in rows]
    if campaign_id not in ids:
        return None, None
    n = ids.index(campaign_id)

    def nrr(row) -> Fraction | None:
        return next((e.nrr for e in row.result.elements if e.code == code), None)

    return nrr(rows[n]), nrr(rows[n + 1]) if n + 1 < len(rows) else None


# --------------------------------------------------------------------------- LKE


def suggest_lke(
    session: Session, *, actor: Principal | None, unit_id: int, year: int
) -> FollowupSuggestion | None:
    """PPF4C ("tindak lanjut atas hasil survei kepuasan masyarakat") from the plan: the findings
    are the three weakest IKM elements of each of the unit's campaigns of ``year`` with
    answers; a finding is followed up when one of its actions is done. A suggestion only: the
    actions are its evidence; the LKE answer is the unit's to set."""
    forbid(actor, "unit.read", unit_id)
    findings: list[Finding] = []
    campaigns = survey_campaigns.list_campaigns(session, unit_id=unit_id, year=year)
    for c in campaigns:
        ikm = survey_results.campaign_results(
            session, campaign=c, with_services=False, with_profile=False).result("ikm")
        if ikm is not None and ikm.has_data:
            findings += [Finding(c.id, e.code) for e in weakest_elements(ikm.elements)]
    actions = session.exec(_live(campaign_ids=[c.id for c in campaigns])).all()
    return suggest_followup_answer(findings, [
        FollowupAction(a.id, a.campaign_id, a.element_code, a.status)
        for a in actions if a.instrument_code.startswith("ikm")])
