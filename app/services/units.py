"""Units: the organisation tree, each unit's predicate history, and who may act in a unit.

``authorise`` is the one check every service makes before it reads or writes a unit's data:
the faces state who may use a route, the services refuse what is not the actor's on their
own. An ``actor`` of None is the system itself (the command line, the demo data, a test's
setup), trusted because it runs in-process, never on behalf of a request.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, exists
from sqlmodel import Session, col, select

from app.db import get_row
from app.models.units import Predicate, PredicateAward, Unit, UnitLevel
from app.security.principal import Principal, missing
from app.services import audit
from app.services.errors import Forbidden, Invalid, NotFound

LEVEL_ORDER = [UnitLevel.ministry, UnitLevel.eselon1, UnitLevel.regional, UnitLevel.unit]


def children_map(session: Session) -> dict[int | None, list[int]]:
    """parent id -> child ids, for every live unit (units are few: one query)."""
    tree: dict[int | None, list[int]] = {}
    rows = session.exec(
        select(Unit.id, Unit.parent_id).where(col(Unit.deleted_at).is_(None))
    ).all()
    for unit_id, parent_id in rows:
        tree.setdefault(parent_id, []).append(unit_id)
    return tree


def descendants(tree: dict[int | None, list[int]], unit_id: int) -> set[int]:
    """Every unit below unit_id."""
    found: set[int] = set()
    stack = list(tree.get(unit_id, []))
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(tree.get(current, []))
    return found


def authorise(actor: Principal | None, permission: str, unit_id: int | None) -> None:
    """Refuse (Forbidden) unless the actor holds the permission at the unit (None: anywhere)."""
    if actor is not None and not actor.can(permission, unit_id):
        name, message = missing(actor, permission, unit_id)
        raise Forbidden(message, permission=name)


def get(
    session: Session,
    *,
    unit_id: int,
    actor: Principal | None = None,
    permission: str = "unit.read",
) -> Unit:
    """One live unit or NotFound; with an actor, only if they hold the permission there."""
    authorise(actor, permission, unit_id)
    unit = _held(session, get_row(session, Unit, unit_id))
    if unit is None or unit.deleted_at is not None:
        raise NotFound(f"Unit {unit_id} tidak ditemukan.")
    return unit


def _held(session: Session, unit: Unit | None) -> Unit | None:
    """Keep a loaded unit referenced for the session's life (a request): the session's
    identity map holds rows weakly, so a page whose parts each ask for the unit and its
    ancestors would otherwise read the same rows again once the previous part let go."""
    if unit is not None:
        session.info.setdefault("units_held", {})[unit.id] = unit
    return unit


def get_by_code(session: Session, *, code: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.code == code)).first()


def list_units(
    session: Session, *, unit_ids: set[int] | None = None, actor: Principal | None = None
) -> list[Unit]:
    """Live units among unit_ids (None = all) that the actor may read, ordered by name."""
    if actor is not None:
        readable = actor.unit_ids("unit.read")
        if readable is not None:
            unit_ids = readable if unit_ids is None else unit_ids & readable
    query = select(Unit).where(col(Unit.deleted_at).is_(None))
    if unit_ids is not None:
        query = query.where(col(Unit.id).in_(unit_ids or {-1}))
    return list(session.exec(query.order_by(Unit.name)).all())


def ancestors(session: Session, *, unit: Unit) -> list[Unit]:
    """From the top of the tree down to the unit's parent.

    The units already read in this request are reused; the rest of the chain is read in
    one recursive query (not one query per level).
    """
    held: dict[int, Unit] = session.info.setdefault("units_held", {})
    chain: list[Unit] = []
    current = unit
    while current.parent_id is not None:
        parent = held.get(current.parent_id)
        if parent is None:
            _read_chain(session, current.parent_id)
            parent = held.get(current.parent_id)
            if parent is None:
                break
        if parent.id == unit.id or any(u.id == parent.id for u in chain):  # a cycle
            break
        chain.append(parent)
        current = parent
    return list(reversed(chain))


def _chain_query():
    """SELECT of a unit (bound ``unit_id``) and every unit above it: a recursive CTE, UNION
    (not UNION ALL) so that it ends even on a cycle in bad data. Built once (constructing
    it costs more than running it)."""
    chain = select(Unit.id, Unit.parent_id).where(Unit.id == bindparam("unit_id")).cte(
        "unit_chain", recursive=True)
    chain = chain.union(
        select(Unit.id, Unit.parent_id).join(chain, col(Unit.id) == chain.c.parent_id))
    return select(Unit).where(col(Unit.id).in_(select(chain.c.id)))


_CHAIN = _chain_query()


def _read_chain(session: Session, unit_id: int) -> None:
    """Read a unit and every unit above it (one query) into the request's held units."""
    for row in session.exec(_CHAIN, params={"unit_id": unit_id}):
        _held(session, row)


def create(
    session: Session,
    *,
    actor: Principal | None,
    code: str,
    name: str,
    level: str,
    parent_id: int | None = None,
) -> Unit:
    """Create a unit under its parent (a ministry has none); administrators only."""
    authorise(actor, "units.manage", None)
    code, name = code.strip(), name.strip()
    problems = []
    if not code:
        problems.append("Kode unit wajib diisi.")
    if not name:
        problems.append("Nama unit wajib diisi.")
    if level not in {lvl.value for lvl in UnitLevel}:
        problems.append(f"Tingkat unit '{level}' tidak dikenal.")
    if parent_id is not None:
        get(session, unit_id=parent_id)
    elif level != UnitLevel.ministry:
        problems.append("Unit selain kementerian harus memiliki induk.")
    if code and get_by_code(session, code=code):
        problems.append(f"Kode unit '{code}' sudah dipakai.")
    if problems:
        raise Invalid("Unit tidak dapat disimpan.", problems=problems)
    unit = Unit(code=code, name=name, level=level, parent_id=parent_id)
    session.add(unit)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="unit", entity_id=unit.id,
        unit_id=unit.id, after=audit.snapshot(unit),
    )
    session.commit()
    return unit


def predicate_history(
    session: Session, *, unit_id: int, actor: Principal | None = None
) -> list[PredicateAward]:
    """The unit's WBK/WBBM awards, oldest first."""
    if actor is not None:
        get(session, unit_id=unit_id, actor=actor)
    return list(session.exec(_AWARDS, params={"unit_id": unit_id}).all())


# Built once (building a statement costs about as much as running it here).
_AWARDS = (
    select(PredicateAward)
    .where(PredicateAward.unit_id == bindparam("unit_id"),
           col(PredicateAward.deleted_at).is_(None))
    .order_by(PredicateAward.year, PredicateAward.decree_date)
)


def holds_predicate(session: Session, *, unit_id: int, predicate: str) -> bool:
    """True when the unit was awarded the predicate and it was not revoked."""
    return bool(session.exec(select(holds_predicate_clause(unit_id, predicate))).one())


def holds_predicate_clause(unit_id: int, predicate: str):
    """SQL EXISTS: a live, unrevoked award of ``predicate`` to the unit (for one-query reads)."""
    return exists().where(
        PredicateAward.unit_id == unit_id,
        PredicateAward.predicate == predicate,
        col(PredicateAward.revoked_on).is_(None),
        col(PredicateAward.deleted_at).is_(None),
    )


def add_predicate(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    predicate: str,
    year: int,
    decree_number: str,
    decree_date: date,
) -> PredicateAward:
    """Record a WBK/WBBM award; a WBBM award needs a WBK held."""
    get(session, unit_id=unit_id, actor=actor, permission="unit.manage")
    problems = []
    if predicate not in {p.value for p in Predicate}:
        problems.append("Predikat harus WBK atau WBBM.")
    if not 2000 <= year <= 2100:
        problems.append("Tahun predikat tidak masuk akal.")
    if not decree_number.strip():
        problems.append("Nomor keputusan wajib diisi.")
    if decree_date.year not in (year, year + 1):
        problems.append("Tanggal keputusan harus pada tahun predikat atau tahun berikutnya.")
    if predicate == Predicate.WBBM and not holds_predicate(
        session, unit_id=unit_id, predicate=Predicate.WBK
    ):
        problems.append("Predikat WBBM hanya untuk unit yang telah meraih WBK.")
    if problems:
        raise Invalid("Predikat tidak dapat disimpan.", problems=problems)
    award = PredicateAward(
        unit_id=unit_id, predicate=predicate, year=year,
        decree_number=decree_number.strip(), decree_date=decree_date,
    )
    session.add(award)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="predicate_award", entity_id=award.id,
        unit_id=unit_id, after=audit.snapshot(award),
    )
    # A WBK held is a WBBM requirement: the unit's assessment summaries hold verdicts.
    from app.services.lke import summary as lke_summary  # lke builds on this module

    lke_summary.refresh_unit(session, unit_id=unit_id)
    session.commit()
    return award
