"""Evidence bundles built in the background: a bundle bigger than the inline limit
(ZONA_BUNDLE_INLINE_MAX_BYTES) is queued as a job row, built by a worker and kept for
download until it expires.

Once per deployment, whatever the number of replicas: a worker takes a job by a conditional
UPDATE (queued, or running with a lease that ran out) that only one process wins, and renews
its lease with every progress update; losing the lease (another process took the job over)
stops the build. A failed build is queued again up to MAX_ATTEMPTS. The ZIP is written to a
local staging file, then put into the file store (``bundle_store``: the local upload folder or
S3, the same for every replica) before the job is marked done; any replica serves it then.
``zona bundles run`` (cron) and the app's thread (ZONA_BUNDLE_WORKER) call
``BundleWorker.run_once``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import get_row
from app.models.lke.bundle import EvidenceBundleJob
from app.security.principal import Principal
from app.services import audit, storage
from app.services.errors import Conflict, NotFound
from app.services.lke import assessments, bundle, bundle_store
from app.services.lke.evidence import (
    DOWNLOAD_HEADERS,
    Download,
    StoreUnavailable,
    actor_label,
    file_store,
)
from app.services.polling import PollingThread
from app.services.storage import FileStore, StorageError

log = logging.getLogger("zona.lke.bundles")

_JOB = EvidenceBundleJob.__table__
QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
STATUS_LABELS = {
    QUEUED: "Menunggu giliran",
    RUNNING: "Sedang dibuat",
    DONE: "Siap diunduh",
    FAILED: "Gagal",
    EXPIRED: "Kedaluwarsa",
}
LIVE = (QUEUED, RUNNING, DONE)
MAX_ATTEMPTS = 3
LEASE_SECONDS = 120
#: Progress is written (and the lease renewed) at most this often.
PROGRESS_EVERY_SECONDS = 1.0
#: The store's bundles/ is listed for leftovers of dead builds at most this often (a listing
#: is a paid request on S3; leftovers only go once a day old anyway).
SWEEP_EVERY = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return value


def percent(job: EvidenceBundleJob) -> int:
    """0-100, by evidence bytes packed (a bundle of links only is done or not)."""
    if job.status == DONE:
        return 100
    if not job.total_bytes:
        return 0
    return min(99, job.done_bytes * 100 // job.total_bytes)


def is_live(job: EvidenceBundleJob, now: datetime | None = None) -> bool:
    """Queued, running, or done and not expired."""
    if job.status not in LIVE:
        return False
    expires = _aware(job.expires_at)
    return expires is None or expires > (now or _now())


# --- the use cases (both faces) -----------------------------------------------------------

def request(
    session: Session, *, actor: Principal | None, assessment_id: int,
) -> EvidenceBundleJob:
    """Queue a background build of the assessment's bundle for someone who may read it; the
    same content already queued, running or ready (same fingerprint) is that job again."""
    plan = bundle.plan(session, actor=actor, assessment_id=assessment_id)
    fingerprint = plan.fingerprint
    now = _now()
    for job in session.exec(
        select(EvidenceBundleJob).where(
            EvidenceBundleJob.assessment_id == plan.assessment_id,
            EvidenceBundleJob.fingerprint == fingerprint,
            col(EvidenceBundleJob.status).in_(LIVE),
        ).order_by(col(EvidenceBundleJob.id).desc())
    ).all():
        if is_live(job, now):
            return job
    job = EvidenceBundleJob(
        assessment_id=plan.assessment_id, unit_id=plan.unit_id, fingerprint=fingerprint,
        status=QUEUED, total_bytes=plan.total_bytes, total_files=len(plan.files),
        filename=plan.filename, requested_by=actor.user_id if actor else None,
        requested_by_label=actor_label(actor), created_at=now,
    )
    session.add(job)
    session.flush()
    audit.record(
        session, actor=actor, action="request", entity="evidence_bundle", entity_id=job.id,
        unit_id=plan.unit_id,
        after={"assessment_id": plan.assessment_id, "files": len(plan.files),
               "bytes": plan.total_bytes, "fingerprint": fingerprint},
    )
    session.commit()
    return job


def get(session: Session, *, actor: Principal | None, job_id: int,
        assessment_id: int | None = None) -> EvidenceBundleJob:
    """A bundle job, for someone who may read its assessment (NotFound for another
    assessment's job when ``assessment_id`` is given)."""
    job = get_row(session, EvidenceBundleJob, job_id)
    if job is None or (assessment_id is not None and job.assessment_id != assessment_id):
        raise NotFound(f"Bundel eviden {job_id} tidak ditemukan.")
    assessments.get(session, actor=actor, assessment_id=job.assessment_id)
    return job


def list_for_assessment(session: Session, *, actor: Principal | None, assessment_id: int,
                        limit: int = 10) -> list[EvidenceBundleJob]:
    """The assessment's latest bundle jobs, newest first."""
    assessments.get(session, actor=actor, assessment_id=assessment_id)
    return list(session.exec(
        select(EvidenceBundleJob).where(EvidenceBundleJob.assessment_id == assessment_id)
        .order_by(col(EvidenceBundleJob.id).desc()).limit(limit)).all())


def _store_unavailable(exc: StorageError) -> StoreUnavailable:
    log.error("bundle store: %s", exc)
    return StoreUnavailable(
        "Penyimpanan berkas sedang tidak dapat dihubungi; coba lagi beberapa saat lagi.")


def download(session: Session, *, actor: Principal | None, job_id: int,
             assessment_id: int | None = None, upload_dir: Path | None = None,
             store: FileStore | None = None) -> Download:
    """What to send for the built ZIP of a finished job (as evidence downloads are sent:
    streamed from the store, or a redirect to a pre-signed URL handed out only after the
    permission check here); Conflict while it is still being built."""
    job = get(session, actor=actor, job_id=job_id, assessment_id=assessment_id)
    if job.status in (QUEUED, RUNNING):
        raise Conflict("Bundel eviden belum siap; tunggu sampai prosesnya selesai.")
    if job.status != DONE or not is_live(job) or not job.stored_name:
        raise NotFound("Bundel eviden ini sudah kedaluwarsa atau gagal dibuat; buat ulang.")
    store = file_store(upload_dir, store)
    try:
        file = bundle_store.find(store, job.stored_name)
        if file is None:
            raise NotFound("Berkas bundel eviden tidak ditemukan di penyimpanan; buat ulang.")
        url = store.presigned_url(file.key, filename=job.filename,
                                  media_type=bundle.ZIP_MEDIA_TYPE)
    except StorageError as exc:
        raise _store_unavailable(exc) from exc
    return Download(file=file, media_type=bundle.ZIP_MEDIA_TYPE, filename=job.filename,
                    headers=dict(DOWNLOAD_HEADERS), redirect_url=url)


# --- the worker ---------------------------------------------------------------------------

class LostLease(Exception):  # noqa: N818 - a signal to stop, not an error to report
    """Another process took the job over (this one's lease had run out)."""


class Stopped(Exception):  # noqa: N818 - a signal to stop, not an error to report
    """The process is shutting down: the job goes back to the queue."""


class BundleWorker:
    """One process's bundle builder over an engine; ``run_once`` does one round."""

    def __init__(self, engine: Engine, settings: Settings, *, name: str | None = None):
        self.engine = engine
        self.settings = settings
        self.store = storage.from_settings(settings)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()  # set: a build under way hands its job back
        self._swept_at: datetime | None = None  # the last look for leftovers in the store

    def run_once(self, now: datetime | None = None) -> int:
        """Expire old bundles, then build every job waiting; returns how many were built."""
        self.expire(now)
        built = 0
        while (job_id := self.claim(now)) is not None:
            if self.build(job_id):
                built += 1
            if now is not None:
                break  # a test's fixed clock: one job per round
        return built

    def claim(self, now: datetime | None = None) -> int | None:
        """Lease the oldest waiting job (queued, or running with a lapsed lease) for this
        process; None when there is none or another process won each."""
        now = now or _now()
        waiting = (_JOB.c.attempts < MAX_ATTEMPTS) & or_(
            _JOB.c.status == QUEUED,
            (_JOB.c.status == RUNNING) & (_JOB.c.lease_until < now))
        with self.engine.begin() as connection:
            ids = connection.execute(
                sa_select(_JOB.c.id).where(waiting).order_by(_JOB.c.id).limit(5)
            ).scalars().all()
        for job_id in ids:
            with self.engine.begin() as connection:
                won = connection.execute(
                    update(_JOB).where((_JOB.c.id == job_id) & waiting).values(
                        status=RUNNING, attempts=_JOB.c.attempts + 1, leased_by=self.name,
                        lease_until=now + timedelta(seconds=LEASE_SECONDS), started_at=now,
                        done_bytes=0, done_files=0, last_error=None)
                ).rowcount == 1
            if won:
                return job_id
        return None

    def _mine(self, job_id: int):
        return (_JOB.c.id == job_id) & (_JOB.c.leased_by == self.name) & (
            _JOB.c.status == RUNNING)

    def _update(self, job_id: int, **values) -> None:
        with self.engine.begin() as connection:
            if connection.execute(update(_JOB).where(self._mine(job_id)).values(**values)
                                  ).rowcount != 1:
                raise LostLease(job_id)

    def build(self, job_id: int) -> bool:
        """Build one claimed job into the file store; True when it is ready."""
        with Session(self.engine, expire_on_commit=False) as session:
            job = session.get(EvidenceBundleJob, job_id)
            assert job is not None
            requested_by = job.requested_by_label
            try:
                plan = bundle.plan(session, actor=None, assessment_id=job.assessment_id)
            except NotFound as exc:  # the assessment was deleted meanwhile
                self._finish_failed(job_id, exc.message, final=True)
                return False
        stored_name = bundle_store.new_name()
        staged = bundle_store.staging(self.store)
        stored = False  # put into the store: removed again unless the job ends up naming it
        digest = hashlib.sha256()
        size = 0
        last = 0.0

        def progress(state: bundle.Progress) -> None:
            nonlocal last
            if self.stopping.is_set():
                raise Stopped(job_id)
            moment = time.monotonic()
            if moment - last < PROGRESS_EVERY_SECONDS:
                return
            last = moment
            self._update(job_id, done_bytes=state.bytes, done_files=state.files,
                         lease_until=_now() + timedelta(seconds=LEASE_SECONDS))

        try:
            # What is built now may differ from what was asked (evidence added since): the
            # job records what it holds.
            self._update(job_id, fingerprint=plan.fingerprint, total_bytes=plan.total_bytes,
                         total_files=len(plan.files), filename=plan.filename)
            for chunk in bundle.stream(plan, bind=self.engine, actor=None, store=self.store,
                                       generated_by=requested_by, progress=progress):
                staged.file.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            stored = True
            with self._lease_renewed(job_id):  # a big upload can outlast one lease
                bundle_store.publish(self.store, stored_name, staged, size=size)
            staged.discard()  # what is left of it (the local store renamed it into place)
            now = _now()
            self._update(job_id, status=DONE, stored_name=stored_name, size=size,
                         sha256=digest.hexdigest(), done_bytes=plan.total_bytes,
                         done_files=len(plan.files), finished_at=now, lease_until=None,
                         expires_at=now + timedelta(hours=self.settings.bundle_ttl_hours))
            log.info("evidence bundle %s built: %s bytes", job_id, size)
            return True
        except Stopped:
            self._discard(staged, stored_name if stored else None)
            with self.engine.begin() as connection:  # hand it back, this try not counted
                connection.execute(update(_JOB).where(self._mine(job_id)).values(
                    status=QUEUED, lease_until=None, attempts=_JOB.c.attempts - 1))
            return False
        except LostLease:
            self._discard(staged, stored_name if stored else None)
            log.warning("evidence bundle %s: lease lost, left to the other process", job_id)
            return False
        except Exception as exc:  # logged, queued again while attempts remain
            self._discard(staged, stored_name if stored else None)
            log.exception("evidence bundle %s failed", job_id)
            self._finish_failed(job_id, f"{type(exc).__name__}: {exc}")
            return False

    @contextmanager
    def _lease_renewed(self, job_id: int) -> Iterator[None]:
        """Renew the job's lease every quarter lease from another thread while the block
        runs (the block cannot report progress); LostLease after it when the lease was
        lost meanwhile."""
        done = threading.Event()
        lost: list[LostLease] = []

        def renew() -> None:
            while not done.wait(LEASE_SECONDS / 4):
                try:
                    self._update(job_id, lease_until=_now() + timedelta(seconds=LEASE_SECONDS))
                except LostLease as exc:
                    lost.append(exc)
                    return
                except Exception:  # noqa: BLE001 - the next beat tries again
                    log.warning("evidence bundle %s: lease not renewed", job_id, exc_info=True)

        beat = threading.Thread(target=renew, name=f"zona-bundle-lease-{job_id}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            done.set()
            beat.join()
        if lost:
            raise lost[0]

    def _discard(self, staged, stored_name: str | None) -> None:
        """Drop what a build that will not be done left: its staging file, and its bundle
        when it had reached the store (else ``remove_stale`` takes it a day later)."""
        staged.discard()
        if stored_name is not None:
            try:
                bundle_store.remove(self.store, stored_name)
            except StorageError:
                log.warning("evidence bundle %s: not removed from the store", stored_name)

    def _finish_failed(self, job_id: int, error: str, *, final: bool = False) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_JOB).where(self._mine(job_id)).values(
                    status=FAILED if final else QUEUED, lease_until=None, finished_at=_now(),
                    last_error=error[:500]))
            # out of attempts: failed for good
            connection.execute(
                update(_JOB).where((_JOB.c.id == job_id) & (_JOB.c.status == QUEUED)
                                   & (_JOB.c.attempts >= MAX_ATTEMPTS)).values(status=FAILED))

    def expire(self, now: datetime | None = None) -> int:
        """Remove built bundles past their time from the store (the row stays, marked
        expired) and the leftovers of builds that died; returns how many bundles expired."""
        now = now or _now()
        with self.engine.begin() as connection:
            rows = connection.execute(
                sa_select(_JOB.c.id, _JOB.c.stored_name).where(
                    (_JOB.c.status == DONE) & (_JOB.c.expires_at <= now))
            ).all()
        expired = 0
        for job_id, stored_name in rows:
            with self.engine.begin() as connection:
                won = connection.execute(
                    update(_JOB).where((_JOB.c.id == job_id) & (_JOB.c.status == DONE))
                    .values(status=EXPIRED, stored_name=None)).rowcount == 1
            if won:
                bundle_store.remove(self.store, stored_name)
                expired += 1
        if self._swept_at is not None and now - self._swept_at < SWEEP_EVERY:
            return expired
        self._swept_at = now
        # The names done jobs hold, read before the store is listed: a bundle stored since
        # is young, and left alone.
        with self.engine.begin() as connection:
            keep = set(connection.execute(
                sa_select(_JOB.c.stored_name).where(
                    (_JOB.c.status == DONE) & _JOB.c.stored_name.is_not(None))
            ).scalars().all())
        bundle_store.remove_stale(self.store, keep, now=now.timestamp())
        return expired


class BundleThread(PollingThread):
    """The builder in a background thread of the app (ZONA_BUNDLE_WORKER, default on)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.worker = BundleWorker(engine, settings)
        super().__init__(name="zona-bundles", run_once=self.worker.run_once,
                         poll_seconds=settings.bundle_poll_seconds,
                         on_stop=self.worker.stopping.set)
