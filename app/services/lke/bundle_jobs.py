"""Evidence bundles built in the background: a bundle bigger than the inline limit
(ZONA_BUNDLE_INLINE_MAX_BYTES) is queued as a job row, built by a worker and kept for
download until it expires.

Once per deployment, whatever the number of replicas: a worker takes a job by a conditional
UPDATE (queued, or running with a lease that ran out) that only one process wins, and renews
its lease with every progress update; losing the lease (another process took the job over)
stops the build. A failed build is queued again up to MAX_ATTEMPTS. The ZIP is written to the
bundle store (``bundle_store``) under a temporary name and published only when complete.
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import get_row
from app.models.lke.bundle import EvidenceBundleJob
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Conflict, NotFound
from app.services.lke import assessments, bundle, bundle_store
from app.services.lke.evidence import actor_label

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


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    filename: str
    size: int
    media_type: str = bundle.ZIP_MEDIA_TYPE


def download(session: Session, *, actor: Principal | None, job_id: int, upload_dir: Path,
             assessment_id: int | None = None) -> BuiltBundle:
    """The built ZIP of a finished job; Conflict while it is still being built."""
    job = get(session, actor=actor, job_id=job_id, assessment_id=assessment_id)
    if job.status in (QUEUED, RUNNING):
        raise Conflict("Bundel eviden belum siap; tunggu sampai prosesnya selesai.")
    if job.status != DONE or not is_live(job) or not job.stored_name:
        raise NotFound("Bundel eviden ini sudah kedaluwarsa atau gagal dibuat; buat ulang.")
    path = bundle_store.path_of(upload_dir, job.stored_name)
    if not path.is_file():
        raise NotFound("Berkas bundel eviden tidak ditemukan di penyimpanan; buat ulang.")
    return BuiltBundle(path=path, filename=job.filename, size=job.size or 0)


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
        self.upload_dir = settings.resolved_upload_dir()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()  # set: a build under way hands its job back

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
        """Build one claimed job into the bundle store; True when it is ready."""
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
        pending = bundle_store.writer(self.upload_dir, stored_name)
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
            for chunk in bundle.stream(plan, bind=self.engine, actor=None,
                                       upload_dir=self.upload_dir,
                                       generated_by=requested_by, progress=progress):
                pending.file.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            pending.publish()
            now = _now()
            self._update(job_id, status=DONE, stored_name=stored_name, size=size,
                         sha256=digest.hexdigest(), done_bytes=plan.total_bytes,
                         done_files=len(plan.files), finished_at=now, lease_until=None,
                         expires_at=now + timedelta(hours=self.settings.bundle_ttl_hours))
            log.info("evidence bundle %s built: %s bytes", job_id, size)
            return True
        except Stopped:
            pending.discard()
            with self.engine.begin() as connection:  # hand it back, this try not counted
                connection.execute(update(_JOB).where(self._mine(job_id)).values(
                    status=QUEUED, lease_until=None, attempts=_JOB.c.attempts - 1))
            return False
        except LostLease:
            pending.discard()
            log.warning("evidence bundle %s: lease lost, left to the other process", job_id)
            return False
        except Exception as exc:  # logged, queued again while attempts remain
            pending.discard()
            log.exception("evidence bundle %s failed", job_id)
            self._finish_failed(job_id, f"{type(exc).__name__}: {exc}")
            return False

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
        """Remove built bundles past their time (the row stays, marked expired) and the
        leftovers of builds that died; returns how many bundles expired."""
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
                bundle_store.remove(self.upload_dir, stored_name)
                expired += 1
        bundle_store.remove_stale_temporaries(self.upload_dir)
        return expired


class BundleThread:
    """The builder in a background thread of the app (ZONA_BUNDLE_WORKER, default on)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.worker = BundleWorker(engine, settings)
        self.poll = settings.bundle_poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zona-bundles", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.worker.run_once()
            except Exception:  # pragma: no cover - logged, the next round tries again
                log.exception("evidence bundle round failed")
            self._stop.wait(self.poll)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self.worker.stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
