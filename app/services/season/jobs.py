"""Scheduled work, once per deployment: the daily checks (deadlines of the calendar, overdue
action items, expiring partnerships, survey campaigns at their minimum sample or closed),
the daily digest, and sending e-mail.

Each daily job runs once per (job, day): ``job_run`` has one row per pair (unique), taken
by an INSERT (or, for a failed or abandoned run, a conditional UPDATE) that only one
process wins; the winner holds a lease while it works and marks the run done or failed. A
failed run is logged and taken again by a later round (up to MAX_ATTEMPTS). The checks
write notifications with a key per event, so even a run repeated after a crash notifies
each person once. ``zona jobs run-once`` (cron) and the app's thread
(ZONA_JOBS_WORKER) call ``Runner.run_once``.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.domain import programme as programme_domain
from app.domain.season import calendar as cal
from app.domain.season import messages
from app.domain.surveys.indices import sample_size
from app.i18n import format_date
from app.models.lke.assessments import Assessment
from app.models.lke.evidence import Evidence
from app.models.programme import ActionItem, Partnership
from app.models.season import JobRun
from app.models.surveys.records import CampaignStatus, SurveyCampaign, SurveyResponse
from app.models.units import Unit
from app.services.polling import PollingThread
from app.services.season import calendar as season_calendar
from app.services.season import notify
from app.services.season.mail import Mailer
from app.services.surveys.campaigns import campaign_state

log = logging.getLogger("zona.season.jobs")

_RUN = JobRun.__table__
MAX_ATTEMPTS = 5
LEASE_SECONDS = 600
PARTNERSHIP_WARN_DAYS = 30
EVIDENCE_WARN_DAYS = 14
#: Calendar steps reminded while they are the unit's current step. The national proposal is
#: reminded on its own (check_deadlines): to every unit whose assessment is not final yet.
REMINDED_STEPS = (cal.SELF_ASSESSMENT, cal.REGIONAL_REVIEW, cal.TPI_REVIEW)


def _now() -> datetime:
    return datetime.now(UTC)


def _live_units(session: Session) -> list[Unit]:
    return list(session.exec(
        select(Unit).where(col(Unit.deleted_at).is_(None), Unit.level == "unit")
        .order_by(Unit.id)).all())


# --- the checks, each (session, now) -> notifications stored ------------------------------

def check_deadlines(session: Session, now: datetime) -> int:
    """The current step of every unit: 7 days ahead, 1 day ahead and once passed."""
    stored = 0
    for unit in _live_units(session):
        season = season_calendar.season_of(session, unit=unit, now=now)
        for state in season.states:
            if state.step == cal.NATIONAL_PROPOSAL:
                stored += _remind_national_proposal(session, unit, season, state, now)
                continue
            if not state.current or state.due is None or state.step not in REMINDED_STEPS:
                continue
            stage = cal.reminder_stage(state.due, season.today)
            if stage is None:
                continue
            if state.step == cal.SELF_ASSESSMENT:
                people = notify.unit_team(session, unit_id=unit.id)
            else:
                level = "regional" if state.step == cal.REGIONAL_REVIEW else "tpi"
                people = notify.reviewers(session, unit_id=unit.id, level=level)
            assessment_id = session.exec(
                select(Assessment.id).where(Assessment.unit_id == unit.id,
                                            Assessment.year == season.year,
                                            col(Assessment.deleted_at).is_(None))).first()
            link = (f"/assessments/{assessment_id}" if assessment_id
                    else f"/units/{unit.id}/calendar")
            if assessment_id and state.step != cal.SELF_ASSESSMENT:
                link += "/review"
            stored += notify.notify(
                session, kind=messages.DEADLINE, user_ids=people, unit_id=unit.id, link=link,
                params={"unit": unit.name, "step": state.step, "year": season.year,
                        "due": format_date(state.due), "days_left": state.days_left,
                        "stage": stage},
                dedupe_key=f"deadline:{unit.id}:{season.year}:{state.step}:{stage}", now=now,
            )
    return stored


def _remind_national_proposal(session: Session, unit: Unit, season, state: cal.StepState,
                              now: datetime) -> int:
    """The proposal to the national team is done when the unit's assessment of the year is
    final (the TPI accepted it; Zona records no proposal of its own). While it is not: 7 days
    ahead, 1 day ahead and once passed, to the reviewers who propose (the TPI: those of the
    nearest eselon I / ministry unit above with reviewers, as the review chain finds them)
    and the unit's coordinator(s)."""
    if state.done or state.due is None:
        return 0
    stage = cal.reminder_stage(state.due, season.today)
    if stage is None:
        return 0
    people = (notify.reviewers(session, unit_id=unit.id, level="tpi")
              + notify.unit_people(session, unit_id=unit.id, roles=("coordinator",)))
    assessment_id = session.exec(
        select(Assessment.id).where(Assessment.unit_id == unit.id,
                                    Assessment.year == season.year,
                                    col(Assessment.deleted_at).is_(None))).first()
    link = f"/assessments/{assessment_id}" if assessment_id else f"/units/{unit.id}/calendar"
    return notify.notify(
        session, kind=messages.DEADLINE, user_ids=people, unit_id=unit.id, link=link,
        params={"unit": unit.name, "step": state.step, "year": season.year,
                "due": format_date(state.due), "days_left": state.days_left, "stage": stage},
        dedupe_key=f"deadline:{unit.id}:{season.year}:{state.step}:{stage}", now=now,
    )


def check_action_items(session: Session, now: datetime) -> int:
    """Open action items past their due date: to the unit's team, once per item and date."""
    stored = 0
    for unit in _live_units(session):
        today = season_calendar.local_today(unit.timezone, now)
        rows = session.exec(select(ActionItem).where(
            ActionItem.unit_id == unit.id, col(ActionItem.deleted_at).is_(None),
            col(ActionItem.due_on).is_not(None), col(ActionItem.due_on) < today,
        ).order_by(ActionItem.id)).all()
        for item in rows:
            status = programme_domain.ItemStatus(item.status or "belum_mulai")
            if not status.is_open:
                continue
            stored += notify.notify(
                session, kind=messages.ACTION_ITEM_OVERDUE,
                user_ids=notify.unit_team(session, unit_id=unit.id), unit_id=unit.id,
                link=f"/units/{unit.id}/action-plan",
                params={"unit": unit.name, "activity": item.activity,
                        "pic": item.person_in_charge or "-", "due": format_date(item.due_on)},
                dedupe_key=f"action_item_overdue:{item.id}:{item.due_on.isoformat()}", now=now,
            )
    return stored


def check_partnerships(session: Session, now: datetime) -> int:
    """Agreements ending within 30 days (once) and ended (once): to the unit's team."""
    stored = 0
    for unit in _live_units(session):
        today = season_calendar.local_today(unit.timezone, now)
        rows = session.exec(select(Partnership).where(
            Partnership.unit_id == unit.id, col(Partnership.deleted_at).is_(None),
            col(Partnership.expires_on).is_not(None),
            col(Partnership.expires_on) <= today + timedelta(days=PARTNERSHIP_WARN_DAYS),
        ).order_by(Partnership.id)).all()
        for row in rows:
            days_left = (row.expires_on - today).days
            stage = "expired" if days_left < 0 else "soon"
            if stage == "expired" and days_left < -PARTNERSHIP_WARN_DAYS:
                continue  # long over: not news any more
            stored += notify.notify(
                session, kind=messages.PARTNERSHIP_EXPIRING,
                user_ids=notify.unit_team(session, unit_id=unit.id), unit_id=unit.id,
                link=f"/units/{unit.id}/partnerships",
                params={"unit": unit.name, "partner": row.partner,
                        "number": row.agreement_number or "-",
                        "due": format_date(row.expires_on), "days_left": days_left},
                dedupe_key=f"partnership:{row.id}:{row.expires_on.isoformat()}:{stage}",
                now=now,
            )
    return stored


def evidence_people(session: Session, row: Evidence) -> list[int]:
    """Who hears of an evidence's validity: the unit's coordinator(s), and whoever uploaded
    it while they still belong to the unit (any role, an active account)."""
    people = notify.unit_people(session, unit_id=row.unit_id, roles=("coordinator",))
    if row.uploaded_by is not None:
        people += [uid for uid in notify.unit_people(
            session, unit_id=row.unit_id, roles=notify.ALL_ROLES) if uid == row.uploaded_by]
    return list(dict.fromkeys(people))


def check_evidence(session: Session, now: datetime) -> int:
    """Evidence whose validity ends within 14 days (once) and has ended (once), per
    evidence and date: a new date set afterwards is warned again."""
    stored = 0
    for unit in _live_units(session):
        today = season_calendar.local_today(unit.timezone, now)
        rows = session.exec(select(Evidence).where(
            Evidence.unit_id == unit.id, col(Evidence.deleted_at).is_(None),
            col(Evidence.valid_until).is_not(None),
            col(Evidence.valid_until) <= today + timedelta(days=EVIDENCE_WARN_DAYS),
        ).order_by(Evidence.id)).all()
        for row in rows:
            days_left = (row.valid_until - today).days
            kind = messages.EVIDENCE_EXPIRED if days_left < 0 else messages.EVIDENCE_EXPIRING
            stored += notify.notify(
                session, kind=kind, user_ids=evidence_people(session, row), unit_id=unit.id,
                link=f"/units/{unit.id}/evidence#evidence-{row.id}",
                params={"unit": unit.name, "title": row.title,
                        "due": format_date(row.valid_until), "days_left": days_left},
                dedupe_key=f"{kind}:{row.id}:{row.valid_until.isoformat()}", now=now,
            )
    return stored


def check_campaigns(session: Session, now: datetime) -> int:
    """Open campaigns at their minimum sample (once) and campaigns past their closing date
    (once, the same key as closing one by hand)."""
    stored = 0
    rows = session.exec(select(SurveyCampaign).where(
        col(SurveyCampaign.deleted_at).is_(None),
        SurveyCampaign.status == CampaignStatus.open).order_by(SurveyCampaign.id)).all()
    for campaign in rows:
        count = session.exec(select(func.count()).select_from(SurveyResponse).where(
            SurveyResponse.campaign_id == campaign.id,
            col(SurveyResponse.reportable).is_(True))).one()
        minimum = sample_size(campaign.population)
        name = notify.unit_name(session, campaign.unit_id)
        if count >= minimum:
            stored += notify.notify(
                session, kind=messages.CAMPAIGN_SAMPLE_REACHED,
                user_ids=notify.unit_team(session, unit_id=campaign.unit_id),
                unit_id=campaign.unit_id,
                link=f"/units/{campaign.unit_id}/surveys/campaigns/{campaign.id}",
                params={"unit": name, "title": campaign.title, "count": count,
                        "minimum": minimum},
                dedupe_key=f"campaign_sample:{campaign.id}", now=now,
            )
        if campaign_state(campaign, now) == "ended":
            stored += notify.campaign_closed(session, campaign=campaign, count=count)
    return stored


# --- the runner ---------------------------------------------------------------------------

class Runner:
    """One process's runner over an engine; ``run_once`` does one round."""

    def __init__(self, engine: Engine, settings: Settings, *, name: str | None = None):
        self.engine = engine
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.mailer = Mailer(engine, settings, name=self.name)

    def jobs(self) -> list[tuple[str, Callable[[datetime, str], str]]]:
        """The daily jobs in order: the checks first, so the digest carries what they found."""

        def check(fn: Callable[[Session, datetime], int]) -> Callable[[datetime, str], str]:
            def run(now: datetime, _day: str) -> str:
                with Session(self.engine, expire_on_commit=False) as session:
                    stored = fn(session, now)
                    session.commit()
                return f"{stored} notifications"
            return run

        def digest(now: datetime, day: str) -> str:
            return f"{self.mailer.digest(day, now)} digests"

        return [("deadlines", check(check_deadlines)),
                ("action_items", check(check_action_items)),
                ("partnerships", check(check_partnerships)),
                ("campaigns", check(check_campaigns)),
                ("evidence", check(check_evidence)),
                ("digest", digest)]

    def local_now(self, now: datetime) -> datetime:
        try:
            zone = ZoneInfo(self.settings.timezone)
        except (KeyError, ValueError):
            zone = ZoneInfo("Asia/Jakarta")
        return now.astimezone(zone)

    def run_once(self, now: datetime | None = None) -> dict[str, str]:
        """Compose the e-mails wanted now, run each daily job not yet done today (the
        digest from ZONA_DIGEST_HOUR), then send what is due. Returns what was done."""
        now = now or _now()
        local = self.local_now(now)
        day = cal.digest_period(local.date())
        done: dict[str, str] = {}
        jobs = self.jobs()
        checks = [job for job, _fn in jobs if job != "digest"]
        for job, fn in jobs:
            if job == "digest" and (local.hour < self.settings.digest_hour
                                    or not self.finished(checks, day)):
                continue
            if not self.claim(job, day, now):
                continue
            try:
                result = fn(now, day)
            except Exception as exc:  # logged and retried by a later round
                log.exception("scheduled job %s for %s failed", job, day)
                self.finish(job, day, ok=False, result=None, error=f"{type(exc).__name__}: {exc}")
                done[job] = "failed"
                continue
            self.finish(job, day, ok=True, result=result, error=None)
            done[job] = result
        done["composed"] = str(self.mailer.compose(now))
        done["sent"] = str(self.mailer.send_due(now))
        return done

    def finished(self, jobs: list[str], period: str) -> bool:
        """Whether every one of ``jobs`` is over for the period: done, or failed with no
        attempt left. With several replicas another process may still be running a check
        when this one reaches the digest; the digest waits for it (a later round), so it
        carries what the day's checks found, as with one process."""
        with self.engine.connect() as connection:
            over = connection.execute(
                sa_select(func.count()).select_from(_RUN).where(
                    _RUN.c.period == period, _RUN.c.job.in_(jobs),
                    or_(_RUN.c.status == "done", (_RUN.c.status == "failed")
                        & (_RUN.c.attempts >= MAX_ATTEMPTS)))
            ).scalar_one()
        return over == len(jobs)

    def claim(self, job: str, period: str, now: datetime) -> bool:
        """Take the (job, period) run for this process: a new row, or a failed or abandoned
        one; False when it is done, held by another process, or out of attempts."""
        lease = now + timedelta(seconds=LEASE_SECONDS)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(_RUN), {
                    "job": job, "period": period, "status": "running", "attempts": 1,
                    "leased_by": self.name, "lease_until": lease, "started_at": now,
                    "finished_at": None, "result": None, "last_error": None})
            return True
        except IntegrityError:
            pass
        retry = (_RUN.c.job == job) & (_RUN.c.period == period) & (
            _RUN.c.attempts < MAX_ATTEMPTS) & or_(
            _RUN.c.status == "failed",
            (_RUN.c.status == "running") & (_RUN.c.lease_until < now))
        with self.engine.begin() as connection:
            return connection.execute(
                update(_RUN).where(retry).values(
                    status="running", attempts=_RUN.c.attempts + 1, leased_by=self.name,
                    lease_until=lease, started_at=now)
            ).rowcount == 1

    def finish(self, job: str, period: str, *, ok: bool, result: str | None,
               error: str | None) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_RUN).where(_RUN.c.job == job, _RUN.c.period == period,
                                   _RUN.c.leased_by == self.name)
                .values(status="done" if ok else "failed", finished_at=_now(),
                        lease_until=None, result=(result or "")[:200] or None,
                        last_error=(error or "")[:500] or None))


def runs(session: Session, *, day: date | None = None) -> list[JobRun]:
    """The recorded runs (newest first), for operators."""
    query = select(JobRun)
    if day is not None:
        query = query.where(JobRun.period == day.isoformat())
    return list(session.exec(query.order_by(col(JobRun.id).desc()).limit(100)).all())


class JobsThread(PollingThread):
    """The runner in a background thread of the app (ZONA_JOBS_WORKER, default on)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.runner = Runner(engine, settings)
        super().__init__(name="zona-jobs", run_once=self.runner.run_once,
                         poll_seconds=settings.jobs_poll_seconds)
