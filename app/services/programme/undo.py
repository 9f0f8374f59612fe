"""What a programme delete removed, and its undo: the row is soft-deleted, so bringing it back
is setting it live again (when it is still valid among the live rows). Both faces use these;
the kinds are one static table, nothing is registered from elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, SQLModel

from app.security.principal import Principal
from app.services.errors import NotFound
from app.services.programme._common import Kind
from app.services.programme.action_plan import ITEMS
from app.services.programme.innovations import IMPACTS, INNOVATIONS
from app.services.programme.milestones import MILESTONES
from app.services.programme.partnerships import PARTNERSHIPS
from app.services.programme.pillars import PILLARS
from app.services.programme.team import ACTIVITIES, DECREES, MEMBERS, PACTS

# The kind's name in the undo URL -> its use cases and how a person names one row of it.
KINDS: dict[str, Kind] = {
    "pillar": PILLARS, "milestone": MILESTONES, "partnership": PARTNERSHIPS,
    "innovation": INNOVATIONS, "impact": IMPACTS, "member": MEMBERS,
    "activity": ACTIVITIES, "action": ITEMS, "decree": DECREES, "pact": PACTS,
}
_NAME_FIELDS = ("title", "name", "partner", "activity", "number")


@dataclass(frozen=True)
class Deleted:
    kind: str
    row_id: int
    what: str  # "Pilar"
    name: str  # "Integritas"

    @property
    def text(self) -> str:
        return f"{self.what} '{self.name}'" if self.name else f"{self.what} {self.row_id}"


def name_of(row: SQLModel) -> str:
    """How a person recognises the row: its title, name or partner."""
    for field in _NAME_FIELDS:
        value = getattr(row, field, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise NotFound("Jenis data tidak dikenal.")
    return KINDS[kind]


def describe(row: SQLModel, kind: str) -> Deleted:
    return Deleted(kind, row.id, _kind(kind).what, name_of(row))


def deleted(session: Session, *, actor: Principal | None, unit_id: int, kind: str,
            row_id: int) -> Deleted:
    """The soft-deleted row an undo would bring back, named; NotFound when there is none."""
    row = _kind(kind).deleted(session, actor=actor, unit_id=unit_id, row_id=row_id)
    return describe(row, kind)


def restore(session: Session, *, actor: Principal | None, unit_id: int, kind: str,
            row_id: int) -> Deleted:
    """Undo the delete (audited as "restore"); Invalid when it would now clash."""
    row = _kind(kind).restore(session, actor=actor, unit_id=unit_id, row_id=row_id)
    return describe(row, kind)
