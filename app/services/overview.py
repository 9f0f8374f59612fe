"""The programme at a glance, for the unit dashboard: innovations by phase and stage, team
commitment per level, progress per pillar, overdue actions and agreements close to expiry.

Read-only (nothing here writes). Every query is scoped to one unit and skips soft-deleted
rows; the numbers come from the pure rules in ``app.domain.programme``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.domain.programme import (
    ActionItem as DomainItem,
)
from app.domain.programme import (
    ChangeArea,
    CommitmentSummary,
    ItemStatus,
    Member,
    PartnershipState,
    Phase,
    ProgrammeError,
    Progress,
    Stage,
    TeamLevel,
    commitment_summary,
    is_overdue,
    partnership_state,
    progress_of,
    validate_action_item,
)
from app.domain.programme.plan import DEFAULT_WARN_DAYS
from app.models.programme import (
    ActionItem,
    ActivityAttendance,
    Innovation,
    IntegrityPact,
    Partnership,
    Pillar,
    TeamActivity,
    TeamDecree,
    TeamMember,
)
from app.models.units import Unit

STAGES = tuple(Stage)
PHASES = tuple(Phase)


def unit_today(unit: Unit) -> date:
    """Today's date in the unit's time zone (due dates and expiry are local calendar days)."""
    return datetime.now(ZoneInfo(unit.timezone or "Asia/Jakarta")).date()


@dataclass(frozen=True)
class InnovationCounts:
    """How many live innovations per (phase, stage); ``developed`` = WBBM built on a WBK one."""

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
class PillarProgress:
    pillar: Pillar
    progress: Progress
    innovations: int
    activities: int
    partnerships: int


@dataclass(frozen=True)
class OverdueItem:
    item: ActionItem
    days_late: int


@dataclass(frozen=True)
class ExpiringAgreement:
    partnership: Partnership
    state: PartnershipState
    days_left: int  # negative once expired


@dataclass(frozen=True)
class Overview:
    today: date
    innovations: InnovationCounts
    team: TeamOverview
    plan: Progress
    pillars: tuple[PillarProgress, ...]
    untagged: Progress  # action items not tagged with a pillar
    overdue: tuple[OverdueItem, ...]
    partnerships: dict[PartnershipState, int]
    expiring: tuple[ExpiringAgreement, ...]


def _live(model, unit_id: int):
    return select(model).where(model.unit_id == unit_id, col(model.deleted_at).is_(None))


def innovation_counts(rows: Sequence[Innovation]) -> InnovationCounts:
    """Counts per phase and stage (pure; rows are live innovations of one unit)."""
    by_id = {r.id: r for r in rows}
    cells = Counter((r.phase, r.stage) for r in rows)
    developed = sum(
        1 for r in rows
        if r.phase == Phase.WBBM and r.parent_id in by_id
        and by_id[r.parent_id].phase == Phase.WBK
    )
    return InnovationCounts(
        cells=dict(cells), total=len(rows), developed=developed,
        launched=sum(1 for r in rows if r.launched_on is not None),
    )


def _domain_item(row: ActionItem) -> DomainItem:
    return DomainItem(
        id=row.id, title=row.activity, area=ChangeArea(row.area), status=ItemStatus(row.status),
        progress=row.progress, due_on=row.due_on, started_on=row.started_on,
    )


def _progress(rows: Sequence[ActionItem], today: date) -> Progress:
    items = []
    for row in rows:
        try:
            items.append(_domain_item(row))
        except ValueError:  # an enum value this version does not know: leave it out
            continue
    try:
        return progress_of(items, today)
    except ProgrammeError:
        # a stored row that breaks today's rules must not take the dashboard down
        return progress_of([i for i in items if _valid(i)], today)


def _valid(item: DomainItem) -> bool:
    return not validate_action_item(item)


def team_overview(session: Session, unit_id: int) -> TeamOverview:
    members = session.exec(
        _live(TeamMember, unit_id).where(TeamMember.active == True)  # noqa: E712
    ).all()
    domain_members = []
    for m in members:
        try:
            domain_members.append(Member(id=m.id, name=m.name, level=TeamLevel(m.level)))
        except ValueError:
            continue
    signed = session.exec(
        select(IntegrityPact.member_id)
        .where(IntegrityPact.unit_id == unit_id, col(IntegrityPact.deleted_at).is_(None))
    ).all()
    attended = session.exec(
        select(ActivityAttendance.member_id)
        .join(TeamActivity, col(TeamActivity.id) == ActivityAttendance.activity_id)
        .where(ActivityAttendance.unit_id == unit_id,
               col(ActivityAttendance.deleted_at).is_(None),
               col(TeamActivity.deleted_at).is_(None))
    ).all()
    member_ids = {m.id for m in domain_members}
    decree = session.exec(
        _live(TeamDecree, unit_id).order_by(col(TeamDecree.decree_date).desc())
    ).first()
    activities = len(session.exec(_live(TeamActivity, unit_id)).all())
    return TeamOverview(
        summary=commitment_summary(
            domain_members,
            [i for i in signed if i in member_ids],
            [i for i in attended if i in member_ids],
        ),
        decree=decree,
        activities=activities,
    )


def unit_overview(session: Session, *, unit: Unit, today: date | None = None) -> Overview:
    """Everything the dashboard's programme cards show, for one unit."""
    today = today or unit_today(unit)
    innovations = session.exec(_live(Innovation, unit.id)).all()
    items = session.exec(_live(ActionItem, unit.id)).all()
    pillars = session.exec(
        _live(Pillar, unit.id).order_by(Pillar.position, Pillar.id)
    ).all()
    activities = session.exec(_live(TeamActivity, unit.id)).all()
    partnerships = session.exec(_live(Partnership, unit.id)).all()

    pillar_rows = tuple(
        PillarProgress(
            pillar=p,
            progress=_progress([i for i in items if i.pillar_id == p.id], today),
            innovations=sum(1 for i in innovations if i.pillar_id == p.id),
            activities=sum(1 for a in activities if a.pillar_id == p.id),
            partnerships=sum(1 for a in partnerships if a.pillar_id == p.id),
        )
        for p in pillars
    )
    overdue = []
    for row in items:
        try:
            late = is_overdue(_domain_item(row), today)
        except ValueError:
            continue
        if late and row.due_on is not None:
            overdue.append(OverdueItem(item=row, days_late=(today - row.due_on).days))
    overdue.sort(key=lambda o: (-o.days_late, o.item.id))

    states: Counter[PartnershipState] = Counter()
    expiring = []
    for p in partnerships:
        try:
            state = partnership_state(p.signed_on, p.expires_on, today, DEFAULT_WARN_DAYS)
        except ProgrammeError:
            continue
        states[state] += 1
        if state is PartnershipState.EXPIRING_SOON or (
            state is PartnershipState.EXPIRED and p.expires_on
            and (today - p.expires_on).days <= DEFAULT_WARN_DAYS
        ):
            expiring.append(ExpiringAgreement(p, state, (p.expires_on - today).days))
    expiring.sort(key=lambda e: e.days_left)

    pillar_ids = {p.id for p in pillars}
    return Overview(
        today=today,
        innovations=innovation_counts(innovations),
        team=team_overview(session, unit.id),
        plan=_progress(items, today),
        pillars=pillar_rows,
        untagged=_progress([i for i in items if i.pillar_id not in pillar_ids], today),
        overdue=tuple(overdue),
        partnerships={s: states.get(s, 0) for s in PartnershipState},
        expiring=tuple(expiring),
    )
