"""The innovation registry: innovations, their lineage and pembeda, before/after impact,
suggested LKE answers (PPF2F, PRF1A, PRF1B) and the before/after windows per service."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlmodel import Session, col, func, select

from app.domain import programme as dom
from app.domain.programme.impact import EXPECTED_DIRECTION
from app.models.programme import Innovation, InnovationImpact, Partnership, PartnershipInnovation
from app.security.principal import Principal
from app.services.errors import Conflict
from app.services.programme._common import (
    READ,
    WRITE,
    Kind,
    Page,
    check_pillar,
    check_unit,
    create_row,
    current_values,
    domain_texts,
    live,
    refuse,
    soft_delete,
    update_row,
)
from app.services.programme.inputs import INNOVATION_STATUSES as STATUSES
from app.services.programme.inputs import (
    ImpactIn,
    ImpactPatch,
    InnovationIn,
    InnovationPatch,
    load_input,
)

ENTITY = "innovation"
IMPACT_ENTITY = "innovation_impact"

__all__ = ["STATUSES"]

NEW = "baru"  # the id of an innovation not stored yet, in domain checks


# --- conversions ----------------------------------------------------------------------------

def impact_to_domain(row: InnovationImpact) -> dom.Impact:
    return dom.Impact(
        kind=dom.MetricKind(row.kind), unit=row.measure_unit,
        before_value=row.before_value, before_on=row.before_on,
        after_value=row.after_value, after_on=row.after_on,
        direction=dom.Direction(row.direction), label=row.label,
    )


def _pembeda(values: Mapping[str, Any]) -> dom.Pembeda | None:
    what = values.get("pembeda_what_is_new") or ""
    benefit = values.get("pembeda_citizen_benefit") or ""
    return dom.Pembeda(what, benefit) if (what or benefit) else None


def _domain(row_id: Any, values: Mapping[str, Any], impacts=()) -> dom.Innovation:
    return dom.Innovation(
        id=row_id, name=values["title"], phase=dom.Phase(values["phase"]),
        stage=dom.Stage(values["stage"]), areas=frozenset({dom.ChangeArea(values["change_area"])}),
        started_on=values["started_on"], launched_on=values.get("launched_on"),
        parent_id=values.get("parent_id"), pembeda=_pembeda(values),
        origin=dom.Origin(values.get("origin") or "asli"),
        differs_from_other_units=bool(values.get("differs_from_other_units")),
        brings_service_closer=bool(values.get("brings_service_closer")),
        service_ids=frozenset(values.get("services") or ()),
        impacts=tuple(impacts),
    )


def to_domain(row: Innovation, impacts: Collection[InnovationImpact] = ()) -> dom.Innovation:
    """The domain view of a stored innovation (with its impacts when given)."""
    return _domain(row.id, current_values(row, InnovationIn),
                   [impact_to_domain(i) for i in impacts])


# --- innovations ----------------------------------------------------------------------------

def all_innovations(session: Session, *, unit_id: int) -> list[Innovation]:
    """Every live innovation of the unit, by start date."""
    return list(session.exec(
        live(Innovation, unit_id).order_by(Innovation.started_on, Innovation.id)
    ).all())


def _check(
    session: Session, unit_id: int, values: dict[str, Any], row_id: int | None
) -> list[str]:
    """Domain and reference problems of an innovation about to be stored (and of its children)."""
    problems: list[str] = []
    if values.get("budget") is not None and values["budget"] < 0:
        problems.append("Anggaran tidak boleh negatif.")
    problems += check_pillar(session, unit_id, values.get("pillar_id"))
    rows = [r for r in all_innovations(session, unit_id=unit_id) if r.id != row_id]
    known = {r.id: to_domain(r) for r in rows}
    titles = {r.id: r.title for r in rows}
    candidate = _domain(row_id if row_id is not None else NEW, values)
    problems += domain_texts(dom.validate_innovation(candidate, known), _labels())
    if row_id is not None:
        with_me = known | {row_id: candidate}
        for child in rows:
            if child.parent_id == row_id:
                for text in domain_texts(dom.validate_innovation(known[child.id], with_me)):
                    problems.append(f"Inovasi turunan '{titles[child.id]}' ({child.id}): {text}")
    return problems


def _labels() -> dict[str, str]:
    return InnovationIn.labels() | {"name": "Judul inovasi"}


INNOVATIONS = Kind(Innovation, "innovation_id", "Inovasi", ENTITY, InnovationIn,
                   InnovationPatch, check=_check)
get_innovation = INNOVATIONS.get
# lineage, pembeda and dates are checked (with the innovations built on it), nothing stored
# if wrong
create_innovation = INNOVATIONS.create
update_innovation = INNOVATIONS.update


def list_innovations(
    session: Session, *, actor: Principal | None, unit_id: int, phase: str | None = None,
    stage: str | None = None, change_area: str | None = None, status: str | None = None,
    pillar_id: int | None = None, q: str | None = None, limit: int = 50, offset: int = 0,
) -> Page[Innovation]:
    """The unit's live innovations, newest start first, filtered (``q``: words in the title)."""
    return INNOVATIONS.page(
        session, actor=actor, unit_id=unit_id, pillar_id=pillar_id,
        equal=[(Innovation.phase, phase), (Innovation.stage, stage),
               (Innovation.change_area, change_area), (Innovation.status, status)],
        where=lambda: [func.lower(Innovation.title).contains(q.strip().lower())] if q else [],
        order_by=[col(Innovation.started_on).desc(), col(Innovation.id).desc()],
        limit=limit, offset=offset)


def delete_innovation(
    session: Session, *, actor: Principal | None, innovation_id: int,
    unit_id: int | None = None,
) -> Innovation:
    """Soft-delete an innovation that no live innovation builds on."""
    row = INNOVATIONS.get(session, actor=actor, innovation_id=innovation_id, unit_id=unit_id,
                          permission=WRITE)
    children = session.exec(live(Innovation, row.unit_id).where(Innovation.parent_id == row.id)).all()
    if children:
        names = ", ".join(f"'{c.title}'" for c in children)
        raise Conflict(
            f"Inovasi '{row.title}' menjadi induk bagi {names}; ubah atau hapus inovasi turunan "
            "tersebut terlebih dahulu."
        )
    return soft_delete(session, row, actor=actor, entity=ENTITY)


def lineage(session: Session, *, actor: Principal | None, innovation_id: int,
            unit_id: int | None = None) -> list[Innovation]:
    """The chain from the oldest ancestor down to this innovation (cycle-safe)."""
    row = get_innovation(session, actor=actor, innovation_id=innovation_id, unit_id=unit_id)
    chain = [row]
    seen = {row.id}
    current = row
    while current.parent_id is not None and current.parent_id not in seen:
        parent = session.get(Innovation, current.parent_id)
        if parent is None or parent.unit_id != row.unit_id:
            break
        chain.append(parent)
        seen.add(parent.id)
        current = parent
    return list(reversed(chain))


def children(session: Session, *, actor: Principal | None, innovation_id: int,
             unit_id: int | None = None) -> list[Innovation]:
    """Live innovations that build directly on this one."""
    row = get_innovation(session, actor=actor, innovation_id=innovation_id, unit_id=unit_id)
    return list(session.exec(
        live(Innovation, row.unit_id).where(Innovation.parent_id == row.id)
        .order_by(Innovation.started_on)
    ).all())


def partners_of(session: Session, *, actor: Principal | None, innovation_id: int,
                unit_id: int | None = None) -> list[Partnership]:
    """Live partnerships linked to the innovation."""
    row = get_innovation(session, actor=actor, innovation_id=innovation_id, unit_id=unit_id)
    return list(session.exec(
        select(Partnership).join(
            PartnershipInnovation, PartnershipInnovation.partnership_id == Partnership.id
        ).where(
            PartnershipInnovation.innovation_id == row.id,
            col(PartnershipInnovation.deleted_at).is_(None),
            col(Partnership.deleted_at).is_(None),
        ).order_by(Partnership.partner)
    ).all())


def counts_by_phase_stage(
    session: Session, *, actor: Principal | None, unit_id: int
) -> dict[tuple[str, str], int]:
    """(phase, stage) -> number of live innovations; every pair present (0 when none)."""
    check_unit(actor, READ, unit_id)
    counts = {(p.value, s.value): 0 for p in dom.Phase for s in dom.Stage}
    rows = session.exec(
        select(Innovation.phase, Innovation.stage, func.count())
        .where(Innovation.unit_id == unit_id, col(Innovation.deleted_at).is_(None))
        .group_by(Innovation.phase, Innovation.stage)
    ).all()
    for phase, stage, n in rows:
        counts[(phase, stage)] = n
    return counts


# --- impacts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImpactView:
    """A stored impact with its exact improvement (None if the stored values are unusable)."""

    impact: InnovationImpact
    improvement: dom.Improvement | None

    @property
    def relative_gain_percent(self) -> Fraction | None:
        if self.improvement is None or self.improvement.relative_gain is None:
            return None
        return self.improvement.relative_gain * 100


def impact_view(row: InnovationImpact) -> ImpactView:
    measure = impact_to_domain(row)
    if dom.validate_impact(measure):
        return ImpactView(row, None)
    return ImpactView(row, dom.improvement(measure))


def list_impacts(
    session: Session, *, actor: Principal | None, innovation_id: int, unit_id: int | None = None
) -> list[ImpactView]:
    """The innovation's live impacts with their improvements, oldest measure first."""
    row = get_innovation(session, actor=actor, innovation_id=innovation_id, unit_id=unit_id)
    return [impact_view(i) for i in _impacts(session, row)]


def _impacts(session: Session, row: Innovation) -> list[InnovationImpact]:
    return list(session.exec(
        live(InnovationImpact, row.unit_id).where(InnovationImpact.innovation_id == row.id)
        .order_by(InnovationImpact.before_on, InnovationImpact.id)
    ).all())


IMPACTS = Kind(InnovationImpact, "impact_id", "Ukuran dampak", IMPACT_ENTITY, ImpactIn,
               ImpactPatch)
get_impact = IMPACTS.get
delete_impact = IMPACTS.delete


def _impact_problems(values: dict[str, Any]) -> list[str]:
    values["measure_unit"] = (values.get("measure_unit") or "").strip().lower()
    if not values.get("direction"):
        kind = dom.MetricKind(values["kind"])
        expected = EXPECTED_DIRECTION.get(kind)
        if expected is None:
            return ["Arah perbaikan wajib diisi untuk ukuran lain."]
        values["direction"] = expected.value
    measure = dom.Impact(
        kind=dom.MetricKind(values["kind"]), unit=values["measure_unit"],
        before_value=values["before_value"], before_on=values["before_on"],
        after_value=values["after_value"], after_on=values["after_on"],
        direction=dom.Direction(values["direction"]), label=values.get("label") or "",
    )
    return domain_texts(dom.validate_impact(measure),
                        {"label": "Yang diukur", "unit": "Satuan"})


def create_impact(
    session: Session, *, actor: Principal | None, innovation_id: int, data: ImpactIn | Mapping,
    unit_id: int | None = None,
) -> InnovationImpact:
    """Add a before/after measure to an innovation (unit, type and dates checked)."""
    parent = INNOVATIONS.get(session, actor=actor, innovation_id=innovation_id,
                             unit_id=unit_id, permission=WRITE)
    values = load_input(ImpactIn, data).read()
    refuse(ImpactIn.refusal, _impact_problems(values))
    return create_row(
        session, InnovationImpact(unit_id=parent.unit_id, innovation_id=parent.id, **values),
        actor=actor, entity=IMPACT_ENTITY,
    )


def update_impact(
    session: Session, *, actor: Principal | None, impact_id: int,
    changes: ImpactPatch | Mapping, unit_id: int | None = None,
) -> InnovationImpact:
    """Change a measure; the whole result must still be valid."""
    row = IMPACTS.get(session, actor=actor, impact_id=impact_id, unit_id=unit_id,
                      permission=WRITE)
    values = load_input(ImpactPatch, changes).read()
    merged = current_values(row, ImpactIn) | values
    if "kind" in values and "direction" not in values:
        merged["direction"] = None  # a new kind takes its own expected direction
    refuse(ImpactIn.refusal, _impact_problems(merged))
    return update_row(session, row, {k: merged[k] for k in ImpactIn.model_fields},
                      actor=actor, entity=IMPACT_ENTITY)


# --- LKE suggestions ------------------------------------------------------------------------

@dataclass(frozen=True)
class LkeSuggestionView:
    """Suggested answers for PPF2F, PRF1A and PRF1B, with the innovations as evidence.

    ``services_known`` is False when no list of the unit's registered services was given:
    PRF1A/PRF1B then rest on nothing and say so (integration with the survey services
    passes the list).
    """

    suggestions: dom.LkeSuggestions
    titles: dict[int, str]
    services_known: bool

    def reasons(self, ref: str, lang: str = "id") -> list[str]:
        item = {"PPF2F": self.suggestions.ppf2f, "PRF1A": self.suggestions.prf1a,
                "PRF1B": self.suggestions.prf1b}[ref]
        return [_titled(r, self.titles).text(lang) for r in item.reasons]

    def evidence(self, ref: str) -> list[tuple[int, str]]:
        item = {"PPF2F": self.suggestions.ppf2f, "PRF1A": self.suggestions.prf1a,
                "PRF1B": self.suggestions.prf1b}[ref]
        return [(i, self.titles.get(i, str(i))) for i in item.evidence_ids]


def _titled(reason: dom.Reason, titles: Mapping[int, str]) -> dom.Reason:
    ids = reason.params.get("ids")
    if not isinstance(ids, tuple) or not any(i in titles for i in ids):
        return reason
    named = tuple(f"'{titles[i]}'" if i in titles else i for i in ids)
    return dom.Reason(reason.code, {**reason.params, "ids": named})


def suggest_lke(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    services_registered: Collection[str] | None = None,
    services_simplified: Collection[str] = (),
    service_key: Callable[[str], str] | None = None,
) -> LkeSuggestionView:
    """Suggest PPF2F / PRF1A / PRF1B from the unit's live innovations (nothing is stored).

    ``services_registered``: names/codes of the services in the unit's service standard (the
    same strings used in innovations' ``services``); ``services_simplified``: those declared
    simplified (PRF1B). Integration passes the survey service list; until then None.
    ``service_key`` maps an innovation's free-text service to the registered service it names
    (see app.services.integration.lke_from_innovations); without it the strings must match exactly.
    """
    check_unit(actor, READ, unit_id)
    rows = all_innovations(session, unit_id=unit_id)
    impacts: dict[int, list[InnovationImpact]] = {}
    if rows:
        for imp in session.exec(live(InnovationImpact, unit_id)).all():
            impacts.setdefault(imp.innovation_id, []).append(imp)
    active = [r for r in rows if r.status != "dihentikan"]
    domain = [to_domain(r, impacts.get(r.id, ())) for r in active]
    if service_key is not None:
        domain = [replace(d, service_ids=frozenset(service_key(x) for x in d.service_ids))
                  for d in domain]
    suggestions = dom.suggest_lke_answers(
        domain,
        list(services_registered or ()), list(services_simplified),
    )
    return LkeSuggestionView(
        suggestions, {r.id: r.title for r in rows}, services_registered is not None
    )


# --- before/after windows for survey comparison ----------------------------------------------

@dataclass(frozen=True)
class ServiceWindow:
    """Where a service's survey results before and after an innovation's launch should come
    from: ``before`` = [before_from, launched_on), ``after`` = [launched_on, after_until)."""

    service: str
    innovation_id: int
    innovation_title: str
    launched_on: date
    before_from: date
    after_until: date


def service_windows(
    session: Session, *, actor: Principal | None, unit_id: int, days: int = 365
) -> list[ServiceWindow]:
    """Per (service, launched innovation) the before/after windows to compare survey indices.

    The hook for the survey join: integration looks up each service's index in both windows
    and shows the change on the innovation. ``days`` is the length of each window.
    """
    check_unit(actor, READ, unit_id)
    if days < 1:
        raise ValueError("days must be positive")
    out = []
    for row in all_innovations(session, unit_id=unit_id):
        if row.launched_on is None:
            continue
        for service in row.services or []:
            out.append(ServiceWindow(
                service=service, innovation_id=row.id, innovation_title=row.title,
                launched_on=row.launched_on,
                before_from=row.launched_on - timedelta(days=days),
                after_until=row.launched_on + timedelta(days=days),
            ))
    return sorted(out, key=lambda w: (w.service, w.launched_on))
