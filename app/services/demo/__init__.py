"""Demo data: clearly labelled, idempotent (running it again changes nothing).

``load`` runs the steps of ``STEPS`` in order; each step adds its own demo records to the
database and to the shared :class:`DemoResult`, and skips what is already there. A later step
may use what an earlier one made (the evidence links need the LKE demo; closing the demo
survey campaigns fills that LKE's Hasil items; the 2018 assessment is then reviewed to final).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from app.services.demo import evidence, lke, programme, season, surveys
from app.services.demo.base import (
    DEMO_PASSWORD,
    DEMO_USERS,
    UNIT_TREE,
    DemoResult,
    load_units_and_users,
)

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "STEPS", "UNIT_TREE", "DemoResult", "load"]

STEPS: tuple[Callable[[Session, DemoResult], None], ...] = (
    load_units_and_users,
    lke.demo_assessments,
    evidence.demo_evidence,
    programme.load_programme_demo,
    surveys.load_survey_demo,
    surveys.load_followup_demo,
    season.demo_calendar,
    lke.finalise_2018,
)


def load(session: Session) -> DemoResult:
    """Create the demo hierarchy, one user per role and every domain's demo records."""
    result = DemoResult()
    for step in STEPS:
        step(session, result)
    return result
