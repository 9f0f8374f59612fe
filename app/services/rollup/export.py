"""The roll-up table as CSV or XLSX: every row matching the filters, in the table's order,
with the same formula-injection escape as the survey export."""

from __future__ import annotations

from sqlmodel import Session

from app.domain import rollup as domain
from app.domain.display import round_half_up
from app.security.principal import Principal
from app.services.rollup import overview, table
from app.services.rollup.inputs import UnitFilter
from app.services.surveys.export import safe_cell, to_csv, to_xlsx

HEADER = (
    "Kode unit", "Nama unit", "Kantor wilayah", "Unit eselon I", "Tahun", "Tahap", "Status",
    "Target", "Nilai", "Memenuhi target", "Kurang (poin)", "Penghambat",
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _number(value):
    return None if value is None else round_half_up(value, 2)


def rows(session: Session, *, actor: Principal | None, unit_id: int,
         filters: UnitFilter) -> tuple[overview.Scope, list[list]]:
    """The header and one line per work unit (Forbidden as the roll-up itself)."""
    scope = overview.scope(session, actor=actor, unit_id=unit_id, year=filters.year)
    lines: list[list] = [list(HEADER)]
    for r in table.all_rows(session, scope=scope, filters=filters):
        blockers = "; ".join(
            b.label + ("" if b.missing is None else f" (kurang {round_half_up(b.missing, 2)})")
            for b in r.blocking
        )
        lines.append([safe_cell(v) for v in (
            r.code, r.name, r.region or "", r.eselon1 or "", scope.year,
            domain.STEP_NAMES[r.step][0], r.status or "", r.target or "", _number(r.total),
            "" if r.passed is None else ("ya" if r.passed else "tidak"), _number(r.missing),
            blockers,
        )])
    return scope, lines


def render(lines: list[list], fmt: str) -> bytes:
    return to_csv(lines) if fmt == "csv" else to_xlsx(lines, sheet_title="Rekap unit")
