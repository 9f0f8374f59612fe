"""The first demo step: the unit hierarchy, one user per role and the unit's WBK predicate.

The unit KPPN Tanjungpandan and its hierarchy are real names; every person and decree number
loaded here is invented for the demo and marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.models.accounts import Role
from app.services import units
from app.services.accounts import users as accounts

DEMO_PASSWORD = "zona-demo-2026"

UNIT_TREE = [
    ("KEMENKEU", "Kementerian Keuangan", "ministry", None),
    ("DJPB", "Direktorat Jenderal Perbendaharaan", "eselon1", "KEMENKEU"),
    ("KANWIL-BABEL", "Kanwil DJPb Provinsi Kepulauan Bangka Belitung", "regional", "DJPB"),
    ("KPPN-TJP", "KPPN Tanjungpandan", "unit", "KANWIL-BABEL"),
]

# username, full name, role, unit code
DEMO_USERS = [
    ("admin", "Administrator Sistem (demo)", Role.admin, "KEMENKEU"),
    ("koordinator", "Koordinator Tim ZI KPPN Tanjungpandan (demo)", Role.coordinator, "KPPN-TJP"),
    ("anggota", "PIC Area Manajemen Perubahan (demo)", Role.member, "KPPN-TJP"),
    ("kanwil", "Reviu Kanwil DJPb Babel (demo)", Role.reviewer, "KANWIL-BABEL"),
    ("tpi", "Tim Penilai Internal Itjen (demo)", Role.reviewer, "KEMENKEU"),
    ("pengamat", "Pengamat (demo)", Role.viewer, "KPPN-TJP"),
]


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    unit_ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)


def load_units_and_users(session: Session, result: DemoResult) -> None:
    """The hierarchy down to KPPN-TJP, the demo users and the unit's WBK 2018 predicate."""
    for code, name, level, parent_code in UNIT_TREE:
        unit = units.get_by_code(session, code=code)
        if unit is None:
            parent = result.unit_ids.get(parent_code) if parent_code else None
            unit = units.create(
                session, actor=None, code=code, name=name, level=level, parent_id=parent
            )
            result.created.append(f"unit {code}")
        result.unit_ids[code] = unit.id
    for username, full_name, role, unit_code in DEMO_USERS:
        user = accounts.get_by_username(session, username=username)
        if user is None:
            user = accounts.create_user(
                session, actor=None, username=username, full_name=full_name,
                password=DEMO_PASSWORD,
            )
            result.created.append(f"user {username}")
        result.user_ids[username] = user.id
        accounts.add_membership(
            session, actor=None, user_id=user.id, unit_id=result.unit_ids[unit_code], role=role
        )
    kppn = result.unit_ids["KPPN-TJP"]
    if not units.predicate_history(session, unit_id=kppn):
        units.add_predicate(
            session, actor=None, unit_id=kppn, predicate="WBK", year=2018,
            decree_number="DEMO/WBK/2018 (contoh, bukan nomor keputusan asli)",
            decree_date=date(2018, 12, 10),
        )
        result.created.append("predicate WBK 2018")
