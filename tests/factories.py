"""A small organisation for tests: one ministry, two regional offices, three units, and a
person for every role. Passwords are all PASSWORD."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx
from sqlmodel import Session

from app.security.principal import Principal
from app.services import units
from app.services.accounts import tokens
from app.services.accounts import users as accounts

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    units: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    def unit(self, code: str) -> int:
        return self.units[code]


def build_world(session: Session) -> World:
    """KEMEN > ES1 > {KANWIL-A > {UNIT-A1, UNIT-A2}, KANWIL-B > {UNIT-B1}}."""
    world = World()
    tree = [
        ("KEMEN", "Kementerian Uji", "ministry", None),
        ("ES1", "Eselon I Uji", "eselon1", "KEMEN"),
        ("KANWIL-A", "Kanwil A", "regional", "ES1"),
        ("KANWIL-B", "Kanwil B", "regional", "ES1"),
        ("UNIT-A1", "KPPN A1", "unit", "KANWIL-A"),
        ("UNIT-A2", "KPPN A2", "unit", "KANWIL-A"),
        ("UNIT-B1", "KPPN B1", "unit", "KANWIL-B"),
    ]
    for code, name, level, parent in tree:
        unit = units.create(
            session, actor=None, code=code, name=name, level=level,
            parent_id=world.units.get(parent) if parent else None,
        )
        world.units[code] = unit.id
    people = [
        ("admin", "admin", "KEMEN"),
        ("coord_a1", "coordinator", "UNIT-A1"),
        ("member_a1", "member", "UNIT-A1"),
        ("viewer_a1", "viewer", "UNIT-A1"),
        ("coord_b1", "coordinator", "UNIT-B1"),
        ("member_b1", "member", "UNIT-B1"),
        ("reviewer_a", "reviewer", "KANWIL-A"),
        ("reviewer_b", "reviewer", "KANWIL-B"),
        ("tpi", "reviewer", "ES1"),
    ]
    for username, role, unit_code in people:
        user = accounts.create_user(
            session, actor=None, username=username, full_name=username.title(),
            password=PASSWORD,
        )
        accounts.add_membership(
            session, actor=None, user_id=user.id, unit_id=world.units[unit_code], role=role
        )
        world.users[username] = user.id
    return world


def principal(session: Session, world: World, username: str) -> Principal:
    user = accounts.get_user(session, user_id=world.users[username])
    return accounts.principal_for_user(session, user)


def issue_token(session: Session, world: World, unit_code: str, scopes: list[str]) -> str:
    return tokens.create(
        session, actor=None, unit_id=world.unit(unit_code), name="test", scopes=scopes
    ).secret


_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


async def page_csrf(client: httpx.AsyncClient) -> str:
    """The CSRF token a page hands this browser now (the sign-in form's hidden field; it is
    bound to the session when signed in, else to the browser's zona_csrf cookie)."""
    page = await client.get("/login")
    match = _CSRF_FIELD.search(page.text)
    assert match, page.text
    return match.group(1)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the CSRF token for later unsafe requests
    (the new session's: the one the sign-in form carried no longer passes)."""
    csrf = await page_csrf(client)
    response = await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf}
    )
    assert response.status_code == 303, response.text
    return await page_csrf(client)
