"""The public form's abuse guard: signed form time, device cookie, hashed IP throttle.

The rules themselves are pure (``app.domain.surveys.guard``); this module adds what needs
the app secret or the database. Throttle counts live in the ``survey_throttle`` table (one
row per hashed IP and fixed window, bumped with an atomic upsert), so several replicas
agree; old windows are pruned as new ones open.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.domain.surveys.guard import (
    GuardPolicy,
    ThrottleVerdict,
    retry_after_seconds,
    verdicts_in_order,
    window_start,
)
from app.models.surveys.guard import SurveyThrottle
from app.services.errors import TooManyAttempts

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_MAX_CAMPAIGNS",
    "Device",
    "count_arrivals",
    "count_arrivals_many",
    "device_cookie_value",
    "form_time_token",
    "hash_device",
    "hash_ip",
    "read_device",
    "refusal",
    "served_at",
]

DEVICE_COOKIE = "zona_dev"
#: The device cookie remembers this many answered campaigns (the newest kept).
DEVICE_MAX_CAMPAIGNS = 30
#: Throttle windows older than this are deleted when a new window opens.
KEEP_WINDOWS_SECONDS = 2 * 24 * 3600

_table = SurveyThrottle.__table__


def _digest(secret: str, purpose: str, value: str) -> str:
    return hashlib.sha256(f"{purpose}\x00{secret}\x00{value}".encode()).hexdigest()


def hash_ip(secret: str, ip: str) -> str:
    """The IP address as stored: SHA-256 salted with the app secret (never the address)."""
    return _digest(secret, "survey-ip", ip)


def hash_device(secret: str, device_id: str) -> str:
    """The device id as stored on a response (to group repeat answers for review)."""
    return _digest(secret, "survey-device", device_id)


# --- minimum fill time: the form carries when it was served, signed --------------------


# Serializers are built once per secret, not per request (building one derives its key).


@cache
def _form_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="zona-survey-form")


def form_time_token(secret: str, campaign_code: str) -> str:
    """A token for the form's hidden field: the campaign and the time it was served."""
    return _form_signer(secret).dumps(campaign_code)


def served_at(secret: str, token: str | None, campaign_code: str) -> datetime | None:
    """When the form was served, or None for a missing, forged or foreign token."""
    if not token or len(token) > 300:
        return None
    try:
        code, stamp = _form_signer(secret).loads(token, return_timestamp=True)
    except BadData:  # a forged signature or an unreadable payload
        return None
    if code != campaign_code:
        return None
    return stamp


# --- one response per device (soft) ------------------------------------------------------


@dataclass(frozen=True)
class Device:
    id: str
    answered: tuple[int, ...] = ()
    is_new: bool = False

    def has_answered(self, campaign_id: int) -> bool:
        return campaign_id in self.answered

    def with_answer(self, campaign_id: int) -> Device:
        kept = tuple(c for c in self.answered if c != campaign_id)
        return Device(self.id, (kept + (campaign_id,))[-DEVICE_MAX_CAMPAIGNS:])


@cache
def _device_signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="zona-survey-device")


def read_device(secret: str, cookie: str | None) -> Device:
    """The device behind the cookie; a fresh one for no cookie or a tampered one."""
    if cookie and len(cookie) < 2000:
        try:
            raw = _device_signer(secret).loads(cookie)
        except BadData:  # a forged signature or an unreadable payload
            raw = None
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("d"), str)
            and isinstance(raw.get("a"), list)
            and all(isinstance(c, int) and not isinstance(c, bool) for c in raw["a"])
        ):
            return Device(raw["d"], tuple(raw["a"][-DEVICE_MAX_CAMPAIGNS:]))
    return Device(secrets.token_urlsafe(16), (), is_new=True)


def device_cookie_value(secret: str, device: Device) -> str:
    return _device_signer(secret).dumps({"d": device.id, "a": list(device.answered)})


# --- per-IP throttle, counted in the database ------------------------------------------------


@cache
def _hits_sql(paramstyle: str, addresses: int) -> str:
    """One round trip for ``addresses`` addresses: add each one's arrivals to its count in
    this window and return the new counts. Plain SQL built once per size (SQLAlchemy
    compiles a multi-row upsert anew on every call); the same text on both databases."""
    mark = "?" if paramstyle == "qmark" else "%s"
    rows = ", ".join([f"({mark}, {mark}, {mark})"] * addresses)
    return (
        f'INSERT INTO survey_throttle ("key", "window", hits) VALUES {rows} '
        f'ON CONFLICT ("key", "window") DO UPDATE SET hits = survey_throttle.hits + '
        f'excluded.hits RETURNING "key", hits'
    )


_PREVIOUS = select(_table.c.key, _table.c.hits).where(
    _table.c.window == bindparam("previous"), _table.c.key.in_(bindparam("keys", expanding=True))
)


def count_arrivals_many(
    connection: Connection | Session,
    arrivals: Mapping[str, int],
    *,
    policy: GuardPolicy,
    now: datetime,
) -> dict[str, list[ThrottleVerdict]]:
    """Count submissions from several hashed IPs at once (address -> how many arrived);
    each address's verdicts in arrival order.

    Runs inside the caller's transaction, in two statements whatever the number of
    addresses; refused submissions are taken off the count again before it commits (so
    nobody ever sees them counted). The upsert is atomic on both databases, so replicas
    counting the same address at once never lose a hit, and it takes the addresses in
    sorted order, so two batches sharing addresses wait for each other instead of
    deadlocking.
    """
    if not arrivals:
        return {}
    width = policy.window_seconds
    current = int(window_start(now, width).timestamp())
    if isinstance(connection, Session):
        connection = connection.connection()
    if connection.dialect.name not in ("sqlite", "postgresql"):  # the product runs on these
        raise RuntimeError(f"Zona runs on SQLite and PostgreSQL, not on {connection.dialect.name}")
    keys = sorted(arrivals)
    values: list[object] = []
    for key in keys:
        values += (key, current, arrivals[key])
    hits = dict(connection.exec_driver_sql(
        _hits_sql(connection.dialect.paramstyle, len(keys)), tuple(values)).all())
    previous = dict(connection.execute(
        _PREVIOUS, {"previous": current - width, "keys": keys}).all())
    verdicts: dict[str, list[ThrottleVerdict]] = {}
    new_window = False
    for key in keys:
        counted = hits[key] - arrivals[key]
        new_window = new_window or counted == 0
        verdicts[key] = verdicts_in_order(
            previous.get(key) or 0, counted, arrivals[key], now, policy
        )
    if new_window:
        # A new window opened for an address: prune what no estimate needs any more.
        connection.execute(delete(_table).where(_table.c.window < current - KEEP_WINDOWS_SECONDS))
    for key in keys:
        refused = verdicts[key].count(ThrottleVerdict.refuse)
        if refused:
            connection.execute(
                update(_table)
                .where(_table.c.key == key, _table.c.window == current)
                .values(hits=_table.c.hits - refused)
            )
    return verdicts


def count_arrivals(
    connection: Connection | Session,
    *,
    ip_hash: str,
    arrivals: int,
    policy: GuardPolicy,
    now: datetime,
) -> list[ThrottleVerdict]:
    """Count ``arrivals`` submissions from one hashed IP (see count_arrivals_many)."""
    return count_arrivals_many(connection, {ip_hash: arrivals}, policy=policy, now=now)[ip_hash]


def refusal(now: datetime, policy: GuardPolicy) -> TooManyAttempts:
    """The 429 for a refused submission, with the seconds until the window ends."""
    return TooManyAttempts(
        "Terlalu banyak isian dari jaringan Anda dalam waktu singkat. "
        "Silakan coba lagi beberapa menit lagi.",
        retry_after=retry_after_seconds(now, policy.window_seconds),
    )
