"""The programme at a glance, for the unit dashboard: innovations by phase and stage, team
commitment per level, progress per pillar, overdue actions and agreements close to expiry.

Read-only (nothing here writes). It gathers what the programme services already compute
(``app.services.programme``) into one object, so the dashboard asks one question per card.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.domain.programme import (
    CommitmentSummary,
    PartnershipState,
    Phase,
    Progress,
    is_overdue,
    progress_of,
)
from app.models.programme import ActionItem, Innovation, Partnership, TeamDecree
from app.models.units import Unit
from app.security.principal import Principal
from app.services.programme import action_plan, partnerships, pillars, team
from app.services.programme._common import READ, check_unit, live_of_unit
from app.services.programme.pillars import PillarProgress

# An agreement that ended this many days ago or less is still worth showing next to the
# ones about to end (the renewal is probably under way).
RECENTLY_EXPIRED_DAYS = partnerships.WARN_DAYS


def unit_today(unit: Unit) -> date:
    """Today's date in the unit's time zone (due dates and expiry are local calendar days)."""
    return datetime.now(ZoneInfo(unit.timezone or "Asia/Jakarta")).date()


@dataclass(frozen=True)
class InnovationCounts:
    """Live innovations per (phase, stage); ``developed`` = WBBM ones built on a WBK one."""

    cells: dict[tuple[str, str], int]
    total: int
    developed: int
    launched: int

    def count(self, phase: str, stage: str) -> int:
        return self.cells.get((phase, stage), 0)

    def phase_total(self, phase: str) -> int:
        return sum(n for (p, _s), n in self.cells.items() if p == phase)

    def stage_total(self, stage: str) -> int:
        return sum(n for (_p, s), n in self.cells.items() if s == stage)


@dataclass(frozen=True)
class TeamOverview:
    summary: CommitmentSummary
    decree: TeamDecree | None
    activities: int


@dataclass(frozen=True)
class OverdueItem:
    item: ActionItem
    days_late: int


@dataclass(frozen=True)
class ExpiringAgreement:
    partnership: Partnership  # or a row of its columns the card shows (_PARTNERSHIP_COLUMNS)
    state: PartnershipState
    days_left: int  # negative once expired


@dataclass(frozen=True)
class Overview:
    today: date
    innovations: InnovationCounts
    team: TeamOverview
    plan: Progress
    pillars: tuple[PillarProgress, ...]
    untagged_items: int  # action items not tagged with a pillar
    overdue: tuple[OverdueItem, ...]
    partnerships: dict[PartnershipState, int]
    expiring: tuple[ExpiringAgreement, ...]


def innovation_counts(rows: Sequence[Innovation]) -> InnovationCounts:
    """Counts per phase and stage (pure; rows are the live innovations of one unit, or rows
    of their id, phase, stage, parent_id and launched_on)."""
    by_id = {r.id: r for r in rows}
    developed = sum(
        1 for r in rows
        if r.phase == Phase.WBBM and r.parent_id in by_id
        and by_id[r.parent_id].phase == Phase.WBK
    )
    return InnovationCounts(
        cells=dict(Counter((r.phase, r.stage) for r in rows)), total=len(rows),
        developed=developed, launched=sum(1 for r in rows if r.launched_on is not None),
    )


def attention_agreements(
    rows: Sequence[Partnership], today: date
) -> tuple[dict[PartnershipState, int], tuple[ExpiringAgreement, ...]]:
    """Count per state, and the agreements to act on: expiring soon or recently expired,
    the most urgent first (pure)."""
    states: Counter[PartnershipState] = Counter()
    out = []
    for row in rows:
        state = partnerships.state(row, today)
        states[state] += 1
        if row.expires_on is None:
            continue
        days_left = (row.expires_on - today).days
        if state is PartnershipState.EXPIRING_SOON or (
            state is PartnershipState.EXPIRED and -days_left <= RECENTLY_EXPIRED_DAYS
        ):
            out.append(ExpiringAgreement(row, state, days_left))
    out.sort(key=lambda e: (e.days_left, e.partnership.id))
    return {s: states.get(s, 0) for s in PartnershipState}, tuple(out)


# What the cards use of each innovation and partnership: read as columns, not whole rows
# (their long texts are not shown here), by statements built once.
_INNOVATIONS = live_of_unit(
    Innovation.id, Innovation.phase, Innovation.stage, Innovation.parent_id,
    Innovation.launched_on, Innovation.pillar_id,
).order_by(Innovation.started_on, Innovation.id)
_PARTNERSHIPS = live_of_unit(
    Partnership.id, Partnership.partner, Partnership.agreement_number, Partnership.signed_on,
    Partnership.expires_on, Partnership.pillar_id,
).order_by(Partnership.partner)


def unit_overview(session: Session, *, unit: Unit, today: date | None = None,
                  actor: Principal | None = None) -> Overview:
    """Everything the dashboard's programme cards show, for one unit, on ``today`` (the
    unit's local date by default); Forbidden when ``actor`` may not read the unit (None is
    the system).

    Each kind of row is read once (action items, innovations, partnerships, pillars, the
    team) and the activities only counted, per pillar: nine statements whatever the size.
    """
    check_unit(actor, READ, unit.id)
    today = today or unit_today(unit)
    items = action_plan.all_action_items(session, unit_id=unit.id)
    plan_items = [(i, action_plan.to_domain(i)) for i in items]
    overdue = sorted((i for i, d in plan_items if is_overdue(d, today)),
                     key=lambda i: (i.due_on, i.id))
    all_partnerships = session.exec(_PARTNERSHIPS, params={"unit_id": unit.id}).all()
    counts, expiring = attention_agreements(all_partnerships, today)
    all_innovations = session.exec(_INNOVATIONS, params={"unit_id": unit.id}).all()
    activities = pillars.activities_per_pillar(session, unit_id=unit.id)
    pillar_rows = tuple(pillars.progress_per_pillar(
        pillars.all_pillars(session, unit_id=unit.id),
        actions=[(i.pillar_id, d) for i, d in plan_items], innovations=all_innovations,
        partnerships=all_partnerships, activities=activities, today=today,
    ))
    pillar_ids = {p.pillar.id for p in pillar_rows}
    return Overview(
        today=today,
        innovations=innovation_counts(all_innovations),
        team=TeamOverview(
            summary=team.commitment(session, actor=actor, unit_id=unit.id),
            decree=team.current_decree(session, unit_id=unit.id),
            activities=sum(activities.values()),
        ),
        plan=progress_of([d for _i, d in plan_items], today),
        pillars=pillar_rows,
        untagged_items=sum(1 for i in items if i.pillar_id not in pillar_ids),
        overdue=tuple(OverdueItem(i, (today - i.due_on).days) for i in overdue),
        partnerships=counts,
        expiring=expiring,
    )
