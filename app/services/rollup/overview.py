"""What an office above the units reads over all of them: the season steps, survey indices
per region and per service type, innovations per stage.

Each function is one SQL GROUP BY over the subtree CTE (app.services.rollup.tree) joined to
counts that are kept current where they are written (``assessment`` statuses, the survey
tallies, the live innovations), so a page costs the same number of queries for ten units
as for a thousand. The caller has passed ``scope`` (which authorises), and hands its
``Scope`` to each function.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy import and_, bindparam, func, select
from sqlmodel import Session

from app.domain import rollup as domain
from app.domain.programme.innovation import Stage
from app.domain.surveys.indices import ElementTally, SurveyDataError
from app.models.lke.assessments import Assessment
from app.models.programme import Innovation
from app.models.surveys.records import (
    ALL_SERVICES,
    NO_SERVICE,
    SurveyCampaign,
    SurveyInstrument,
    SurveyItemTotal,
    SurveyService,
)
from app.models.units import Unit, UnitLevel
from app.security.principal import Principal
from app.services import units
from app.services.rollup.tree import TREE
from app.services.surveys import instruments as survey_instruments
from app.services.surveys.results import INDEX_NAMES, instrument_result

#: Who may read an office's roll-up: a reviewer of that office (whose role reaches every
#: unit below it) or an administrator. A member of a unit holds nothing at its parent.
PERMISSION = "review.write"

_UNIT = Unit.__table__
_ASSESSMENT = Assessment.__table__


_U, _A = _UNIT.c, _ASSESSMENT.c
_IS_WORK_UNIT = TREE.c.level == UnitLevel.unit.value
_OFFICES = (
    select(_U.id, _U.code, _U.name, _U.level).join(TREE, TREE.c.id == _U.id)
    .where(_U.level != UnitLevel.unit.value, _U.id != bindparam("root_id"))
    .order_by(_U.name)
)
_WORK_UNITS = select(func.count()).select_from(TREE).where(_IS_WORK_UNIT)
# The years with assessments, each row carrying the number of work units (one statement
# for both; an office without any assessment has no row and counts with _WORK_UNITS).
_YEARS = (
    select(_A.year, _WORK_UNITS.scalar_subquery())
    .join(TREE, TREE.c.id == _A.unit_id).where(_A.deleted_at.is_(None))
    .group_by(_A.year).order_by(_A.year.desc())
)
_SEASON = (
    select(_A.status, func.count()).select_from(TREE)
    .outerjoin(_ASSESSMENT, and_(_A.unit_id == TREE.c.id, _A.year == bindparam("year"),
                                 _A.deleted_at.is_(None)))
    .where(_IS_WORK_UNIT).group_by(_A.status)
)
_I = Innovation.__table__.c
_INNOVATIONS = (
    select(_I.stage, _I.phase, func.count()).join(TREE, TREE.c.id == _I.unit_id)
    .where(_I.deleted_at.is_(None)).group_by(_I.stage, _I.phase)
)
# The survey indices read the item totals (survey_tally summed over the value, kept with it):
# about one row per campaign and item; the ALL_SERVICES rows for the regions.
_T, _C, _SV = SurveyItemTotal.__table__.c, SurveyCampaign.__table__.c, SurveyService.__table__.c
_SUMS = (func.sum(_T.value_total), func.sum(_T.answers))
_TOTALS = SurveyItemTotal.__table__.join(
    SurveyCampaign.__table__,
    and_(_C.id == _T.campaign_id, _C.year == bindparam("year"), _C.deleted_at.is_(None)),
).join(TREE, TREE.c.id == _C.unit_id)
_SURVEYS_BY_REGION = (
    select(TREE.c.region_id, _T.instrument_code, _T.item_code, *_SUMS).select_from(_TOTALS)
    .where(_T.service_key == ALL_SERVICES)
    .group_by(TREE.c.region_id, _T.instrument_code, _T.item_code)
    .having(func.sum(_T.answers) > 0)
)
_INSTRUMENTS = (
    select(SurveyInstrument).where(SurveyInstrument.code.in_(bindparam("codes", expanding=True)))
    .order_by(SurveyInstrument.code, SurveyInstrument.version.desc())
)
_SERVICE_CODE = func.coalesce(_SV.code, "")
_SURVEYS_BY_SERVICE = (
    select(_SERVICE_CODE, func.max(_SV.name), _T.instrument_code, _T.item_code, *_SUMS)
    .select_from(_TOTALS.outerjoin(
        SurveyService.__table__, and_(_SV.id == _T.service_key, _T.service_key != NO_SERVICE)))
    .where(_T.service_key != ALL_SERVICES)
    .group_by(_SERVICE_CODE, _T.instrument_code, _T.item_code)
    .having(func.sum(_T.answers) > 0)
)


@dataclass(frozen=True)
class Office:
    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Scope:
    """The office whose units are rolled up, the year read, and the offices below it (for
    the region filter and the drill-down)."""

    unit: Unit
    year: int
    years: tuple[int, ...]
    work_units: int
    offices: tuple[Office, ...] = field(default_factory=tuple)

    @property
    def regions(self) -> tuple[Office, ...]:
        return tuple(o for o in self.offices if o.level == UnitLevel.regional)

    @property
    def eselon1_offices(self) -> tuple[Office, ...]:
        return tuple(o for o in self.offices if o.level == UnitLevel.eselon1)


def scope(session: Session, *, actor: Principal | None, unit_id: int,
          year: int | None = None) -> Scope:
    """The roll-up's scope (Forbidden unless the actor reviews the office or administers):
    the office, the offices below it, how many work units, the years with assessments."""
    root = units.get(session, unit_id=unit_id, actor=actor, permission=PERMISSION)
    at = {"root_id": root.id}
    offices = tuple(Office(r.id, r.code, r.name, r.level)
                    for r in session.execute(_OFFICES, at))
    rows = session.execute(_YEARS, at).all()
    years = tuple(y for y, _n in rows)
    work_units = rows[0][1] if rows else session.execute(_WORK_UNITS, at).scalar_one()
    chosen = year or (years[0] if years else datetime.now(UTC).year)
    return Scope(root, chosen, years, work_units, offices)


# --- the season ------------------------------------------------------------------------


def season(session: Session, *, scope: Scope) -> list[domain.StepCount]:
    """How many work units stand at each step of the year's season (one GROUP BY)."""
    rows = session.execute(_SEASON, {"root_id": scope.unit.id, "year": scope.year}).all()
    return domain.season_steps({status: n for status, n in rows})


# --- innovations -------------------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: str
    wbk: int
    wbbm: int

    @property
    def total(self) -> int:
        return self.wbk + self.wbbm


def innovations(session: Session, *, scope: Scope) -> list[StageCount]:
    """Live innovations of the units below, per stage and ZI phase (one GROUP BY)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for stage, phase, n in session.execute(_INNOVATIONS, {"root_id": scope.unit.id}):
        counts[stage][phase] = n
    return [StageCount(s.value, counts[s.value].get("wbk", 0), counts[s.value].get("wbbm", 0))
            for s in Stage]


# --- survey indices ---------------------------------------------------------------------


@dataclass(frozen=True)
class IndexCell:
    """One pooled index: every reportable answer of the group's campaigns counts once."""

    index_name: str
    value: Fraction | None
    answers: int


@dataclass(frozen=True)
class SurveyRow:
    key: int | str | None
    label: str
    cells: dict[str, IndexCell]

    def cell(self, index_name: str) -> IndexCell | None:
        return self.cells.get(index_name)


@dataclass(frozen=True)
class SurveyIndices:
    index_names: tuple[str, ...]
    by_region: list[SurveyRow]
    by_service: list[SurveyRow]


def surveys(session: Session, *, scope: Scope) -> SurveyIndices:
    """IKM, IPKP and IPAK of the year's campaigns, per regional office and per service type
    (service code), pooled from the item totals (one row per campaign and item, not per answer value):
    three queries whatever the size."""
    at = {"root_id": scope.unit.id, "year": scope.year}
    by_region = session.execute(_SURVEYS_BY_REGION, at).all()
    by_service = session.execute(_SURVEYS_BY_SERVICE, at).all()
    codes = {r.instrument_code for r in (*by_region, *by_service)}
    instruments = _instruments(session, codes)
    # The root itself is the region of every unit when the roll-up is a regional office's.
    names = {o.id: o.name for o in scope.regions} | {scope.unit.id: scope.unit.name}
    region_rows = _rows(
        ((r.region_id, r.instrument_code, r.item_code, r[3], r[4]) for r in by_region),
        instruments, lambda key: names.get(key, "Tanpa kantor wilayah") if key else
        "Tanpa kantor wilayah")
    labels: dict[str, str] = {}
    service_cells = []
    for code, name, inst, item, total, count in by_service:
        labels[code] = name or "Tanpa jenis layanan"
        service_cells.append((code, inst, item, total, count))
    service_rows = _rows(service_cells, instruments, lambda key: labels.get(key, key))
    present = {n for row in (*region_rows, *service_rows) for n in row.cells}
    order = [n for n in INDEX_NAMES.values() if n in present]
    return SurveyIndices(tuple(order), region_rows, service_rows)


def _instruments(session: Session, codes: set[str]):
    if not codes:
        return {}
    newest: dict[str, SurveyInstrument] = {}
    for row in session.execute(_INSTRUMENTS, {"codes": sorted(codes)}).scalars():
        newest.setdefault(row.code, row)
    return {code: survey_instruments.parsed(row) for code, row in newest.items()}


def _rows(cells, instruments, label) -> list[SurveyRow]:
    grouped: dict = defaultdict(lambda: defaultdict(list))
    for key, inst, item, total, count in cells:
        grouped[key][inst].append(ElementTally(item, int(total), int(count)))
    out = []
    for key, per_instrument in grouped.items():
        cells: dict[str, IndexCell] = {}
        for code, tallies in per_instrument.items():
            instrument = instruments.get(code)
            if instrument is None:
                continue
            try:
                value = instrument_result(instrument, tallies).value
            except SurveyDataError:  # an item nobody answered in this group: no index
                value = None
            name = INDEX_NAMES[instrument.kind]
            answers = sum(x.count for x in tallies)
            cells[name] = IndexCell(name, value, answers)
        out.append(SurveyRow(key, label(key), cells))
    out.sort(key=lambda r: (r.key is None or r.key == "", r.label))
    return out
