"""A whole evaluation season with a fake clock: submit, return, resubmit, accept, the TPI
deadline at 7, 1 and 0 days and once passed, and the daily digest. A real SMTP server
(aiosmtpd) receives the mails; each person gets exactly what they chose, once, and running
the jobs again for the same day sends nothing more."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.domain.season import calendar as cal
from app.models.accounts import User
from app.models.season import JobRun, Notification, NotificationEmail
from app.services.lke import frameworks, review
from app.services.lke import submission as lke_submission
from app.services.season import calendar as season_calendar
from app.services.season import inbox
from app.services.season.jobs import Runner
from tests.factories import principal
from tests.support.lke_review import new_assessment

WIB = ZoneInfo("Asia/Jakarta")
EMAILS = {"coord_a1": "koordinator@a1.go.id", "member_a1": "anggota@a1.go.id",
          "reviewer_a": "kanwil@a.go.id", "tpi": "tpi@es1.go.id"}


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=WIB)


def _people(db, world):
    for username, address in EMAILS.items():
        user = db.get(User, world.users[username])
        user.email = address
        if username == "member_a1":
            user.language = "en"
        db.add(user)
    db.commit()


def _subjects(smtp, username):
    return [m["Subject"] for m in smtp.to(EMAILS[username])]


def _kinds(db, world, username):
    return [n.kind for n in db.exec(select(Notification).where(
        Notification.user_id == world.users[username]).order_by(Notification.id)).all()]


def test_a_whole_season(db, world, engine, smtp_server, mail_settings):
    smtp, _port = smtp_server
    frameworks.sync_bundled(db)
    _people(db, world)
    admin = principal(db, world, "admin")
    # The whole tree's calendar for 2027 (set by the admin) ...
    season_calendar.set_calendar(db, actor=admin, unit_id=None, year=2027, dues={
        cal.SELF_ASSESSMENT: date(2027, 3, 31), cal.REGIONAL_REVIEW: date(2027, 4, 30),
        cal.TPI_REVIEW: date(2027, 6, 15), cal.NATIONAL_PROPOSAL: date(2027, 7, 31)})
    # ... and Kanwil B's own for its units, set by its reviewer: the nearest scope wins.
    season_calendar.set_calendar(
        db, actor=principal(db, world, "reviewer_b"), unit_id=world.unit("KANWIL-B"),
        year=2027, dues={cal.SELF_ASSESSMENT: date(2027, 3, 15)})
    b1 = season_calendar.unit_season(db, actor=admin, unit_id=world.unit("UNIT-B1"),
                                     now=at("2027-03-10"))
    a1 = season_calendar.unit_season(db, actor=admin, unit_id=world.unit("UNIT-A1"),
                                     now=at("2027-03-10"))
    assert (b1.next.due, b1.next.days_left) == (date(2027, 3, 15), 5)
    assert (a1.next.due, a1.next.days_left) == (date(2027, 3, 31), 21)

    # Choices: the coordinator reads everything in the daily digest; the TPI wants no
    # e-mail for submissions; the others keep the default (at once).
    coord = principal(db, world, "coord_a1")
    inbox.set_preferences(db, actor=coord, choices={k: "digest" for k in inbox.preferences(
        db, actor=coord)})
    inbox.set_preferences(db, actor=principal(db, world, "tpi"),
                          choices={"assessment_submitted": "none"})

    runner = Runner(engine, mail_settings, name="replica-1")
    a = new_assessment(db, world, year=2027, complete=True)
    lke_submission.submit(db, actor=coord, assessment_id=a.id)
    runner.run_once(at("2027-03-10"))
    assert _subjects(smtp, "reviewer_a") == [
        "[Zona] KPPN A1: LKE 2027 menunggu reviu Kantor Wilayah"]
    body = smtp.to(EMAILS["reviewer_a"])[0].get_payload(decode=True).decode()
    assert f"https://zona.uji.go.id/assessments/{a.id}/review" in body
    assert len(smtp.received) == 1

    # Return with a flagged question, resubmit, accept.
    kanwil = principal(db, world, "reviewer_a")
    review.decide(db, actor=kanwil, assessment_id=a.id, decision="return",
                  note="Lengkapi eviden.",
                  changes=[review.DraftChange(ref="PPA1A", flagged=True,
                                              note="SK tim belum diunggah")])
    lke_submission.submit(db, actor=coord, assessment_id=a.id)
    review.decide(db, actor=kanwil, assessment_id=a.id, decision="accept",
                  changes=[review.DraftChange(ref="PPA1A", flagged=False)])
    smtp.clear()
    runner.run_once(at("2027-03-11"))
    # The member (English) at once: returned, the flagged question, accepted.
    assert _subjects(smtp, "member_a1") == [
        "[Zona] KPPN A1: LKE 2027 returned by the regional office",
        "[Zona] KPPN A1: 1 LKE 2027 questions flagged",
        "[Zona] KPPN A1: LKE 2027 accepted by the regional office",
    ]
    assert _subjects(smtp, "reviewer_a") == [
        "[Zona] KPPN A1: LKE 2027 menunggu reviu Kantor Wilayah"]  # the resubmission
    # The coordinator: one digest with the return and the acceptance.
    assert _subjects(smtp, "coord_a1") == [
        "[Zona] Ringkasan harian Zona 2027-03-11: 2 pemberitahuan"]
    digest = smtp.to(EMAILS["coord_a1"])[0].get_payload(decode=True).decode()
    assert "dikembalikan oleh Kantor Wilayah" in digest and "diterima Kantor Wilayah" in digest
    # The TPI chose no e-mail for submissions: inbox only.
    assert _subjects(smtp, "tpi") == []
    assert _kinds(db, world, "tpi") == ["assessment_submitted"]
    assert len(smtp.received) == 5

    # The TPI review is due on 15 June 2027: reminders at 7 and 1 days, none more on the
    # day, one when passed; each run repeated for the same day sends nothing.
    days = {"2027-06-07": [], "2027-06-08": ["dalam 7 hari"], "2027-06-13": [],
            "2027-06-14": ["besok"], "2027-06-15": [], "2027-06-16": ["terlewat 1 hari"]}
    for day, expected in days.items():
        smtp.clear()
        runner.run_once(at(day))
        Runner(engine, mail_settings, name="replica-2").run_once(at(day, 9))
        runner.run_once(at(day, 10))
        subjects = _subjects(smtp, "tpi")
        assert len(subjects) == len(expected), (day, subjects)
        for subject, words in zip(subjects, expected, strict=True):
            assert subject == f"[Zona] KPPN A1: tenggat reviu TPI {words}"
        assert len(smtp.received) == len(expected), (day, smtp.received)

    # The coordinator's own step was done before its deadline: no reminder to the unit.
    assert "deadline" not in _kinds(db, world, "coord_a1")
    assert _kinds(db, world, "tpi") == ["assessment_submitted", "deadline", "deadline",
                                        "deadline"]
    # Every e-mail row went out once; each daily job ran once a day.
    rows = db.exec(select(NotificationEmail)).all()
    assert {r.status for r in rows} == {"sent"} and len(rows) == 9
    runs = db.exec(select(JobRun).where(JobRun.period == "2027-06-16")).all()
    assert sorted((r.job, r.status, r.attempts) for r in runs) == [
        ("action_items", "done", 1), ("campaigns", "done", 1), ("deadlines", "done", 1),
        ("digest", "done", 1), ("evidence", "done", 1), ("partnerships", "done", 1)]
