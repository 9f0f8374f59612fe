"""The public form's write path: check in the request, store in batches (group commit).

At a busy counter many people send the form within the same few milliseconds. Each request
checks its own submission without touching the database (the campaign, its instruments,
services and source tags come from a short per-process cache, :class:`SurveyIntake`), then
hands it to the :class:`IntakeWriter` and waits. The writer takes every submission waiting
at that moment and stores them in ONE transaction: the campaigns' state read once, the
per-IP throttle counts of all its addresses bumped in one statement, the nonces of the
forms used claimed in one more (a form is good for one counted answer), the campaigns'
answers of this minute counted in one more (velocity), the responses and their answers
inserted with a few multi-row statements, the index counts (survey_tally) updated with one
more, one commit. Then each waiting request gets its own outcome. So:

- a request is answered only after the transaction holding its response committed: what is
  acknowledged is stored, exactly once;
- a campaign closed a moment ago refuses at once (its state is read in the transaction, not
  from the cache);
- a batch that fails before its commit is written again one submission at a time, so one
  bad submission cannot sink the others; a failed commit fails its whole batch (nothing is
  written twice).

Submissions with an idempotency key (the API) keep going through ``survey_responses.record_response``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db import make_engine, reserve_ids
from app.domain.surveys.guard import (
    GuardPolicy,
    Reason,
    ThrottleVerdict,
    suspicion_reasons,
)
from app.domain.surveys.instruments import Instrument
from app.models.base import utcnow
from app.models.surveys.records import SurveyCampaign, SurveyService
from app.models.units import Unit
from app.services.errors import NotFound, ServiceError
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import guard as survey_guard
from app.services.surveys import responses as survey_responses
from app.services.surveys import tallies as survey_tallies

__all__ = [
    "CONTEXT_SECONDS",
    "IntakeWriter",
    "SubmitContext",
    "Submission",
    "SurveyIntake",
    "write_batch",
]

log = logging.getLogger("zona.survey_intake")

#: How long a campaign's form context is reused by submissions. Closing a campaign is exact
#: anyway (the writer reads its state in the transaction); a new service or source tag is
#: seen at once too (an unknown one makes the form reload the context before refusing).
CONTEXT_SECONDS = 2.0
#: At most this many submissions in one transaction.
MAX_BATCH = 256
#: A batch starting within this many seconds of the previous one means submissions are
#: arriving steadily: it first waits GATHER_SECONDS for more to join.
BUSY_SECONDS = 0.05
GATHER_SECONDS = 0.003
#: The same wait for batches written on the event loop (SQLite): none. The write itself
#: holds the loop, so what arrives meanwhile forms the next batch anyway; a wait only left
#: the process idle (measured: 89% busy and 2,425 responses/s with 3 ms, 98% and 2,675/s
#: with none, batches of 24 and 27).
LOOP_GATHER_SECONDS = 0.0
#: Batches in flight at once on PostgreSQL (each holds a pooled connection while it runs).
PARALLEL_BATCHES = 3


@dataclass(frozen=True)
class SubmitContext:
    """What checking a submission to one campaign needs, detached from any session."""

    campaign: SurveyCampaign
    unit: Unit | None
    instruments: tuple[Instrument, ...]
    services: tuple[SurveyService, ...]
    choices: survey_responses.Choices


@dataclass(frozen=True)
class Submission:
    """A checked public-form submission waiting to be stored."""

    campaign_id: int
    checked: survey_responses.CheckedSubmission
    meta: survey_responses.ResponseMeta
    submitted_at: datetime
    policy: GuardPolicy
    honeypot: bool = False
    fill_time: Reason | None = None
    repeat_device: bool = False
    channel: str = "web"
    #: The nonce of the form it was sent with (None: no valid form token).
    form_nonce: str | None = None


Outcome = survey_responses.RecordedResponse | ServiceError

_CAMPAIGN = SurveyCampaign.__table__
_STATE_COLUMNS = select(
    _CAMPAIGN.c.id, _CAMPAIGN.c.status, _CAMPAIGN.c.deleted_at, _CAMPAIGN.c.timezone,
    _CAMPAIGN.c.opens_on, _CAMPAIGN.c.closes_on,
)


def write_batch(connection, submissions: list[Submission], now: datetime) -> list[Outcome]:
    """Store submissions inside the caller's transaction; one outcome each, in order.

    A submission to a campaign that no longer accepts responses gets CampaignClosed, one
    over the per-IP limit TooManyAttempts; neither stores anything or counts. In the same
    transaction: each form nonce is claimed by the first answer that uses it (a later
    answer with it is kept as suspect ``form_reused``, an identical resend gets the first
    answer back, ``duplicate=True``, and stores nothing), and the campaigns' clean answers
    are counted per minute (held as suspect ``velocity`` far above the usual rate).
    """
    outcomes: list[Outcome | None] = [None] * len(submissions)
    states = {
        row.id: survey_campaigns.campaign_state(row, now)
        for row in connection.execute(
            _STATE_COLUMNS.where(_CAMPAIGN.c.id.in_({s.campaign_id for s in submissions}))
        )
    }
    by_address: dict[str | None, list[int]] = defaultdict(list)
    for n, sub in enumerate(submissions):
        state = states.get(sub.campaign_id, "closed")
        if state != "open":
            outcomes[n] = survey_campaigns.CampaignClosed(survey_campaigns.STATE_MESSAGES[state])
        else:
            by_address[sub.meta.ip_hash].append(n)

    verdicts: dict[int, ThrottleVerdict] = {n: ThrottleVerdict.ok
                                            for n in by_address.pop(None, [])}
    if by_address:
        policy = submissions[next(iter(by_address.values()))[0]].policy  # one set of settings
        counted = survey_guard.count_arrivals_many(
            connection, {ip: len(indexes) for ip, indexes in by_address.items()},
            policy=policy, now=now,
        )
        for ip_hash, indexes in by_address.items():
            for n, verdict in zip(indexes, counted[ip_hash], strict=True):
                if verdict is ThrottleVerdict.refuse:
                    outcomes[n] = survey_guard.refusal(now, policy)
                else:
                    verdicts[n] = verdict

    accepted = sorted(verdicts)
    ids = dict(zip(accepted, reserve_ids(connection, survey_responses.RESPONSE_TABLE,
                                         len(accepted)), strict=True))
    forms = _single_use(connection, submissions, accepted, ids)

    reasons: dict[int, tuple[str, ...]] = {}
    clean: dict[int, list[int]] = defaultdict(list)  # campaign -> its clean answers
    for n in accepted:
        if n in forms.duplicate_of:
            continue
        sub = submissions[n]
        reasons[n] = suspicion_reasons(
            honeypot=sub.honeypot, fill_time=sub.fill_time,
            repeat_device=sub.repeat_device, throttle=verdicts[n],
            form_reused=n in forms.reused, fresh_form=n in forms.fresh,
        )
        if not reasons[n]:
            clean[sub.campaign_id].append(n)
    if clean:
        policy = submissions[next(iter(clean.values()))[0]].policy
        held = survey_guard.count_campaign_answers(
            connection, {c: len(indexes) for c, indexes in clean.items()},
            policy=policy, now=now,
        )
        for campaign_id, indexes in clean.items():
            for n, reason in zip(indexes, held[campaign_id], strict=True):
                if reason is not None:
                    reasons[n] = (reason,)

    rows, answers = [], []
    for n in accepted:
        if n in forms.duplicate_of:
            continue
        sub = submissions[n]
        row = survey_responses.response_row(
            sub.campaign_id, sub.checked, sub.meta, reasons[n], sub.channel, sub.submitted_at
        )
        row["id"] = ids[n]
        rows.append(row)
        answers += survey_responses.answer_rows(ids[n], row, sub.checked)
        outcomes[n] = survey_responses.RecordedResponse(
            ids[n], sub.campaign_id, sub.submitted_at, row["suspect"]
        )
    for n, first in forms.duplicate_of.items():
        if isinstance(first, int):  # the first use is in this batch
            first = dataclasses.replace(outcomes[first], duplicate=True)
        outcomes[n] = first
    # The counts written last, answers before respondents as every other writer does: on
    # PostgreSQL a batch running beside an API submit locks the same tally rows in the same
    # order (the other order deadlocked, found by tests/platform/test_crash_durability.py).
    counts = survey_tallies.Counts()
    survey_responses.insert_responses(connection, rows, counts=counts)
    survey_responses.insert_answers(connection, answers, counts=counts)
    counts.write(connection)
    held = [(row["campaign_id"], row["id"], row["suspect_reasons"]) for row in rows
            if row["suspect"]]
    if held:
        unit_of = dict(connection.execute(
            select(_CAMPAIGN.c.id, _CAMPAIGN.c.unit_id).where(
                _CAMPAIGN.c.id.in_({c for c, _, _ in held}))
        ).all())
        survey_responses.emit_held(connection, unit_of, held)
    return outcomes  # type: ignore[return-value]


@dataclass
class _Forms:
    """How the batch's answers used their forms (indexes into the batch)."""

    #: The first use of a valid form.
    fresh: set[int] = field(default_factory=set)
    #: A form used before (in an earlier batch or earlier in this one) with other content.
    reused: set[int] = field(default_factory=set)
    #: An identical resend -> the index of the first use in this batch, or the stored one.
    duplicate_of: dict[int, int | survey_responses.RecordedResponse] = field(
        default_factory=dict)


def _single_use(connection, submissions: list[Submission], accepted: list[int],
                ids: dict[int, int]) -> _Forms:
    """Claim the nonces of the accepted answers' forms; sort out who used a form first.

    Contents are compared only where a form comes again (an earlier use is read back from
    the database then): the usual batch, every form new, pays one statement.
    """
    forms = _Forms()
    by_nonce: dict[str, list[int]] = defaultdict(list)
    for n in accepted:
        if submissions[n].form_nonce is not None:
            by_nonce[submissions[n].form_nonce].append(n)
    if not by_nonce:
        return forms
    claimed, first_ids = survey_guard.claim_nonces(connection, {
        nonce: (submissions[indexes[0]].campaign_id, ids[indexes[0]])
        for nonce, indexes in by_nonce.items()
    })
    stored = survey_responses.stored_contents(connection, first_ids.values())
    for nonce, indexes in by_nonce.items():
        reference: tuple[tuple, int | survey_responses.RecordedResponse] | None = None
        if nonce in claimed:
            first, later = indexes[0], indexes[1:]
            forms.fresh.add(first)
            if later:
                reference = (survey_responses.content_of(submissions[first].checked), first)
        else:
            later = indexes
            reference = stored.get(first_ids.get(nonce))
        for n in later:
            if reference is not None and (
                survey_responses.content_of(submissions[n].checked) == reference[0]
            ):
                forms.duplicate_of[n] = reference[1]
            else:
                forms.reused.add(n)
    return forms


class _CommitFailed(Exception):
    pass


class _Busy(Exception):
    """The SQLite database is locked by another writer right now."""


@dataclass
class _Waiting:
    submission: Submission
    future: asyncio.Future


@dataclass
class _LoopQueue:
    pending: list[_Waiting] = field(default_factory=list)
    drains: set[asyncio.Task] = field(default_factory=set)
    last_batch: float = float("-inf")


def _settle(future: asyncio.Future, outcome: Outcome | BaseException) -> None:
    if future.done():  # the request was cancelled (the person closed the page)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


#: How long a batch written on the event loop may wait for SQLite's write lock before it is
#: handed to a worker thread (which waits as long as the engine's busy timeout allows).
LOOP_BUSY_TIMEOUT_MS = 20


class IntakeWriter:
    """Stores waiting submissions together, in batches.

    A submission joins its event loop's queue and, when fewer than ``parallel`` are running,
    starts a drain task; that runs once the requests that are ready have been handled (and,
    under load, after a short gather wait), so everything sent meanwhile is in its batch.

    On SQLite (a local file: a batch of 50 takes a few milliseconds) the batch is written
    right on the event loop: a writer thread measured slower than the write itself, waiting
    for the GIL at every statement. If another writer holds the lock, the batch goes to a
    worker thread instead of stalling the loop. On PostgreSQL (answers over the network)
    every batch goes to a worker thread, several at once, and the loop keeps serving.
    """

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH,
                 on_loop: bool | None = None):
        self.engine = engine
        self.max_batch = max_batch
        self.on_loop = engine.dialect.name == "sqlite" if on_loop is None else on_loop
        #: Batches written at the same time: SQLite has one writer anyway; PostgreSQL
        #: takes several transactions at once and each spends most of its time waiting.
        self.parallel = 1 if engine.dialect.name == "sqlite" else PARALLEL_BATCHES
        self._loop_engine = _quick_engine(engine) if self.on_loop else engine
        self.gather_seconds = LOOP_GATHER_SECONDS if self.on_loop else GATHER_SECONDS
        self._queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        #: Counters (the tests and the benchmark read them).
        self.batches = 0
        self.stored = 0

    async def submit(self, submission: Submission) -> survey_responses.RecordedResponse:
        """Store one submission; returns once the transaction holding it committed.

        Raises CampaignClosed or TooManyAttempts (nothing stored), or whatever storing it
        alone raised.
        """
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues.setdefault(loop, _LoopQueue())
        future = loop.create_future()
        queue.pending.append(_Waiting(submission, future))
        if len(queue.drains) < self.parallel:
            task = loop.create_task(self._drain(queue))
            queue.drains.add(task)  # a strong reference while it runs
        outcome = await future
        if isinstance(outcome, ServiceError):
            raise outcome
        return outcome

    async def _drain(self, queue: _LoopQueue) -> None:
        try:
            await self._drain_batches(queue)
        finally:
            # Leave the set in the same step as the last look at the queue (no await in
            # between): a submission queued after that look starts a new drain.
            queue.drains.discard(asyncio.current_task())

    async def _drain_batches(self, queue: _LoopQueue) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - queue.last_batch < BUSY_SECONDS:
            # Under load: wait a moment so the batch gathers what is on its way. Every
            # batch rewrites the same index pages, so a few large batches cost far less
            # than many small ones. A lone submission is written at once.
            await asyncio.sleep(self.gather_seconds)
        while queue.pending:
            batch = queue.pending[: self.max_batch]
            del queue.pending[: self.max_batch]
            submissions = [waiting.submission for waiting in batch]
            try:
                outcomes = await self._write(submissions)
            except BaseException as exc:  # cancelled at shutdown: nobody waits forever
                for waiting in batch:
                    _settle(waiting.future, exc)
                raise
            queue.last_batch = loop.time()
            for waiting, outcome in zip(batch, outcomes, strict=True):
                _settle(waiting.future, outcome)
            # Let the requests that arrived meanwhile run and join the next batch.
            await asyncio.sleep(self.gather_seconds if queue.pending else 0)

    async def _write(self, submissions: list[Submission]) -> list[Outcome | BaseException]:
        if self.on_loop:
            try:
                return self._store(self._loop_engine, submissions, busy_is_error=True)
            except _Busy:
                pass
        return await run_in_threadpool(self._store, self.engine, submissions)

    def _store(self, engine: Engine, submissions: list[Submission], *,
               busy_is_error: bool = False) -> list[Outcome | BaseException]:
        try:
            return self._transaction(engine, submissions)
        except _CommitFailed as exc:
            if busy_is_error and _is_locked(exc.__cause__):
                raise _Busy() from exc
            log.exception("survey batch of %d: commit failed", len(submissions))
            return [exc.__cause__ or exc] * len(submissions)
        except Exception as exc:
            if busy_is_error and _is_locked(exc):
                raise _Busy() from exc
            if len(submissions) == 1:
                log.exception("survey submission could not be stored")
                return [exc]
        # Something in the batch failed before the commit (nothing was written): store each
        # submission on its own, so only the one at fault fails.
        outcomes: list[Outcome | BaseException] = []
        for submission in submissions:
            try:
                outcomes += self._transaction(engine, [submission])
            except _CommitFailed as exc:
                outcomes.append(exc.__cause__ or exc)
            except Exception as exc:
                log.exception("survey submission could not be stored")
                outcomes.append(exc)
        return outcomes

    def _transaction(self, engine: Engine, submissions: list[Submission]) -> list[Outcome]:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                outcomes = write_batch(connection, submissions, utcnow())
            except BaseException:
                transaction.rollback()
                raise
            try:
                transaction.commit()
            except Exception as exc:
                raise _CommitFailed() from exc
        self.batches += 1
        self.stored += sum(isinstance(o, survey_responses.RecordedResponse) and not o.duplicate
                           for o in outcomes)
        return outcomes

    def close(self) -> None:
        if self._loop_engine is not self.engine:
            self._loop_engine.dispose()


def _quick_engine(engine: Engine) -> Engine:
    """A second engine on the same SQLite file whose connections give up on a held write
    lock after LOOP_BUSY_TIMEOUT_MS (an in-memory database has no second connection)."""
    if engine.url.database in (None, "", ":memory:"):
        return engine
    quick = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(quick, "connect")
    def _short_busy_timeout(dbapi_connection, _record):  # pragma: no cover - trivial
        dbapi_connection.execute(f"PRAGMA busy_timeout={LOOP_BUSY_TIMEOUT_MS}")

    return quick


def _detached(row):
    return None if row is None else type(row).model_validate(row.model_dump())


class SurveyIntake:
    """Per application: the submit contexts of recently used campaigns and the writer."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.writer = IntakeWriter(engine)
        self._contexts: dict[str, tuple[float, SubmitContext]] = {}
        self._load_lock = threading.Lock()

    @staticmethod
    def _key(code: str) -> str | None:
        if not code or len(code) > 40:
            return None
        return code.strip().lower()

    def cached(self, code: str) -> SubmitContext | None:
        """The context of an open campaign seen in the last CONTEXT_SECONDS (no database)."""
        key = self._key(code)
        hit = self._contexts.get(key) if key else None
        if hit is not None and time.monotonic() - hit[0] < CONTEXT_SECONDS:
            return hit[1]
        return None

    def load(self, code: str, *, refresh: bool = False) -> SubmitContext | None:
        """Read the context from the database (blocking; None for an unknown link).

        Requests that missed the cache together share the first one's read; ``refresh``
        always reads (to check a refusal the cached context led to).
        """
        key = self._key(code)
        if key is None:
            return None
        asked = time.monotonic()
        with self._load_lock, Session(self.engine) as session:
            hit = self._contexts.get(key)
            if hit is not None and not refresh and hit[0] >= asked - CONTEXT_SECONDS / 2:
                return hit[1]
            try:
                campaign = survey_campaigns.campaign_by_code(session, code=key)
            except NotFound:
                return None
            context = SubmitContext(
                campaign=_detached(campaign),
                unit=_detached(session.get(Unit, campaign.unit_id)),
                instruments=tuple(survey_campaigns.instruments_of(session, campaign)),
                services=tuple(
                    _detached(s)
                    for s in survey_catalogue.active_services(session, unit_id=campaign.unit_id)
                ),
                choices=survey_responses.choices_of(session, campaign),
            )
        if survey_campaigns.campaign_state(context.campaign) == "open":
            if len(self._contexts) > 1000:
                self._contexts.clear()
            self._contexts[key] = (time.monotonic(), context)
        else:
            self._contexts.pop(key, None)  # a refusal is always read fresh
        return context

    def close(self) -> None:
        self.writer.close()
