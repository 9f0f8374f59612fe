"""Use cases of the ZI programme, one module per area:

- ``innovations``: registry, lineage, impacts, LKE suggestions (PPF2F/PRF1A/PRF1B), the
  before/after windows per service (hook for the survey join);
- ``team``: decree, members, integrity pacts, activities and attendance, commitment per level;
- ``action_plan``: rencana aksi items, overdue items, progress per area;
- ``partnerships``: agreements, linked innovations, expiring soon;
- ``milestones``: the ZI road (order rules);
- ``pillars``: the unit's own strategic pillars and their progress.

Every function is keyword-only ``fn(session, *, actor, ...)``; ``actor=None`` is the system
(demo data, CLI). Reads check ``unit.read`` and writes ``programme.write`` at the row's unit;
a row addressed from a unit's page (``unit_id=``) must belong to that unit. Writes take the
input models of ``inputs`` (plain dicts are parsed into them). Lists return ``Page`` (items,
total, limit, offset).
"""

from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    partnerships,
    pillars,
    team,
)
from app.services.programme._common import Page, unit_today

__all__ = ["Page", "unit_today", "action_plan", "innovations", "milestones", "partnerships", "pillars", "team"]
