"""Accounts: people, memberships, sign-in with throttling, browser sessions."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.models.accounts import BrowserSession, LoginAttempt, Membership, Role, User
from app.models.base import utcnow
from app.security.passwords import hash_password, sha256_hex, verify_password
from app.security.principal import ROLE_PERMISSIONS, Principal
from app.services import audit, units
from app.services.errors import Forbidden, Invalid, NotFound, TooManyAttempts

USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,80}$")
MIN_PASSWORD = 10


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"Pengguna {user_id} tidak ditemukan.")
    return user


def get_by_username(session: Session, *, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def create_user(
    session: Session,
    *,
    actor: Principal | None,
    username: str,
    full_name: str,
    password: str,
    email: str | None = None,
    language: str = "id",
) -> User:
    """A new person who can sign in (administrators only); the password is stored as an
    argon2 hash."""
    units.authorise(actor, "users.manage", None)
    username = username.strip().lower()
    problems = []
    if not USERNAME_RE.match(username):
        problems.append("Nama pengguna 3-80 karakter: huruf kecil, angka, titik, strip.")
    elif get_by_username(session, username=username):
        problems.append(f"Nama pengguna '{username}' sudah dipakai.")
    if not full_name.strip():
        problems.append("Nama lengkap wajib diisi.")
    if len(password) < MIN_PASSWORD:
        problems.append(f"Kata sandi minimal {MIN_PASSWORD} karakter.")
    if language not in ("id", "en"):
        problems.append("Bahasa harus 'id' atau 'en'.")
    if problems:
        raise Invalid("Pengguna tidak dapat disimpan.", problems=problems)
    user = User(
        username=username, full_name=full_name.strip(), email=email,
        password_hash=hash_password(password), language=language,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="user", entity_id=user.id,
        after=audit.snapshot(user),
    )
    session.commit()
    return user


def add_membership(
    session: Session, *, actor: Principal | None, user_id: int, unit_id: int, role: str
) -> Membership:
    """Give a person a role in a unit (idempotent; administrators only)."""
    units.authorise(actor, "users.manage", unit_id)
    get_user(session, user_id=user_id)
    units.get(session, unit_id=unit_id)
    if role not in {r.value for r in Role}:
        raise Invalid(f"Peran '{role}' tidak dikenal.")
    existing = session.exec(
        select(Membership).where(
            Membership.user_id == user_id, Membership.unit_id == unit_id, Membership.role == role
        )
    ).first()
    if existing:
        return existing
    membership = Membership(user_id=user_id, unit_id=unit_id, role=role)
    session.add(membership)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="membership", entity_id=membership.id,
        unit_id=unit_id, after=audit.snapshot(membership),
    )
    session.commit()
    return membership


def memberships(session: Session, *, user_id: int) -> list[Membership]:
    return list(session.exec(select(Membership).where(Membership.user_id == user_id)).all())


def principal_for_user(session: Session, user: User,
                       roles: list[tuple[int, str]] | None = None) -> Principal:
    """The user's permissions per unit: a role counts at its unit; a reviewer's also below.

    ``roles``: the user's memberships as (unit id, role), when already read
    (``resolve_session_access``); otherwise they are read here.
    """
    if roles is None:
        roles = [(m.unit_id, m.role) for m in memberships(session, user_id=user.id)]
    grants: dict[int, set[str]] = {}
    is_admin = False
    tree = None
    for unit_id, role in roles:
        if role == Role.admin:
            is_admin = True
            continue
        perms = ROLE_PERMISSIONS.get(role, frozenset())
        grants.setdefault(unit_id, set()).update(perms)
        if role == Role.reviewer:
            tree = tree if tree is not None else units.children_map(session)
            for below in units.descendants(tree, unit_id):
                grants.setdefault(below, set()).update(perms)
    return Principal(
        kind="user", id=user.id, label=user.username, is_admin=is_admin,
        grants={uid: frozenset(p) for uid, p in grants.items()}, language=user.language,
    )


# --- sign-in and browser sessions -------------------------------------------------------

LOCAL_LOGIN_OFF = (
    "Masuk dengan kata sandi tidak tersedia untuk akun ini. Gunakan tombol Masuk dengan SSO."
)
LOGIN_REFUSED = "Terlalu banyak percobaan masuk yang gagal. Coba lagi nanti."


def _retry_after(session: Session, *, since: datetime, limit: int, now: datetime,
                 window: timedelta, **where) -> int | None:
    """Seconds until fewer than ``limit`` failures matching ``where`` remain in the window;
    None when there are fewer already.

    The ``limit``-th most recent failure is the one whose expiry brings the count under the
    limit (refused attempts are not recorded, so the count does not grow while refused).
    """
    query = select(LoginAttempt.at).where(
        LoginAttempt.at >= since, col(LoginAttempt.succeeded).is_(False)
    )
    for name, value in where.items():
        query = query.where(getattr(LoginAttempt, name) == value)
    query = query.order_by(col(LoginAttempt.at).desc()).offset(limit - 1).limit(1)
    at = session.exec(query).first()
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=now.tzinfo)
    return max(int((at + window - now).total_seconds()) + 1, 1)


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str,
    max_failures: int = 5,
    account_max_failures: int = 20,
    window_minutes: int = 15,
    password_usernames: frozenset[str] | None = None,
) -> User | None:
    """Check a username and password, refusing with 429 after too many recent failures.

    ``password_usernames``: when single sign-on has replaced passwords, the only user names
    that may still sign in with one (the break-glass administrators); anyone else is refused
    (Forbidden) before the password is looked at. None: everyone.

    Failures are counted per account, never per address alone: an office behind one address
    is not locked out because some of its people mistyped their own passwords.

    - ``max_failures`` failures for this account from this address within the window refuse
      this account from this address (a guessing run from one place stops at once);
    - ``account_max_failures`` failures for this account from all addresses together refuse
      the account everywhere (rotating addresses buys an attacker only this many guesses
      per window; set it above ``max_failures`` so one mistyping person does not lock out
      their colleagues).
    """
    username = username.strip().lower()[:80]
    if password_usernames is not None and username not in password_usernames:
        raise Forbidden(LOCAL_LOGIN_OFF)
    ip_hash = sha256_hex(ip)
    now = utcnow()
    window = timedelta(minutes=window_minutes)
    since = now - window
    for limit, where in (
        (max_failures, {"username": username, "ip_hash": ip_hash}),
        (account_max_failures, {"username": username}),
    ):
        retry = _retry_after(session, since=since, limit=max(limit, 1), now=now, window=window,
                             **where)
        if retry is not None:
            raise TooManyAttempts(LOGIN_REFUSED, retry_after=retry)
    user = get_by_username(session, username=username)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(username=username, ip_hash=ip_hash, succeeded=ok))
    session.commit()
    return user if ok else None


def open_session(
    session: Session, *, user: User, hours: int, method: str = "password"
) -> tuple[str, BrowserSession]:
    """Add a browser session and its audit record, uncommitted (the caller commits it with
    what else belongs to the sign-in); returns the cookie's random id and the row."""
    raw = secrets.token_urlsafe(32)
    row = BrowserSession(
        id=sha256_hex(raw), user_id=user.id, expires_at=utcnow() + timedelta(hours=hours)
    )
    session.add(row)
    audit.record(
        session,
        actor=Principal(kind="user", id=user.id, label=user.username),
        action="login", entity="user", entity_id=user.id,
        after=None if method == "password" else {"method": method},
    )
    return raw, row


def start_session(session: Session, *, user: User, hours: int) -> str:
    """Open a browser session; returns the random id the signed cookie carries."""
    raw, _row = open_session(session, user=user, hours=hours)
    session.commit()
    return raw


def resolve_session(session: Session, *, raw_id: str) -> User | None:
    """The active person behind a live browser session (the session and its user read in
    one query)."""
    found = session.exec(
        select(BrowserSession, User).join(User, col(User.id) == BrowserSession.user_id)
        .where(BrowserSession.id == sha256_hex(raw_id))
    ).first()
    if found is None:
        return None
    row, user = found
    return user if _live(row, user) else None


#: A browser session, its person and their memberships, by the session's hashed id: one
#: statement, built once (every signed-in request runs it).
_SESSION_ACCESS = (
    select(BrowserSession, User, Membership.unit_id, Membership.role)
    .join(User, col(User.id) == BrowserSession.user_id)
    .outerjoin(Membership, col(Membership.user_id) == BrowserSession.user_id)
    .where(BrowserSession.id == bindparam("session_id"))
)


def resolve_session_access(
    session: Session, *, raw_id: str
) -> tuple[User, list[tuple[int, str]]] | None:
    """``resolve_session`` and the person's memberships as (unit id, role), read in one query
    (for ``principal_for_user``): what every signed-in request asks first."""
    rows = session.exec(
        _SESSION_ACCESS, params={"session_id": sha256_hex(raw_id)}
    ).all()
    if not rows or not _live(rows[0][0], rows[0][1]):
        return None
    return rows[0][1], [(unit_id, role) for _, _, unit_id, role in rows if unit_id is not None]


def _live(row: BrowserSession, user: User) -> bool:
    if row.revoked_at is not None:
        return False
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
        tzinfo=utcnow().tzinfo
    )
    return expires > utcnow() and user.is_active


def end_session(session: Session, *, raw_id: str) -> None:
    row = session.get(BrowserSession, sha256_hex(raw_id))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        user = session.get(User, row.user_id)
        audit.record(
            session,
            actor=Principal(kind="user", id=row.user_id, label=user.username if user else ""),
            action="logout", entity="user", entity_id=row.user_id,
        )
        session.commit()


def set_language(session: Session, *, actor: Principal, user_id: int, language: str) -> None:
    """A person's own language (or anyone's, for an administrator)."""
    if actor.user_id != user_id:
        units.authorise(actor, "users.manage", None)
    if language not in ("id", "en"):
        raise Invalid("Bahasa harus 'id' atau 'en'.")
    user = get_user(session, user_id=user_id)
    if user.language != language:
        before = {"language": user.language}
        user.language = language
        audit.record(
            session, actor=actor, action="update", entity="user", entity_id=user.id,
            before=before, after={"language": language},
        )
        session.commit()
