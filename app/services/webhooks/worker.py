"""The sender: takes due deliveries from the outbox, signs and posts them, records every
attempt, retries with backoff; and the daily scan for overdue action items.

Rows are leased in the database (a conditional UPDATE that only one process wins), so any
number of processes (the app's own thread on every replica, ``zona webhooks run``) may run
side by side and each delivery is attempted by one of them at a time; a lease left by a
process that died expires and the row is taken again, so nothing in the outbox is lost to
a restart.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.config import Settings
from app.domain import programme as programme_domain
from app.models.programme import ActionItem
from app.models.units import Unit
from app.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
    WebhookSubscription,
)
from app.services.polling import PollingThread
from app.services.units import children_map, descendants
from app.services.webhooks import events, signing, urls
from app.services.webhooks.deliveries import CANCELLED, FAILED, PENDING, SUCCEEDED

log = logging.getLogger("zona.webhooks")

_DELIVERY = WebhookDelivery.__table__
MAX_BODY_KEPT = 2000
BATCH = 20
USER_AGENT = "Zona-Webhooks/1"

if TYPE_CHECKING:
    import httpx


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return value


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """One process's sender over an engine; ``run_once`` does one round of work."""

    def __init__(self, engine: Engine, settings: Settings, *, name: str | None = None):
        self.engine = engine
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.delays = settings.webhook_retry_delays()
        self.timeout = settings.webhooks_timeout_seconds
        self._last_scan: float | None = None

    # --- the round -------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> int:
        """Scan for overdue items when due, then send every delivery due now; returns how
        many attempts were made."""
        scan_every = self.settings.webhooks_overdue_scan_minutes * 60
        if self._last_scan is None or time.monotonic() - self._last_scan >= scan_every:
            self.scan_overdue()
            self._last_scan = time.monotonic()
        made = 0
        claimed = self.claim(now)
        if not claimed:
            return made
        # httpx is imported when there is something to send: a server without webhooks
        # never loads it (~6 MB of memory).
        import httpx

        with httpx.Client(timeout=self.timeout, follow_redirects=False,
                          headers={"user-agent": USER_AGENT}) as client:
            while claimed:
                for delivery_id in claimed:
                    self.attempt(client, delivery_id)
                    made += 1
                if now is not None:
                    return made  # a test's fixed clock: one round
                claimed = self.claim(now)
            return made

    def claim(self, now: datetime | None = None) -> list[int]:
        """Lease up to BATCH due deliveries for this process."""
        now = now or _now()
        lease = now + timedelta(seconds=self.timeout * 2 + 30)
        due = (_DELIVERY.c.status == PENDING) & (_DELIVERY.c.next_attempt_at <= now) & or_(
            _DELIVERY.c.lease_until.is_(None), _DELIVERY.c.lease_until < now
        )
        claimed: list[int] = []
        with self.engine.begin() as connection:
            ids = connection.execute(
                sa_select(_DELIVERY.c.id).where(due).order_by(_DELIVERY.c.next_attempt_at,
                                                           _DELIVERY.c.id).limit(BATCH)
            ).scalars().all()
        for delivery_id in ids:
            with self.engine.begin() as connection:
                won = connection.execute(
                    update(_DELIVERY).where(_DELIVERY.c.id == delivery_id, due)
                    .values(lease_until=lease, leased_by=self.name)
                ).rowcount
            if won == 1:
                claimed.append(delivery_id)
        return claimed

    def attempt(self, client: httpx.Client, delivery_id: int) -> None:
        """One attempt of a leased delivery, recorded with the receiver's answer."""
        with Session(self.engine, expire_on_commit=False) as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.leased_by != self.name:
                return
            message = session.get(WebhookMessage, delivery.message_id)
            sub = session.get(WebhookSubscription, delivery.subscription_id)
            now = _now()
            if sub is None or sub.deleted_at is not None or not sub.active:
                delivery.status, delivery.finished_at = CANCELLED, now
                delivery.last_error = "Langganan dihapus atau nonaktif."
                delivery.lease_until = delivery.leased_by = None
                session.add(delivery)
                session.commit()
                return
            result = self._post(client, sub, message)
            delivery.attempts += 1
            session.add(WebhookAttempt(
                delivery_id=delivery.id, number=delivery.attempts, at=now,
                status_code=result.status_code, response_body=result.body,
                error=result.error, duration_ms=result.duration_ms,
            ))
            delivery.last_status_code = result.status_code
            delivery.last_error = result.error
            delivery.lease_until = delivery.leased_by = None
            if result.ok:
                delivery.status, delivery.finished_at = SUCCEEDED, _now()
                delivery.next_attempt_at = None
            elif delivery.attempts > len(self.delays):
                delivery.status, delivery.finished_at = FAILED, _now()
                delivery.next_attempt_at = None
            else:
                wait = self.delays[delivery.attempts - 1]
                delivery.next_attempt_at = _now() + timedelta(seconds=wait)
            session.add(delivery)
            session.commit()

    def _post(self, client: httpx.Client, sub: WebhookSubscription,
              message: WebhookMessage) -> AttemptResult:
        allow = self.settings.webhooks_allow_private or sub.allow_private
        refusal = urls.target_refusal(sub.url, allow_private=allow)
        if refusal is not None:
            return AttemptResult(None, None, refusal, 0)
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = int(time.time())
        headers = {"content-type": "application/json",
                   **signing.headers(sub.secret, msg_id=message.msg_id, timestamp=stamp,
                                     body=body)}
        started = time.monotonic()
        try:
            with client.stream("POST", sub.url, content=body, headers=headers) as response:
                # Only the start of the answer is kept (and read): a receiver cannot make
                # the sender hold a large body.
                kept = b""
                for chunk in response.iter_bytes():
                    kept += chunk
                    if len(kept) >= MAX_BODY_KEPT * 4:
                        break
                text = kept.decode("utf-8", "replace")[:MAX_BODY_KEPT]
                return AttemptResult(response.status_code, text, None,
                                     int((time.monotonic() - started) * 1000))
        except _http_error() as exc:
            kind = type(exc).__name__
            return AttemptResult(None, None, f"{kind}: {exc}"[:500],
                                 int((time.monotonic() - started) * 1000))

    # --- the overdue scan ----------------------------------------------------------------

    def scan_overdue(self, today: date | None = None) -> int:
        """Emit ``action_item.overdue`` once per item and due date, for the units some
        subscription covers; returns how many events were stored."""
        stored = 0
        with Session(self.engine, expire_on_commit=False) as session:
            subs = session.exec(
                select(WebhookSubscription).where(
                    col(WebhookSubscription.active).is_(True),
                    col(WebhookSubscription.deleted_at).is_(None),
                )
            ).all()
            wanted = [s for s in subs if events.ACTION_ITEM_OVERDUE in (s.events or [])]
            if not wanted:
                return 0
            tree = children_map(session)
            covered: set[int] = set()
            for s in wanted:
                covered.add(s.unit_id)
                if s.include_subtree:
                    covered |= descendants(tree, s.unit_id)
            for unit_id in sorted(covered):
                unit = session.get(Unit, unit_id)
                if unit is None or unit.deleted_at is not None:
                    continue
                stored += self._scan_unit(session, unit, today)
            session.commit()
        return stored

    def _scan_unit(self, session: Session, unit: Unit, today: date | None) -> int:
        from zoneinfo import ZoneInfo

        try:
            zone = ZoneInfo(unit.timezone)
        except (KeyError, ValueError):
            zone = ZoneInfo("Asia/Jakarta")
        day = today or datetime.now(zone).date()
        rows = session.exec(
            select(ActionItem).where(
                ActionItem.unit_id == unit.id, col(ActionItem.deleted_at).is_(None),
                col(ActionItem.due_on).is_not(None), col(ActionItem.due_on) < day,
            ).order_by(ActionItem.id)
        ).all()
        stored = 0
        for item in rows:
            domain_item = programme_domain.ActionItem(
                id=item.id, title=item.activity, area=programme_domain.ChangeArea(item.area),
                status=programme_domain.ItemStatus(item.status or "belum_mulai"),
                progress=item.progress or 0, due_on=item.due_on, started_on=item.started_on,
                lke_ref=item.lke_ref,
            )
            if not programme_domain.is_overdue(domain_item, day):
                continue
            key = f"{events.ACTION_ITEM_OVERDUE}:{item.id}:{item.due_on.isoformat()}"
            if events.seen(session, dedupe_key=key):
                continue
            stored += bool(events.emit(
                session, event_type=events.ACTION_ITEM_OVERDUE, unit_id=unit.id,
                dedupe_key=key,
                data={"action_item_id": item.id, "activity": item.activity,
                      "area": item.area, "due_on": item.due_on.isoformat(),
                      "status": item.status, "progress": item.progress,
                      "person_in_charge": item.person_in_charge, "as_of": day.isoformat()},
            ))
        return stored


class WorkerThread(PollingThread):
    """The sender in a background thread of the app (ZONA_WEBHOOKS_WORKER, default on)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.sender = Sender(engine, settings)
        super().__init__(name="zona-webhooks", run_once=self.sender.run_once,
                         poll_seconds=settings.webhooks_poll_seconds)


def _http_error() -> type[Exception]:
    import httpx

    return httpx.HTTPError
