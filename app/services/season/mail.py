"""E-mail: composing the rows of the outbox from the notifications, and sending them.

- ``compose``: every notification whose person wants it ``now`` becomes one e-mail row
  (key ``now:<notification id>``, unique: two replicas composing at once make one row),
  written in the person's language with links from ZONA_BASE_URL;
- ``digest``: every notification waiting for the daily digest becomes part of one e-mail
  per person and day (key ``digest:<user>:<day>``);
- ``send_due``: rows are leased (a conditional UPDATE only one process wins), sent through
  SMTP and marked sent in the same step, so a mail goes out once; a failure is logged and
  retried with backoff (ZONA_SMTP_RETRY_SCHEDULE), then marked failed.

With ZONA_SMTP_HOST empty nothing is composed or sent: the notifications waiting for an
e-mail are marked ``off`` (the inbox has them).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from sqlalchemy import Engine, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.domain.season import messages
from app.models.accounts import User
from app.models.season import Notification, NotificationEmail
from app.services.lke.links import page_url

log = logging.getLogger("zona.season.mail")

_EMAIL = NotificationEmail.__table__
_NOTE = Notification.__table__
BATCH = 50

_FOOTER = {
    "id": "Atur e-mail pemberitahuan Anda: {url}",
    "en": "Choose which e-mails you receive: {url}",
}
_DIGEST_SUBJECT = {
    "id": "Ringkasan harian Zona {day}: {count} pemberitahuan",
    "en": "Zona daily digest {day}: {count} notifications",
}


def _now() -> datetime:
    return datetime.now(UTC)


def _lang(user: User) -> str:
    return "en" if user.language == "en" else "id"


def _entry(note: Notification, lang: str, base_url: str) -> tuple[str, str]:
    title, body = messages.message(note.kind, note.params or {}, lang)
    link = page_url(base_url, note.link) if note.link else ""
    return title, "\n".join(part for part in (title, body, link) if part)


def _footer(lang: str, base_url: str) -> str:
    return _FOOTER[lang].format(url=page_url(base_url, "/notifications/preferences"))


class Mailer:
    """The e-mail side of the season for one process."""

    def __init__(self, engine: Engine, settings: Settings, *, name: str = "mailer"):
        self.engine = engine
        self.settings = settings
        self.name = name
        self.delays = settings.smtp_retry_delays()

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host.strip())

    # --- composing ------------------------------------------------------------------

    def _switch_off(self) -> int:
        with self.engine.begin() as connection:
            return connection.execute(
                update(_NOTE).where(_NOTE.c.email_mode.in_([messages.NOW, messages.DIGEST]),
                                    _NOTE.c.email_id.is_(None)).values(email_mode="off")
            ).rowcount

    def _insert(self, session: Session, values: dict) -> int | None:
        """Insert an e-mail row once per key (None: another process already did)."""
        connection = session.connection()
        if connection.execute(sa_select(_EMAIL.c.id).where(
                _EMAIL.c.dedupe_key == values["dedupe_key"])).first() is not None:
            return None
        try:
            with connection.begin_nested():
                return connection.execute(insert(_EMAIL).returning(_EMAIL.c.id),
                                          values).scalar_one()
        except IntegrityError:
            return None

    def _row(self, user: User, subject: str, body: str, kind: str, key: str,
             now: datetime) -> dict:
        return {"user_id": user.id, "to_address": user.email, "subject": subject[:300],
                "body": body, "kind": kind, "dedupe_key": key, "status": "pending",
                "attempts": 0, "next_attempt_at": now, "lease_until": None,
                "leased_by": None, "last_error": None, "created_at": now, "sent_at": None}

    def compose(self, now: datetime | None = None) -> int:
        """One e-mail row per notification wanted ``now``; returns how many were made."""
        if not self.enabled:
            self._switch_off()
            return 0
        now = now or _now()
        made = 0
        base = self.settings.base_url
        with Session(self.engine, expire_on_commit=False) as session:
            notes = session.exec(
                select(Notification).where(Notification.email_mode == messages.NOW,
                                           col(Notification.email_id).is_(None))
                .order_by(Notification.id).limit(500)
            ).all()
            for note in notes:
                user = session.get(User, note.user_id)
                if user is None or not user.email or not user.is_active:
                    note.email_mode = "off"
                    session.add(note)
                    continue
                lang = _lang(user)
                title, text = _entry(note, lang, base)
                email_id = self._insert(session, self._row(
                    user, f"[Zona] {title}", f"{text}\n\n-- \n{_footer(lang, base)}\n",
                    "now", f"now:{note.id}", now))
                if email_id is not None:
                    note.email_id = email_id
                    session.add(note)
                    made += 1
            session.commit()
        return made

    def digest(self, day: str, now: datetime | None = None) -> int:
        """One digest e-mail per person with notifications waiting for it; returns how
        many e-mails were made."""
        if not self.enabled:
            self._switch_off()
            return 0
        now = now or _now()
        base = self.settings.base_url
        made = 0
        with Session(self.engine, expire_on_commit=False) as session:
            notes = session.exec(
                select(Notification).where(Notification.email_mode == messages.DIGEST,
                                           col(Notification.email_id).is_(None))
                .order_by(Notification.user_id, Notification.id)
            ).all()
            by_user: dict[int, list[Notification]] = {}
            for note in notes:
                by_user.setdefault(note.user_id, []).append(note)
            for user_id, rows in by_user.items():
                user = session.get(User, user_id)
                if user is None or not user.email or not user.is_active:
                    for note in rows:
                        note.email_mode = "off"
                        session.add(note)
                    continue
                lang = _lang(user)
                parts = [_entry(note, lang, base)[1] for note in rows]
                subject = _DIGEST_SUBJECT[lang].format(day=day, count=len(rows))
                body = "\n\n".join(parts) + f"\n\n-- \n{_footer(lang, base)}\n"
                email_id = self._insert(session, self._row(
                    user, f"[Zona] {subject}", body, "digest", f"digest:{user_id}:{day}", now))
                if email_id is None:
                    continue
                for note in rows:
                    note.email_id = email_id
                    session.add(note)
                made += 1
            session.commit()
        return made

    # --- sending --------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> list[int]:
        """Lease up to BATCH e-mails due now for this process."""
        now = now or _now()
        lease = now + timedelta(seconds=self.settings.smtp_timeout_seconds * 2 + 60)
        due = (_EMAIL.c.status == "pending") & (_EMAIL.c.next_attempt_at <= now) & or_(
            _EMAIL.c.lease_until.is_(None), _EMAIL.c.lease_until < now)
        with self.engine.begin() as connection:
            ids = connection.execute(
                sa_select(_EMAIL.c.id).where(due).order_by(_EMAIL.c.id).limit(BATCH)
            ).scalars().all()
        won: list[int] = []
        for email_id in ids:
            with self.engine.begin() as connection:
                if connection.execute(
                    update(_EMAIL).where(_EMAIL.c.id == email_id, due)
                    .values(lease_until=lease, leased_by=self.name)
                ).rowcount == 1:
                    won.append(email_id)
        return won

    def send_due(self, now: datetime | None = None) -> int:
        """Send every e-mail due now; returns how many were sent."""
        if not self.enabled:
            return 0
        sent = 0
        while True:
            claimed = self.claim(now)
            if not claimed:
                return sent
            for email_id in claimed:
                sent += self._send(email_id, now)

    def _message(self, row: NotificationEmail) -> EmailMessage:
        message = EmailMessage()
        name, address = parseaddr(self.settings.smtp_from)
        message["From"] = formataddr((name, address)) if address else self.settings.smtp_from
        message["To"] = row.to_address
        message["Subject"] = row.subject
        message["Message-ID"] = f"<zona-{row.id}-{row.dedupe_key or ''}@zona>".replace(":", ".")
        message.set_content(row.body)
        return message

    def _deliver(self, message: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:  # the server's certificate is checked against the system CAs
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(message)

    def _send(self, email_id: int, now: datetime | None) -> int:
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(NotificationEmail, email_id)
            if row is None or row.leased_by != self.name or row.status != "pending":
                return 0
            row.attempts += 1
            try:
                self._deliver(self._message(row))
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("e-mail %s to %s failed (attempt %s): %s", row.id,
                            row.to_address, row.attempts, error)
                row.last_error = error
                row.lease_until = row.leased_by = None
                if row.attempts > len(self.delays):
                    row.status = "failed"
                    row.next_attempt_at = None
                else:
                    row.next_attempt_at = (now or _now()) + timedelta(
                        seconds=self.delays[row.attempts - 1])
                session.add(row)
                session.commit()
                return 0
            row.status, row.sent_at = "sent", _now()
            row.lease_until = row.leased_by = None
            row.next_attempt_at = None
            row.last_error = None
            session.add(row)
            session.commit()
            return 1
