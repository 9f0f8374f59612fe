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
    innovations: list[overview.StageCount]
    units: table.UnitPage | None


def read(session: Session, *, actor: Principal | None, unit_id: int,
         filters: UnitFilter, with_units: bool = True) -> Rollup:
    """Everything the roll-up page shows but the survey indices (``surveys``), in a number of queries that does not grow with
    the number of units (Forbidden unless the actor reviews the office or administers)."""
    scope = overview.scope(session, actor=actor, unit_id=unit_id, year=filters.year)
    return Rollup(
        scope=scope,
        steps=overview.season(session, scope=scope),
        years=scores.by_year(session, root_id=scope.unit.id),
        innovations=overview.innovations(session, scope=scope),
        units=table.page(session, scope=scope, filters=filters) if with_units else None,
    )


def surveys(session: Session, *, actor: Principal | None, unit_id: int,
            year: int | None) -> tuple[overview.Scope, overview.SurveyIndices]:
    """The pooled survey indices alone: the one part whose cost grows with the number of
    campaigns (a GROUP BY over the item totals, ~one row per campaign and item of the year),
    so the page loads it on its own request and the API serves it apart."""
    scope = overview.scope(session, actor=actor, unit_id=unit_id, year=year)
    return scope, overview.surveys(session, scope=scope)


def units_page(session: Session, *, actor: Principal | None, unit_id: int,
               filters: UnitFilter) -> tuple[overview.Scope, table.UnitPage]:
    """Only the table (the API's paged list, the page's htmx swap)."""
    scope = overview.scope(session, actor=actor, unit_id=unit_id, year=filters.year)
    return scope, table.page(session, scope=scope, filters=filters)
