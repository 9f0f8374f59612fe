"""The roll-up's table: one row per work unit below the office with its assessment of the
year, sortable, filterable and paged in SQL (two queries for any page: the rows, the count).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlmodel import Session

from app.domain import rollup as domain
from app.domain.season import calendar as cal
from app.models.lke.assessments import Assessment, AssessmentStatus
from app.models.units import Unit, UnitLevel
from app.services.errors import Invalid
from app.services.rollup import scores
from app.services.rollup.inputs import UnitFilter
from app.services.rollup.overview import Scope
from app.services.rollup.tree import TREE

_UNIT = Unit.__table__
_ASSESSMENT = Assessment.__table__

#: Statuses at each step of the season (app.domain.season.calendar).
STATUSES_AT = {
    step: tuple(s.value for s in AssessmentStatus if cal.step_of_status(s.value) == step)
    for step in cal.STEPS
}


@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    code: str
    name: str
    region_id: int | None
    region: str | None
    eselon1: str | None
    assessment_id: int | None
    status: str | None
    target: str | None
    total: Fraction | None
    passed: bool | None
    missing: Fraction | None
    #: What blocks the target: the failed checks with the points each lacks.
    blocking: tuple[scores.Blocker, ...]

    @property
    def step(self) -> str:
        return domain.NOT_STARTED if self.status is None else cal.step_of_status(self.status)


@dataclass(frozen=True)
class UnitPage:
    items: list[UnitRow]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset else None


@dataclass(frozen=True)
class _Shape:
    """What decides a table statement's structure; the values travel as bound parameters,
    so each shape is built once (building costs more than SQLite's run) and then reused."""

    region: bool
    eselon1: bool
    step: str | None
    target: bool
    verdict: str | None
    search: bool
    sort: str
    descending: bool
    thresholds: tuple[tuple[tuple[int, str], Fraction], ...]


@lru_cache(maxsize=256)
def _statements(shape: _Shape):
    """(all rows, one page of rows, the count) for one shape."""
    tree = TREE
    unit = _UNIT.alias("rollup_unit")
    region = _UNIT.alias("rollup_region")
    eselon1 = _UNIT.alias("rollup_eselon1")
    a = _ASSESSMENT.c
    summary = scores.table()
    source = (
        tree.join(unit, unit.c.id == tree.c.id)
        .outerjoin(region, region.c.id == tree.c.region_id)
        .outerjoin(eselon1, eselon1.c.id == tree.c.eselon1_id)
        .outerjoin(_ASSESSMENT, and_(a.unit_id == tree.c.id, a.year == bindparam("year"),
                                     a.deleted_at.is_(None)))
        .outerjoin(summary, scores.joins(summary, a))
    )
    conditions = [tree.c.level == UnitLevel.unit.value]
    if shape.region:
        conditions.append(tree.c.region_id == bindparam("region_id"))
    if shape.eselon1:
        conditions.append(tree.c.eselon1_id == bindparam("eselon1_id"))
    if shape.step == domain.NOT_STARTED:
        conditions.append(a.id.is_(None))
    elif shape.step is not None:
        conditions.append(a.status.in_(STATUSES_AT[shape.step]))
    if shape.target:
        conditions.append(a.target == bindparam("target"))
    if shape.verdict is not None:
        conditions.append(scores.verdict_is(summary, shape.verdict))
    if shape.search:
        conditions.append(or_(func.lower(unit.c.name).like(bindparam("needle")),
                              func.lower(unit.c.code).like(bindparam("needle"))))
    columns = (
        unit.c.id, unit.c.code, unit.c.name, tree.c.region_id,
        region.c.name.label("region"), eselon1.c.name.label("eselon1"),
        a.id.label("assessment_id"), a.status, a.target, *scores.columns(summary),
    )
    query = select(*columns).select_from(source).where(and_(*conditions))
    step_rank = case(
        *((a.status.in_(STATUSES_AT[step]), i + 1) for i, step in enumerate(cal.STEPS)),
        else_=0,
    )
    keys = {
        "name": [unit.c.name],
        "code": [unit.c.code],
        "region": [region.c.name, unit.c.name],
        "step": [step_rank, unit.c.name],
        "total": [scores.total_column(summary), unit.c.name],
        "missing": [scores.missing_column(summary, dict(shape.thresholds)), unit.c.name],
    }[shape.sort]
    first = keys[0].desc() if shape.descending else keys[0].asc()
    ordered = query.order_by(first.nulls_last(), *keys[1:], unit.c.id)
    count = select(func.count()).select_from(query.subquery())
    paged = ordered.offset(bindparam("offset")).limit(bindparam("limit"))
    return ordered, paged, count


def _prepared(session: Session, scope: Scope, filters: UnitFilter):
    shape = _Shape(
        region=filters.region_id is not None, eselon1=filters.eselon1_id is not None,
        step=filters.step, target=filters.target is not None, verdict=filters.verdict,
        search=bool(filters.q and filters.q.strip()), sort=filters.sort,
        descending=filters.is_descending,
        thresholds=tuple(sorted(scores.total_thresholds(session).items())),
    )
    params = {"root_id": scope.unit.id, "year": scope.year, "region_id": filters.region_id,
              "eselon1_id": filters.eselon1_id, "target": filters.target,
              "needle": f"%{(filters.q or '').strip().lower()}%"}
    return (*_statements(shape), {k: v for k, v in params.items() if v is not None})


def page(session: Session, *, scope: Scope, filters: UnitFilter) -> UnitPage:
    """One page of the table (the caller authorised the scope with ``overview.scope``)."""
    if filters.region_id is not None and filters.region_id not in {o.id for o in scope.regions}:
        raise Invalid("Kantor wilayah tidak ada di bawah unit ini.")
    if filters.eselon1_id is not None and filters.eselon1_id not in {
            o.id for o in scope.eselon1_offices}:
        raise Invalid("Unit eselon I tidak ada di bawah unit ini.")
    _ordered, paged, count, params = _prepared(session, scope, filters)
    if _unfiltered(filters):
        # One row per work unit below the office (the outer joins add none: one live
        # assessment per unit and year, one summary per assessment): the scope counted them.
        total = scope.work_units
    else:
        total = session.execute(count, params).scalar_one()
    rows = session.execute(paged, {**params, "offset": filters.offset,
                                   "limit": filters.limit}).all()
    return UnitPage([_row(r) for r in rows], total, filters.limit, filters.offset)


def _unfiltered(filters: UnitFilter) -> bool:
    return (filters.region_id is None and filters.eselon1_id is None and filters.step is None
            and filters.target is None and filters.verdict is None
            and not (filters.q and filters.q.strip()))


def all_rows(session: Session, *, scope: Scope, filters: UnitFilter) -> list[UnitRow]:
    """Every row matching the filters, in the table's order (the export)."""
    ordered, _paged, _count, params = _prepared(session, scope, filters)
    return [_row(r) for r in session.execute(ordered, params).all()]


def _row(r) -> UnitRow:
    total, passed, missing, blocking = scores.read(r)
    return UnitRow(r.id, r.code, r.name, r.region_id, r.region, r.eselon1, r.assessment_id,
                   r.status, r.target, total, passed, missing, blocking)
