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

from sqlalchemy import and_, func, select
from sqlmodel import Session

from app.domain import rollup as domain
from app.domain.programme.innovation import Stage
from app.domain.surveys.indices import ElementTally, SurveyDataError
from app.models.lke.assessments import Assessment
from app.models.programme import Innovation
from app.models.surveys.records import (
    NO_SERVICE,
    SurveyCampaign,
    SurveyInstrument,
    SurveyService,
    SurveyTally,
)
from app.models.units import Unit, UnitLevel
from app.security.principal import Principal
from app.services import units
from app.services.rollup.tree import subtree
from app.services.surveys import instruments as survey_instruments
from app.services.surveys.results import INDEX_NAMES, instrument_result

#: Who may read an office's roll-up: a reviewer of that office (whose role reaches every
#: unit below it) or an administrator. A member of a unit holds nothing at its parent.
PERMISSION = "review.write"

_UNIT = Unit.__table__
_ASSESSMENT = Assessment.__table__


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
    tree = subtree(root.id)
    rows = session.execute(
        select(_UNIT.c.id, _UNIT.c.code, _UNIT.c.name, _UNIT.c.level)
        .join(tree, tree.c.id == _UNIT.c.id)
        .where(_UNIT.c.level != UnitLevel.unit.value, _UNIT.c.id != root.id)
        .order_by(_UNIT.c.name)
    ).all()
    offices = tuple(Office(r.id, r.code, r.name, r.level) for r in rows)
    work_units = session.execute(
        select(func.count()).select_from(tree).where(tree.c.level == UnitLevel.unit.value)
    ).scalar_one()
    years = tuple(
        y for (y,) in session.execute(
            select(_ASSESSMENT.c.year).join(tree, tree.c.id == _ASSESSMENT.c.unit_id)
            .where(_ASSESSMENT.c.deleted_at.is_(None))
            .group_by(_ASSESSMENT.c.year).order_by(_ASSESSMENT.c.year.desc())
        )
    )
    chosen = year or (years[0] if years else datetime.now(UTC).year)
    return Scope(root, chosen, years, work_units, offices)


# --- the season ------------------------------------------------------------------------


def season(session: Session, *, scope: Scope) -> list[domain.StepCount]:
    """How many work units stand at each step of the year's season (one GROUP BY)."""
    tree = subtree(scope.unit.id)
    a = _ASSESSMENT.c
    rows = session.execute(
        select(a.status, func.count())
        .select_from(tree)
        .outerjoin(_ASSESSMENT, and_(a.unit_id == tree.c.id, a.year == scope.year,
                                     a.deleted_at.is_(None)))
        .where(tree.c.level == UnitLevel.unit.value)
        .group_by(a.status)
    ).all()
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
    tree = subtree(scope.unit.id)
    i = Innovation.__table__.c
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for stage, phase, n in session.execute(
        select(i.stage, i.phase, func.count())
        .join(tree, tree.c.id == i.unit_id)
        .where(i.deleted_at.is_(None))
        .group_by(i.stage, i.phase)
    ):
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
    (service code), pooled from the survey tallies: three queries whatever the size."""
    tree = subtree(scope.unit.id)
    t, c = SurveyTally.__table__.c, SurveyCampaign.__table__.c
    sums = (func.sum(t.value * t.answers), func.sum(t.answers))
    campaigns = and_(c.id == t.campaign_id, c.year == scope.year, c.deleted_at.is_(None))
    base = SurveyTally.__table__.join(SurveyCampaign.__table__, campaigns).join(
        tree, tree.c.id == c.unit_id)
    by_region = session.execute(
        select(tree.c.region_id, t.instrument_code, t.item_code, *sums)
        .select_from(base)
        .group_by(tree.c.region_id, t.instrument_code, t.item_code)
        .having(func.sum(t.answers) > 0)
    ).all()
    sv = SurveyService.__table__.c
    service_code = func.coalesce(sv.code, "")
    by_service = session.execute(
        select(service_code, func.max(sv.name), t.instrument_code, t.item_code, *sums)
        .select_from(base.outerjoin(SurveyService.__table__,
                                    and_(sv.id == t.service_key, t.service_key != NO_SERVICE)))
        .group_by(service_code, t.instrument_code, t.item_code)
        .having(func.sum(t.answers) > 0)
    ).all()
    codes = {r.instrument_code for r in (*by_region, *by_service)}
    instruments = _instruments(session, codes)
    names = {o.id: o.name for o in scope.regions}
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
    for row in session.execute(
        select(SurveyInstrument).where(SurveyInstrument.code.in_(sorted(codes)))
        .order_by(SurveyInstrument.code, SurveyInstrument.version.desc())
    ).scalars():
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
