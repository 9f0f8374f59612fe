"""Evaluation calendars: set by an administrator for the whole tree or by a regional office
(a unit with reviewers for the units below) for its units; read as the nearest scope's for
a unit, with what is due next and each step's lateness (rules in app.domain.season)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.domain.season import calendar as cal
from app.models.lke.assessments import Assessment
from app.models.season import EvaluationCalendar
from app.models.units import Unit
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Forbidden, Invalid, NotFound

ALL = "all"
#: Units whose reviewers act for the units below them (app.domain.lke.review).
OFFICE_LEVELS = ("regional", "eselon1", "ministry")
DUE_FIELDS = {step: f"{step}_due" for step in cal.STEPS}


def _now() -> datetime:
    return datetime.now(UTC)


def local_today(timezone: str, now: datetime | None = None) -> date:
    """The date in a unit's time zone at ``now``."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Jakarta")
    return (now or _now()).astimezone(zone).date()


def scope_of(unit_id: int | None) -> str:
    return ALL if unit_id is None else f"unit:{unit_id}"


def may_set(session: Session, actor: Principal | None, unit_id: int | None) -> bool:
    """An administrator anywhere; a reviewer of a regional (or higher) office for it."""
    if actor is None or actor.is_admin:
        return True
    if unit_id is None or actor.kind != "user":
        return False
    unit = session.get(Unit, unit_id)
    return (unit is not None and unit.level in OFFICE_LEVELS
            and actor.can("review.write", unit_id))


def dates_of(row: EvaluationCalendar) -> cal.CalendarDates:
    periods = tuple(
        cal.SurveyPeriod(p["label"], date.fromisoformat(p["opens_on"]),
                         date.fromisoformat(p["closes_on"]))
        for p in (row.survey_periods or [])
    )
    return cal.CalendarDates(
        year=row.year, scope_unit_id=row.unit_id,
        dues={step: getattr(row, field) for step, field in DUE_FIELDS.items()},
        survey_periods=periods,
    )


def get_row(session: Session, *, unit_id: int | None, year: int) -> EvaluationCalendar | None:
    return session.exec(
        select(EvaluationCalendar).where(
            EvaluationCalendar.scope == scope_of(unit_id), EvaluationCalendar.year == year)
    ).first()


def problems(dues: Mapping[str, date | None], year: int,
             survey_periods: Sequence[cal.SurveyPeriod] = ()) -> list[str]:
    """What is wrong with these dates (for a form that lists every problem at once)."""
    return cal.calendar_problems(dues, year, survey_periods)


def set_calendar(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int | None,
    year: int,
    dues: Mapping[str, date | None],
    survey_periods: Sequence[cal.SurveyPeriod] = (),
) -> EvaluationCalendar:
    """Create or replace the calendar of one scope and year."""
    if unit_id is not None:
        unit = units.get(session, unit_id=unit_id)
        if unit.level not in OFFICE_LEVELS:
            raise Invalid("Kalender hanya dapat diatur untuk seluruh unit atau oleh kantor "
                          "wilayah / unit pembina bagi unit di bawahnya.")
    if not may_set(session, actor, unit_id):
        raise Forbidden(
            "Kalender evaluasi diatur oleh administrator (seluruh unit) atau reviewer kantor "
            "wilayah untuk unit di bawahnya.", permission="review.write",
        )
    unknown = set(dues) - set(cal.STEPS)
    if unknown:
        raise Invalid("Tahap kalender tidak dikenal.", problems=sorted(unknown))
    problems = cal.calendar_problems(dues, year, survey_periods)
    if problems:
        raise Invalid("Kalender evaluasi tidak disimpan: periksa isian berikut.",
                      problems=problems)
    row = get_row(session, unit_id=unit_id, year=year)
    before = audit.snapshot(row) if row else None
    if row is None:
        row = EvaluationCalendar(scope=scope_of(unit_id), unit_id=unit_id, year=year)
    for step, field in DUE_FIELDS.items():
        setattr(row, field, dues.get(step))
    row.survey_periods = [
        {"label": p.label.strip(), "opens_on": p.opens_on.isoformat(),
         "closes_on": p.closes_on.isoformat()} for p in survey_periods
    ]
    row.updated_by_label = actor.label if actor else "system"
    row.updated_at = _now()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="update" if before else "create",
                 entity="evaluation_calendar", entity_id=row.id, unit_id=unit_id,
                 before=before, after=audit.snapshot(row))
    session.commit()
    return row


def chain_ids(session: Session, unit: Unit) -> list[int]:
    """The unit and every unit above it, nearest first."""
    return [unit.id, *[u.id for u in reversed(units.ancestors(session, unit=unit))]]


# Built once (building a statement costs about as much as running it here).
_CALENDARS_OF_YEAR = select(EvaluationCalendar).where(EvaluationCalendar.year == bindparam("year"))


def effective(session: Session, *, unit: Unit, year: int) -> EvaluationCalendar | None:
    """The calendar that applies to a unit in a year: the nearest scope's."""
    rows = session.exec(_CALENDARS_OF_YEAR, params={"year": year}).all()
    by_scope = {r.unit_id: r for r in rows}
    chosen = cal.nearest_scope(chain_ids(session, unit), by_scope)
    return None if chosen is False else by_scope[chosen]


def visible_calendars(session: Session, *, actor: Principal | None,
                      year: int) -> list[EvaluationCalendar]:
    """The year's calendars the actor may read: the whole tree's and those of the offices
    at units it may read."""
    rows = session.exec(
        select(EvaluationCalendar).where(EvaluationCalendar.year == year)
        .order_by(col(EvaluationCalendar.unit_id).is_not(None), EvaluationCalendar.scope)
    ).all()
    readable = actor.unit_ids("unit.read") if actor is not None else None
    return [r for r in rows if r.unit_id is None or readable is None or r.unit_id in readable]


def offices(session: Session, *, actor: Principal | None) -> list[Unit]:
    """The units whose calendar the actor may set (besides the whole tree for an admin)."""
    return [u for u in units.list_units(session, actor=actor)
            if u.level in OFFICE_LEVELS and may_set(session, actor, u.id)]


@dataclass(frozen=True)
class UnitSeason:
    """What a unit's page shows: the calendar in force, each step's countdown, the next."""

    unit: Unit
    year: int
    today: date
    calendar: EvaluationCalendar | None
    status: str | None
    states: list[cal.StepState]
    next: cal.StepState | None

    @property
    def finished(self) -> bool:
        """The assessment of the year is final (TPI accepted): the last step, the proposal
        to the national team, is done (docs/season.md)."""
        return self.status == "final"

    @property
    def scope_label(self) -> str:
        if self.calendar is None:
            return ""
        return "seluruh unit" if self.calendar.unit_id is None else "kantor wilayah"


def _status(session: Session, unit_id: int, year: int) -> str | None:
    return session.exec(
        select(Assessment.status).where(
            Assessment.unit_id == unit_id, Assessment.year == year,
            col(Assessment.deleted_at).is_(None))
    ).first()


def _levels(session: Session, unit: Unit) -> tuple[str, ...]:
    from app.domain.lke import review as rv

    return rv.review_levels(a.level for a in units.ancestors(session, unit=unit))


def season_of(session: Session, *, unit: Unit, now: datetime | None = None,
              year: int | None = None,
              assessments: Sequence[Assessment] | None = None) -> UnitSeason:
    """A unit's season (no authorisation here: the caller has read the unit).

    ``assessments``: the unit's live assessments when the caller has read them already (the
    dashboard), so that the year's status needs no query (one live assessment a year)."""
    today = local_today(unit.timezone, now)
    year = year or today.year
    row = effective(session, unit=unit, year=year)
    if assessments is None:
        status = _status(session, unit.id, year)
    else:
        status = next((a.status for a in assessments
                       if a.unit_id == unit.id and a.year == year and a.deleted_at is None),
                      None)
    states = cal.step_states(dates_of(row) if row else None, status, today,
                             levels=_levels(session, unit))
    return UnitSeason(unit, year, today, row, status, states, cal.next_due(states))


def unit_season(session: Session, *, actor: Principal | None, unit_id: int,
                now: datetime | None = None, year: int | None = None,
                assessments: Sequence[Assessment] | None = None) -> UnitSeason:
    """The season of a unit the actor may read (``assessments`` as in ``season_of``)."""
    unit = units.get(session, unit_id=unit_id, actor=actor)
    return season_of(session, unit=unit, now=now, year=year, assessments=assessments)


def seasons_of(session: Session, *, unit_ids: Sequence[int], now: datetime | None = None,
               year: int | None = None) -> dict[int, UnitSeason]:
    """The season of several units (the oversight table; its caller authorised them)."""
    out = {}
    for unit_id in unit_ids:
        unit = session.get(Unit, unit_id)
        if unit is not None:
            out[unit_id] = season_of(session, unit=unit, now=now, year=year)
    return out


def get_for_page(session: Session, *, actor: Principal | None, unit_id: int | None,
                 year: int) -> EvaluationCalendar | None:
    """One scope's calendar for its edit form (NotFound for a unit the actor cannot read)."""
    if unit_id is not None:
        units.get(session, unit_id=unit_id, actor=actor)
        if session.get(Unit, unit_id) is None:
            raise NotFound("Unit tidak ditemukan.")
    return get_row(session, unit_id=unit_id, year=year)
