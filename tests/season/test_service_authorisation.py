"""The season's services refuse on their own (no route in front of them) and write nothing:
a calendar set by a coordinator, by another office's reviewer or for the whole tree by a
regional reviewer; another unit's season; another person's notification; a token's inbox."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from app.domain.season import calendar as cal
from app.models import AuditRecord, EvaluationCalendar, Notification, NotificationPreference
from app.services.accounts import tokens
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.season import calendar as season_calendar
from app.services.season import inbox, notify
from tests.factories import issue_token, principal

TABLES = (AuditRecord, EvaluationCalendar, Notification, NotificationPreference)
DUES = {cal.SELF_ASSESSMENT: date(2026, 3, 31)}


def _counts(db) -> dict[str, int]:
    return {t.__name__: db.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def test_calendar_refusals_write_nothing(db, world):
    before = _counts(db)
    cases = [
        ("coord_a1", world.unit("KANWIL-A"), Forbidden),  # not a reviewer there
        ("reviewer_a", world.unit("KANWIL-B"), Forbidden),  # another office
        ("reviewer_a", None, Forbidden),  # the whole tree: administrators only
        ("admin", world.unit("UNIT-A1"), Invalid),  # a work unit has no units below
    ]
    for username, unit_id, error in cases:
        with pytest.raises(error):
            season_calendar.set_calendar(db, actor=principal(db, world, username),
                                         unit_id=unit_id, year=2026, dues=DUES)
        db.rollback()
    assert _counts(db) == before
    with pytest.raises(Forbidden):
        season_calendar.unit_season(db, actor=principal(db, world, "coord_b1"),
                                    unit_id=world.unit("UNIT-A1"))


def test_inbox_is_the_owners_only(db, world):
    notify.notify(db, kind="campaign_closed", user_ids=[world.users["coord_a1"]],
                  unit_id=world.unit("UNIT-A1"), params={"unit": "KPPN A1"})
    db.commit()
    note = db.exec(select(Notification)).one()
    secret = issue_token(db, world, "UNIT-A1", ["read"])
    before = _counts(db)
    outsider = principal(db, world, "coord_b1")
    with pytest.raises(NotFound):
        inbox.mark_read(db, actor=outsider, notification_id=note.id)
    assert inbox.mark_all_read(db, actor=outsider) == 0
    assert inbox.items(db, actor=outsider) == []
    token = tokens.authenticate(db, secret=secret)
    with pytest.raises(Forbidden):
        inbox.items(db, actor=token)
    with pytest.raises(Forbidden):
        inbox.set_preferences(db, actor=token, choices={"deadline": "none"})
    db.expire_all()
    assert _counts(db) == before
    assert db.get(Notification, note.id).read_at is None
