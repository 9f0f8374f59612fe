"""Roll-ups: an office above the units (eselon I, regional office, the ministry) reads all
its units at once. Pages and API call ``read`` (everything) or the parts in
``overview``, ``scores``, ``table`` and ``export``; docs/rollups.md explains the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.domain import rollup as domain
from app.security.principal import Principal
from app.services.rollup import overview, scores, table
from app.services.rollup.inputs import UnitFilter


@dataclass(frozen=True)
class Rollup:
    scope: overview.Scope
    steps: list[domain.StepCount]
    years: list[domain.YearScores]
    surveys: overview.SurveyIndices
    innovations: list[overview.StageCount]
    units: table.UnitPage | None


def read(session: Session, *, actor: Principal | None, unit_id: int,
         filters: UnitFilter, with_units: bool = True) -> Rollup:
    """Everything the roll-up page shows, in a number of queries that does not grow with
    the number of units (Forbidden unless the actor reviews the office or administers)."""
    scope = overview.scope(session, actor=actor, unit_id=unit_id, year=filters.year)
    return Rollup(
        scope=scope,
        steps=overview.season(session, scope=scope),
        years=scores.by_year(session, root_id=scope.unit.id),
        surveys=overview.surveys(session, scope=scope),
        innovations=overview.innovations(session, scope=scope),
        units=table.page(session, scope=scope, filters=filters) if with_units else None,
    )


def units_page(session: Session, *, actor: Principal | None, unit_id: int,
               filters: UnitFilter) -> tuple[overview.Scope, table.UnitPage]:
    """Only the table (the API's paged list, the page's htmx swap)."""
    scope = overview.scope(session, actor=actor, unit_id=unit_id, year=filters.year)
    return scope, table.page(session, scope=scope, filters=filters)
