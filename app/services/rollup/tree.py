"""The part of the unit tree under one office, as one recursive CTE.

Every aggregate of a roll-up joins this CTE instead of loading the tree into Python and
passing a thousand ids back to the database: the walk is one statement whatever the size,
and each row carries the regional office and eselon I office it sits under (the columns the
roll-up groups and filters by).

The statements that use it are built once, at import, with bound parameters (``root_id``,
``year``): building a statement of this size costs SQLAlchemy several milliseconds, twenty
times what SQLite needs to run it.
"""

from __future__ import annotations

from sqlalchemy import CTE, Integer, bindparam, case, cast, literal, null, select

from app.models.units import Unit, UnitLevel

_UNIT = Unit.__table__


def subtree() -> CTE:
    """``rollup_tree(id, level, depth, region_id, eselon1_id)``: the root (bound parameter
    ``root_id``) and every live unit below it. ``region_id`` / ``eselon1_id``: the nearest
    regional / eselon I office at or above the unit within the subtree (NULL when none: a
    unit straight under the ministry)."""
    u = _UNIT.c

    top = select(
        u.id.label("id"),
        u.level.label("level"),
        literal(0, Integer).label("depth"),
        case((u.level == UnitLevel.regional.value, u.id), else_=cast(null(), Integer))
        .label("region_id"),
        case((u.level == UnitLevel.eselon1.value, u.id), else_=cast(null(), Integer))
        .label("eselon1_id"),
    ).where(u.id == bindparam("root_id"), u.deleted_at.is_(None)).cte("rollup_tree",
                                                                      recursive=True)
    child = _UNIT.alias("rollup_child")
    c = child.c
    below = select(
        c.id,
        c.level,
        top.c.depth + 1,
        case((c.level == UnitLevel.regional.value, c.id), else_=top.c.region_id),
        case((c.level == UnitLevel.eselon1.value, c.id), else_=top.c.eselon1_id),
    ).where(c.parent_id == top.c.id, c.deleted_at.is_(None))
    return top.union_all(below)


#: The subtree, built once; every roll-up statement joins this one.
TREE = subtree()
