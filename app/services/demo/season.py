"""Demo evaluation calendar: this year's, for the whole tree, dated from the day the demo is
first loaded (so the dashboard shows a countdown, not a year of lateness); kept as it is
when a calendar for the year already exists."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.domain.season import calendar as cal
from app.services.demo.base import DemoResult
from app.services.season import calendar as season_calendar


def demo_calendar(session: Session, result: DemoResult) -> None:
    today = season_calendar.local_today("Asia/Jakarta")
    if season_calendar.get_row(session, unit_id=None, year=today.year) is not None:
        return
    season_calendar.set_calendar(session, actor=None, unit_id=None, year=today.year, dues={
        cal.SELF_ASSESSMENT: today + timedelta(days=14),
        cal.REGIONAL_REVIEW: today + timedelta(days=45),
        cal.TPI_REVIEW: today + timedelta(days=75),
        cal.NATIONAL_PROPOSAL: today + timedelta(days=100),
    })
    result.created.append(f"kalender evaluasi {today.year} (seluruh unit)")
