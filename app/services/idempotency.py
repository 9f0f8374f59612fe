"""Idempotency keys for the API's create requests (the ``Idempotency-Key`` header).

A system that sends a create and loses the answer (a timeout, a dropped connection) sends
it again with the same key; the second request does not create a second row, it gets the
first answer: the same status and the same body. How it works:

1. ``begin`` (before the route runs): the key is looked up for this owner (the token or the
   person), method and path. Unknown: a reservation row is written and committed (its unique
   index makes one of two concurrent first requests win; the other is told 409). Known and
   finished: the stored answer is returned, to be sent again as it is. Known with another
   request (another body or query): 422, the key belongs to the first request. Known and still
   running: 409, try again shortly.
2. ``complete`` (after the route answered): a 2xx answer is stored on the row. Any other
   answer changed nothing, so the row is removed and a retry with the same key runs again.

Keys are kept ``RETENTION`` (24 hours, as the Stripe and IETF drafts suggest); after that
the same key is a new request. A reservation whose request never finished (the process died)
is taken over by a repeat after ``IN_FLIGHT_TIMEOUT``.

The answer is stored just after the route's own transaction committed, not inside it (the
answer is made from what the commit returned). So that a process dying in between cannot
make a repeat do the work twice, ``watch`` marks the reservation ``completed_at`` inside the
route's own transaction, with its work: a repeat that finds the work committed and no answer
stored waits like any repeat of a running request (409) and, once the reservation is
``IN_FLIGHT_TIMEOUT`` old, is told the request was done and its answer lost (409), never run
again. Only a reservation whose work never committed is taken over and run. (Found by
tests/platform/test_replicas.py's reasoning: a replica killed between the two commits.) The
survey answers (one or a batch) carry their own keys too, stored with the answer itself, in
its transaction (app.services.surveys.responses), per campaign.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, event, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models.idempotency import IdempotencyRecord
from app.security.principal import Principal
from app.services.errors import Conflict, FieldProblem, Invalid

HEADER = "Idempotency-Key"
#: The ASGI scope entry where app.middleware.IdempotencyMiddleware puts the holder that the
#: dependency (app.deps.idempotency_key) fills with the reservation of a first request.
SCOPE_KEY = "zona.idempotency"
KEY_MAX = 255
RETENTION = timedelta(hours=24)
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True)
class Replay:
    """The first answer to a request, to be sent again unchanged."""

    status_code: int
    media_type: str | None
    body: str


@dataclass(frozen=True)
class Reservation:
    """A first request holds its key; ``complete`` stores its answer."""

    record_id: int


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def owner_of(actor: Principal) -> str:
    """Keys are per token or per person: another caller's key is another request."""
    return f"{actor.kind}:{actor.id}"


def check_key(key: str) -> str:
    """A key is 1-255 visible ASCII characters (a UUID is the usual choice)."""
    if not 1 <= len(key) <= KEY_MAX or not all(0x20 < ord(c) < 0x7F for c in key):
        raise Invalid(
            "Idempotency-Key tidak valid.",
            errors=[FieldProblem(
                HEADER, "invalid_idempotency_key",
                f"Idempotency-Key harus 1-{KEY_MAX} karakter ASCII tanpa spasi "
                "(misalnya sebuah UUID).",
                location="header",
            )],
        )
    return key


def fingerprint(*, query: str, body: bytes | None = None, form: list | None = None) -> str:
    """SHA-256 of what the request asks for: its query and its body, read as data.

    A JSON body is compared by its content (key order and spaces do not matter); a form by its
    fields and the SHA-256 of each file (the multipart boundary differs on every send).
    """
    digest = hashlib.sha256()
    digest.update("&".join(sorted(query.split("&"))).encode())
    digest.update(b"\x00")
    if form is not None:
        digest.update(json.dumps(sorted(form), ensure_ascii=False).encode())
    elif body:
        try:
            parsed = json.loads(body)
        except ValueError:
            digest.update(body)
        else:
            digest.update(json.dumps(parsed, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode())
    return digest.hexdigest()


def _refuse_reuse() -> Invalid:
    return Invalid(
        "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
        errors=[FieldProblem(
            HEADER, "idempotency_key_reused",
            "Kunci ini sudah dipakai untuk permintaan dengan isi lain ke alamat yang sama; "
            "buat kunci baru untuk permintaan baru.",
            location="header",
        )],
    )


def _in_flight() -> Conflict:
    return Conflict(
        "Permintaan dengan Idempotency-Key ini masih diproses; ulangi sebentar lagi."
    )


def _answer_lost() -> Conflict:
    return Conflict(
        "Permintaan dengan Idempotency-Key ini sudah dijalankan, tetapi jawabannya tidak "
        "tersimpan (server berhenti tepat sesudahnya), jadi tidak dijalankan lagi. Periksa "
        "datanya dengan GET."
    )


def begin(
    session: Session, *, actor: Principal, method: str, path: str, key: str, fingerprint: str,
    now: datetime | None = None,
) -> Reservation | Replay:
    """Reserve the key for a first request, or answer a repeat (see the module's text)."""
    now = now or _now()
    check_key(key)
    owner = owner_of(actor)
    session.exec(delete(IdempotencyRecord).where(
        col(IdempotencyRecord.created_at) < now - RETENTION
    ))
    row = session.exec(select(IdempotencyRecord).where(
        IdempotencyRecord.owner == owner, IdempotencyRecord.method == method,
        IdempotencyRecord.path == path, IdempotencyRecord.key == key,
    )).first()
    if row is not None:
        if row.fingerprint != fingerprint:
            session.rollback()
            raise _refuse_reuse()
        if row.status_code is not None:
            session.commit()
            return Replay(status_code=row.status_code, media_type=row.media_type,
                          body=row.body or "")
        if _aware(row.created_at) > now - IN_FLIGHT_TIMEOUT:
            session.rollback()
            raise _in_flight()
        if row.completed_at is not None:  # its work committed, its process died: not again
            session.rollback()
            raise _answer_lost()
        row.created_at = now  # its first request died: this repeat takes it over
        session.add(row)
        session.commit()
        return Reservation(record_id=row.id)
    row = IdempotencyRecord(owner=owner, method=method, path=path, key=key,
                            fingerprint=fingerprint, created_at=now)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _in_flight() from None
    return Reservation(record_id=row.id)


def watch(session: Session, *, record_id: int) -> None:
    """Mark the reservation done (``completed_at``) in the same transaction as the work of
    the request holding it: ``session`` is the request's, whose commit is the service's."""
    table = IdempotencyRecord.__table__

    def mark(committing: Session) -> None:
        if committing.in_transaction():
            committing.connection().execute(
                update(table).where(table.c.id == record_id, table.c.completed_at.is_(None))
                .values(completed_at=_now()))

    event.listen(session, "before_commit", mark)


def complete(
    session: Session, *, record_id: int, status_code: int, media_type: str | None, body: str,
) -> None:
    """Keep a 2xx answer for the repeats; any other answer frees the key."""
    row = session.get(IdempotencyRecord, record_id)
    if row is None:
        return
    if 200 <= status_code < 300:
        row.status_code, row.media_type, row.body = status_code, media_type, body
        row.completed_at = row.completed_at or _now()
        session.add(row)
    else:
        session.delete(row)
    session.commit()


def release(session: Session, *, record_id: int) -> None:
    """Free a key whose request failed without an answer (an unexpected error)."""
    session.exec(delete(IdempotencyRecord).where(
        col(IdempotencyRecord.id) == record_id, col(IdempotencyRecord.status_code).is_(None)
    ))
    session.commit()
