"""A unit's ancestors, top first: read in one recursive query, then from the request's units."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from app.models.units import Unit
from app.services import units


def test_ancestors_top_down_in_one_query(engine, world):
    # The world: KEMEN > ES1 > KANWIL-A > UNIT-A1 (tests/factories.py).
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with Session(engine) as session:
        unit = session.get(Unit, world.unit("UNIT-A1"))
        event.listen(engine, "before_cursor_execute", count)
        try:
            chain = units.ancestors(session, unit=unit)
            assert [u.code for u in chain] == ["KEMEN", "ES1", "KANWIL-A"]
            assert len(statements) == 1
            # Asked again in the same request (another card of the page): no query.
            kanwil = chain[-1]
            assert [u.code for u in units.ancestors(session, unit=kanwil)] == ["KEMEN", "ES1"]
            assert units.ancestors(session, unit=chain[0]) == []
            assert len(statements) == 1
        finally:
            event.remove(engine, "before_cursor_execute", count)


def test_ancestors_stop_on_a_cycle(engine, world):
    with Session(engine) as session:
        top = session.get(Unit, world.unit("KEMEN"))
        top.parent_id = world.unit("KANWIL-A")  # bad data: KEMEN under its own descendant
        session.add(top)
        session.flush()
        unit = session.get(Unit, world.unit("UNIT-A1"))
        # UNIT-A1 > KANWIL-A > ES1 > KEMEN > KANWIL-A again: the walk stops there.
        assert [u.code for u in units.ancestors(session, unit=unit)] == [
            "KEMEN", "ES1", "KANWIL-A"]
        session.rollback()
