"""The public form's abuse guard: signed single-use form token, device cookie, hashed IP
throttle, per-campaign velocity.

The rules themselves are pure (``app.domain.surveys.guard``); this module adds what needs
the app secret or the database. Throttle counts live in the ``survey_throttle`` table (one
row per hashed IP and fixed window, bumped with an atomic upsert), so several replicas
agree; old windows are pruned as new ones open. The nonces of used forms live in
``survey_form_nonce`` (its primary key makes each one single-use), the answers per campaign
and minute in ``survey_campaign_rate`` (the same kind of upsert as the throttle).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.domain.surveys.guard import (
    MINUTE,
    GuardPolicy,
    ThrottleVerdict,
    retry_after_seconds,
    usual_rate,
    velocity_estimates,
    velocity_held,
    velocity_limit,
    velocity_reason,
    verdicts_in_order,
    window_start,
)
from app.models.surveys.guard import SurveyCampaignRate, SurveyFormNonce, SurveyThrottle
from app.services.errors import TooManyAttempts

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_MAX_CAMPAIGNS",
    "Device",
    "FormToken",
    "claim_nonces",
    "count_arrivals",
    "count_arrivals_many",
    "count_campaign_answers",
    "device_cookie_value",
    "form_token",
    "hash_device",
    "hash_ip",
    "read_device",
    "read_form_token",
    "refusal",
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


# --- the form token: when the form was served and its single-use nonce, signed -----------


# Serializers are built once per secret, not per request (building one derives its key).


@cache
def _form_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="zona-survey-form")


#: Random bytes of a form nonce (12 URL-safe characters after 8 hex digits of the time).
NONCE_BYTES = 9


@dataclass(frozen=True)
class FormToken:
    """What the form's hidden field ``t`` says: when it was served, and its nonce."""

    served_at: datetime
    nonce: str


def form_token(secret: str, campaign_code: str) -> str:
    """A token for the form's hidden field: the campaign, a random nonce (each served form
    is good for one counted answer) and the time it was served, signed."""
    nonce = f"{int(time.time()):08x}{secrets.token_urlsafe(NONCE_BYTES)}"
    return _form_signer(secret).dumps([campaign_code, nonce])


def read_form_token(secret: str, token: str | None, campaign_code: str) -> FormToken | None:
    """The token's time and nonce, or None for a missing, forged or foreign token.

    A token of an earlier version of the app (the campaign code alone, no nonce) is not
    valid any more: such an answer is kept as suspect (``no_form_time``).
    """
    if not token or len(token) > 300:
        return None
    try:
        payload, stamp = _form_signer(secret).loads(token, return_timestamp=True)
    except BadData:  # a forged signature or an unreadable payload
        return None
    if not (
        isinstance(payload, list) and len(payload) == 2 and payload[0] == campaign_code
        and isinstance(payload[1], str) and 1 <= len(payload[1]) <= 32
    ):
        return None
    return FormToken(stamp, payload[1])


# --- single-use: the nonce of every used form, claimed in the batch's transaction ---------

_NONCE = SurveyFormNonce.__table__


@cache
def _claim_sql(paramstyle: str, claims: int) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    rows = ", ".join([f"({mark}, {mark}, {mark})"] * claims)
    return (
        f"INSERT INTO survey_form_nonce (nonce, campaign_id, response_id) "
        f"VALUES {rows} ON CONFLICT (nonce) DO NOTHING RETURNING nonce"
    )


_FIRST_USES = select(_NONCE.c.nonce, _NONCE.c.response_id).where(
    _NONCE.c.nonce.in_(bindparam("nonces", expanding=True)))


def claim_nonces(
    connection: Connection | Session, claims: Mapping[str, tuple[int, int]]
) -> tuple[set[str], dict[str, int]]:
    """Record ``nonce -> (campaign id, response id)`` for every nonce not used yet, inside
    the caller's transaction (the response rows follow in it).

    Returns the nonces claimed now and, for the others, the id of the answer that used each
    first. One statement when every nonce is new (the usual case), two otherwise. On
    PostgreSQL a nonce being claimed by another transaction at the same moment waits for it
    to end (the unique index), then counts as used if it committed; nonces are claimed in
    sorted order, so two batches sharing some wait for each other instead of deadlocking.
    """
    if not claims:
        return set(), {}
    if isinstance(connection, Session):
        connection = connection.connection()
    nonces = sorted(claims)
    values: list[object] = []
    for nonce in nonces:
        values += (nonce, *claims[nonce])
    claimed = set(connection.exec_driver_sql(
        _claim_sql(connection.dialect.paramstyle, len(nonces)), tuple(values)).scalars())
    used = [nonce for nonce in nonces if nonce not in claimed]
    first: dict[str, int] = {}
    if used:
        first = dict(connection.execute(_FIRST_USES, {"nonces": used}).all())
    return claimed, first


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


# --- per-campaign velocity: clean answers per campaign and minute ---------------------------

_RATE = SurveyCampaignRate.__table__


@cache
def _rate_sql(paramstyle: str, campaigns: int) -> str:
    """Add each campaign's arrivals to its count of this minute; return the new count and
    the previous minute's (one round trip)."""
    mark = "?" if paramstyle == "qmark" else "%s"
    rows = ", ".join([f"({mark}, {mark}, {mark}, 0)"] * campaigns)
    return (
        f"INSERT INTO survey_campaign_rate (campaign_id, minute, arrivals, held) "
        f"VALUES {rows} ON CONFLICT (campaign_id, minute) DO UPDATE SET "
        f"arrivals = survey_campaign_rate.arrivals + excluded.arrivals "
        f"RETURNING campaign_id, arrivals, (SELECT p.arrivals FROM survey_campaign_rate p "
        f"WHERE p.campaign_id = survey_campaign_rate.campaign_id AND p.minute = {mark})"
    )


#: Counted answers and active minutes of a campaign's history (the current minute left out).
_HISTORY = (
    select(func.coalesce(func.sum(_RATE.c.arrivals - _RATE.c.held), 0), func.count())
    .where(_RATE.c.campaign_id == bindparam("campaign"),
           _RATE.c.minute >= bindparam("since"), _RATE.c.minute < bindparam("minute"),
           _RATE.c.arrivals > _RATE.c.held)
)


def _usual(connection: Connection, campaign_id: int, minute: int, days: int):
    """The campaign's usual answers per minute over its last ``days`` (domain usual_rate)."""
    answers, active = connection.execute(
        _HISTORY, {"campaign": campaign_id, "since": minute - days * 86400, "minute": minute},
    ).one()
    return usual_rate(int(answers), int(active))


def count_campaign_answers(
    connection: Connection | Session,
    arrivals: Mapping[int, int],
    *,
    policy: GuardPolicy,
    now: datetime,
) -> dict[int, list[str | None]]:
    """Count clean answers per campaign (campaign id -> how many arrived) in this minute;
    for each campaign, each answer's velocity reason in arrival order (None: counted).

    One statement in the usual case. The campaign's history is read only when the last
    minute's estimate passes the floor (``velocity_floor``): below it nothing can be held.
    Held answers are counted as arrivals (a burst that goes on stays held) and as held (so
    they are left out of the usual rate). A campaign's minutes older than its history are
    pruned when a new minute opens for it.
    """
    if not arrivals:
        return {}
    if isinstance(connection, Session):
        connection = connection.connection()
    minute = int(window_start(now, MINUTE).timestamp())
    campaigns = sorted(arrivals)
    values: list[object] = []
    for campaign_id in campaigns:
        values += (campaign_id, minute, arrivals[campaign_id])
    values.append(minute - MINUTE)
    counts = {
        row[0]: (row[1], row[2] or 0)
        for row in connection.exec_driver_sql(
            _rate_sql(connection.dialect.paramstyle, len(campaigns)), tuple(values))
    }
    history = policy.velocity_history_days * 86400
    reasons: dict[int, list[str | None]] = {}
    for campaign_id in campaigns:
        arrived = arrivals[campaign_id]
        current, previous = counts[campaign_id]
        counted = current - arrived
        if counted == 0:  # a new minute for this campaign: forget what no history needs
            connection.execute(delete(_RATE).where(
                _RATE.c.campaign_id == campaign_id, _RATE.c.minute < minute - history))
        if velocity_estimates(previous, counted, arrived, now)[-1] <= policy.velocity_floor:
            reasons[campaign_id] = [None] * arrived
            continue
        usual = _usual(connection, campaign_id, minute, policy.velocity_history_days)
        held = velocity_held(previous, counted, arrived, now, velocity_limit(usual, policy))
        reasons[campaign_id] = [
            None if rate is None else velocity_reason(rate, usual) for rate in held
        ]
        held_count = sum(rate is not None for rate in held)
        if held_count:
            connection.execute(
                update(_RATE)
                .where(_RATE.c.campaign_id == campaign_id, _RATE.c.minute == minute)
                .values(held=_RATE.c.held + held_count)
            )
    return reasons


def refusal(now: datetime, policy: GuardPolicy) -> TooManyAttempts:
    """The 429 for a refused submission, with the seconds until the window ends."""
    return TooManyAttempts(
        "Terlalu banyak isian dari jaringan Anda dalam waktu singkat. "
        "Silakan coba lagi beberapa menit lagi.",
        retry_after=retry_after_seconds(now, policy.window_seconds),
    )
