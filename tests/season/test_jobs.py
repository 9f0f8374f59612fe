"""The scheduled checks (overdue action items, expiring partnerships, a campaign at its
minimum sample, closed, answers held), each notified once; the (job, day) lease across
replicas; e-mail retried after an SMTP failure and sent once; e-mail off without a host;
`zona jobs run-once` for cron."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.domain.surveys.indices import sample_size
from app.models.accounts import User
from app.models.programme import ActionItem, Partnership
from app.models.season import JobRun, Notification, NotificationEmail
from app.services.season import notify
from app.services.season.jobs import Runner, check_action_items, check_campaigns, check_partnerships
from app.services.season.mail import Mailer
from app.services.surveys import responses as survey_responses
from tests.support.survey_responses import close, respond

WIB = ZoneInfo("Asia/Jakarta")


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=WIB)


def _notes(db, kind):
    db.expire_all()
    return [(n.user_id, n.params) for n in db.exec(
        select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def test_checks_notify_each_event_once(db, world, make_campaign):
    unit = world.unit("UNIT-A1")
    team = [world.users["coord_a1"], world.users["member_a1"]]
    db.add(ActionItem(unit_id=unit, area="manajemen_perubahan", activity="Susun rencana kerja",
                      person_in_charge="Ketua tim", due_on=date(2027, 3, 1), status="berjalan"))
    db.add(ActionItem(unit_id=unit, area="manajemen_perubahan", activity="Sudah selesai",
                      due_on=date(2027, 3, 1), status="selesai", progress=100))
    db.add(Partnership(unit_id=unit, partner="Pemda Belitung", kind="pemda",
                       agreement_number="PKS-01", signed_on=date(2026, 1, 1),
                       expires_on=date(2027, 3, 20)))
    db.commit()
    c = make_campaign(population=3, title="Survei kecil")
    assert sample_size(3) == 3  # Krejcie-Morgan for 3 service users: all of them
    for _ in range(2):
        respond(db, c, ikm=[4] * 9)
    moment = datetime.combine(c.opens_on, datetime.min.time(), tzinfo=WIB)
    survey_responses.record_response(
        db, campaign=c, answers={("ikm-2017", f"U{n}"): 4 for n in range(1, 10)},
        now=moment, suspect_reasons=("honeypot",))  # held: not counted in the sample
    assert _notes(db, "answers_held") == [
        (world.users["coord_a1"], {"unit": "KPPN A1", "title": "Survei kecil"})]

    day1 = at("2027-03-10")
    for _ in range(2):  # a second scan the same day finds nothing new
        assert check_action_items(db, day1) == (2 if _ == 0 else 0)
        assert check_partnerships(db, day1) == (2 if _ == 0 else 0)
        assert check_campaigns(db, day1) == 0  # 2 reportable of 3
        db.commit()
    overdue = _notes(db, "action_item_overdue")
    assert [u for u, _p in overdue] == team
    assert overdue[0][1] == {"unit": "KPPN A1", "activity": "Susun rencana kerja",
                             "pic": "Ketua tim", "due": "01-03-2027"}
    assert [p["days_left"] for _u, p in _notes(db, "partnership_expiring")] == [10, 10]

    respond(db, c, ikm=[3] * 9)
    assert check_campaigns(db, day1) == 2
    db.commit()
    assert [(u, p["count"], p["minimum"]) for u, p in _notes(db, "campaign_sample_reached")] \
        == [(team[0], 3, 3), (team[1], 3, 3)]
    # The agreement ended: one more notice, once.
    day2 = at("2027-03-21")
    assert check_partnerships(db, day2) == 2
    assert check_partnerships(db, day2 + timedelta(days=3)) == 0
    db.commit()
    # Closing the campaign by hand, then the scan past its date: one notice each person.
    close(db, world, c)
    assert check_campaigns(db, at("2099-12-31")) == 0
    assert [(u, p["count"]) for u, p in _notes(db, "campaign_closed")] == [
        (team[0], 4), (team[1], 4)]  # every stored response, the held one too


def test_one_replica_runs_a_day_and_a_failed_or_abandoned_run_is_taken_again(db, engine,
                                                                           settings):
    now = at("2027-03-10")
    a, b = Runner(engine, settings, name="a"), Runner(engine, settings, name="b")
    assert a.claim("deadlines", "2027-03-10", now) is True
    assert b.claim("deadlines", "2027-03-10", now) is False  # held by a
    a.finish("deadlines", "2027-03-10", ok=False, result=None, error="boom")
    assert b.claim("deadlines", "2027-03-10", now) is True  # failed: retried
    b.finish("deadlines", "2027-03-10", ok=True, result="0 notifications", error=None)
    assert a.claim("deadlines", "2027-03-10", now) is False  # done: never twice
    run = db.exec(select(JobRun).where(JobRun.job == "deadlines")).one()
    assert (run.status, run.attempts, run.leased_by, run.last_error) == ("done", 2, "b", None)
    # a process that died holding a run: taken again once its lease (10 minutes) ran out
    assert a.claim("digest", "2027-03-10", now) is True
    assert b.claim("digest", "2027-03-10", now + timedelta(minutes=9)) is False
    assert b.claim("digest", "2027-03-10", now + timedelta(minutes=11)) is True


def test_the_digest_waits_for_a_check_another_replica_is_still_running(db, engine, settings):
    """Replica a holds the day's evidence check when replica b reaches the digest: b runs
    the other checks and leaves the digest for a later round, once the check is over, so the
    digest carries what the day's checks found (found by tests/platform/test_replicas.py)."""
    now = at("2027-03-10")  # 08:00 WIB, after ZONA_DIGEST_HOUR (7)
    a, b = Runner(engine, settings, name="a"), Runner(engine, settings, name="b")
    assert a.claim("evidence", "2027-03-10", now) is True
    first = b.run_once(now)
    assert "evidence" not in first and "digest" not in first
    assert {"deadlines", "action_items", "partnerships", "campaigns"} <= set(first)
    a.finish("evidence", "2027-03-10", ok=True, result="0 notifications", error=None)
    assert b.run_once(now)["digest"] == "0 digests"
    runs = {r.job: (r.status, r.attempts) for r in db.exec(select(JobRun)).all()}
    assert runs == {job: ("done", 1) for job in (
        "deadlines", "action_items", "partnerships", "campaigns", "evidence", "digest")}


def _mail_user(db, world, username="coord_a1", address="koordinator@a1.go.id"):
    user = db.get(User, world.users[username])
    user.email = address
    db.add(user)
    db.commit()
    notify.notify(db, kind="campaign_closed", user_ids=[user.id], unit_id=world.unit("UNIT-A1"),
                  link="/units/1", params={"unit": "KPPN A1", "title": "Survei", "count": 5,
                                           "period": "2027-S1"})
    db.commit()
    return user


def test_a_failed_mail_is_retried_and_sent_once(db, world, engine, smtp_server, mail_settings):
    smtp, _port = smtp_server
    _mail_user(db, world)
    import socket

    with socket.socket() as sock:  # a port where nobody listens
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    down = Mailer(engine, mail_settings.model_copy(update={"smtp_port": dead_port}), name="x")
    now = at("2027-03-10")
    assert down.compose(now) == 1
    assert down.send_due(now) == 0
    row = db.exec(select(NotificationEmail)).one()
    assert (row.status, row.attempts, row.leased_by) == ("pending", 1, None)
    assert "ConnectionRefusedError" in row.last_error
    up = Mailer(engine, mail_settings, name="y")
    assert up.send_due(now + timedelta(seconds=30)) == 0  # waits its 60 s backoff
    assert up.send_due(now + timedelta(seconds=61)) == 1
    assert up.send_due(now + timedelta(hours=1)) == 0
    assert len(smtp.received) == 1
    message = smtp.received[0][1]
    assert message["Subject"] == '[Zona] KPPN A1: survei "Survei" ditutup'
    assert message["From"] == "Zona Uji <zona@uji.go.id>"
    body = message.get_payload(decode=True).decode()
    assert "https://zona.uji.go.id/units/1" in body
    assert "https://zona.uji.go.id/notifications/preferences" in body
    db.expire_all()
    row = db.exec(select(NotificationEmail)).one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    # out of attempts: failed, kept with its error
    _mail_user(db, world)
    broken = mail_settings.model_copy(update={"smtp_port": dead_port, "smtp_retry_schedule": ""})
    dead = Mailer(engine, broken, name="z")
    dead.compose(now)
    dead.send_due(now)
    db.expire_all()
    assert sorted(r.status for r in db.exec(select(NotificationEmail))) == ["failed", "sent"]


def test_without_a_smtp_host_nothing_is_mailed(db, world, engine, settings):
    _mail_user(db, world)
    done = Runner(engine, settings).run_once(at("2027-03-10"))
    assert (done["composed"], done["sent"]) == ("0", "0")
    assert db.exec(select(NotificationEmail)).all() == []
    db.expire_all()
    note = db.exec(select(Notification)).one()
    assert (note.email_mode, note.read_at) == ("off", None)  # still in the inbox, unread


@pytest.fixture
def run_cli(monkeypatch, database_url, settings, engine):
    monkeypatch.setenv("ZONA_DATABASE_URL", database_url)
    monkeypatch.setenv("ZONA_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_cli_run_once(run_cli, db, world):
    first = run_cli("jobs", "run-once", "--at", "2027-03-10T08:00:00+07:00")
    assert first.exit_code == 0, first.output
    assert "deadlines: 0 notifications" in first.output and "digest: 0 digests" in first.output
    assert "evidence: 0 notifications" in first.output
    again = run_cli("jobs", "run-once", "--at", "2027-03-10T09:00:00+07:00")
    assert "deadlines" not in again.output and "sent: 0" in again.output
    assert len(db.exec(select(JobRun).where(JobRun.period == "2027-03-10")).all()) == 6
    bad = run_cli("jobs", "run-once", "--at", "2027-03-10T08:00:00")
    assert bad.exit_code == 1 and "UTC offset" in bad.output


def test_the_app_thread_sends_what_is_due(db, world, engine, smtp_server, mail_settings):
    """ZONA_JOBS_WORKER: the same round in a thread of the app, stopped cleanly."""
    import time

    from app.services.season.jobs import JobsThread

    smtp, _port = smtp_server
    _mail_user(db, world)
    thread = JobsThread(engine, mail_settings.model_copy(update={"jobs_poll_seconds": 0.2}))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not smtp.received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        thread.stop()
    assert [m["Subject"] for _rcpt, m in smtp.received] == [
        '[Zona] KPPN A1: survei "Survei" ditutup']
    assert not thread._thread.is_alive()
