"""Two replicas of Zona on one PostgreSQL database and one S3 object store: one is killed
(`kill -9`) in the middle of a load, and nothing acknowledged is lost, nothing is done twice,
and every scheduled job ran once.

Two real `zona serve` processes (A and B) on free loopback ports share the database (created
for the test), the evidence store (SeaweedFS's S3 gateway, the ``s3_server`` fixture of
tests/support/s3.py, under a key prefix of this test's own), the secret key and the public
address, as replicas behind a load balancer do; each keeps its own data folder; each runs the scheduled jobs and the webhook sender in its own thread. Both
start at the same moment, so their first rounds of the daily jobs race. Then five clients
send their work to both replicas in turn, the way a load balancer spreads it:

- people: the coordinator signs in on A, the reviewer on B, and each then uses its session
  on both (the session cookie and the CSRF token are signed with the shared key); they
  submit, return, resubmit and accept LKE assessments through the API (a decision with an
  ``Idempotency-Key``), producing notifications, e-mails and webhook events;
- a system (API token) uploads evidence files on one replica with an ``Idempotency-Key``
  and downloads each on the other;
- citizens open the public survey form on one replica and send it to the other;
- a portal sends survey answers in batches of five, each answer with its own key.

Once every client has been answered a few times, A is killed. A request that got no answer
is sent again, unchanged (same idempotency keys), to B; the clients carry on with B. A key
still reserved by the dead A answers 409 ("masih diproses") until its reservation is two
minutes old: the test ages those reservations in the database instead of waiting two minutes,
then sends those requests once more. Then the database, the file store, the SMTP server and
the webhook receiver are compared with what the clients were told.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models.accounts import User
from app.models.idempotency import IdempotencyRecord
from app.models.lke.evidence import Evidence
from app.models.lke.review import LkeReview, LkeSubmission
from app.models.programme import ActionItem
from app.models.season import JobRun, Notification, NotificationEmail
from app.models.surveys.records import SurveyResponse
from app.models.webhooks import WebhookDelivery, WebhookMessage
from app.services.accounts import tokens
from app.services.lke import evidence as lke_evidence
from app.services.lke import frameworks
from app.services.season import inbox
from app.services.surveys import instruments as survey_instruments
from app.services.webhooks import subscriptions
from tests.factories import PASSWORD, build_world, principal
from tests.support.lke_review import PDF, new_assessment
from tests.support.server_process import ServerProcess
from tests.support.sinks import MailSink, WebhookSink
from tests.support.survey_forms import IKM, hidden, ikm_form, make_campaign

pytestmark = pytest.mark.slow

SECRET = "replica-test-secret-" + "x" * 40
WIB = ZoneInfo("Asia/Jakarta")
YEARS = (2023, 2024, 2025)  # one assessment of UNIT-A1 per year goes through the review
#: Before the kill every client has been answered at least this often (and the load ran at
#: least MIN_LOAD_SECONDS), but the load never runs longer than LOAD_LIMIT seconds.
MIN_ACKS = {"public": 8, "batch": 4, "evidence": 4, "review": 2}
MIN_LOAD_SECONDS = 2.0
LOAD_LIMIT = 30.0
AFTER_KILL_SECONDS = 2.0  # the clients carry on with B this long
#: The reviewer and the coordinator pause between steps, as people do: their twelve steps
#: then span the load (on a quiet machine they take well under MIN_LOAD_SECONDS without it).
REVIEW_PAUSE = 0.3
DAILY_JOBS = {"deadlines", "action_items", "partnerships", "campaigns", "evidence", "digest"}
EMAILS = {"coord_a1": "koordinator@a1.go.id", "member_a1": "anggota@a1.go.id",
          "reviewer_a": "kanwil@a.go.id"}
IN_FLIGHT = "masih diproses"  # the 409 of a key whose first request has not finished
ANSWER_LOST = "sudah dijalankan"  # the 409 of a key whose request was done, answer lost

if not os.environ.get("ZONA_TEST_DATABASE_URL", "").startswith("postgresql"):
    pytestmark = [pytestmark, pytest.mark.skip(
        reason="replicas share a PostgreSQL database (SQLite serves one process); set "
        "ZONA_TEST_DATABASE_URL (CI's PostgreSQL pass runs this test)")]


# --- what the clients send, and what they were told ----------------------------------------

class Replicas:
    """The two servers as a client sees them: it sends to one, and when that one does not
    answer, sends the very same request to the other."""

    def __init__(self, a: ServerProcess, b: ServerProcess):
        self.servers = (a, b)
        self.killed = threading.Event()

    def send(self, client: httpx.Client, prefer: int, method: str, path: str,
             **kwargs) -> tuple[httpx.Response, bool]:
        """The answer and whether the request was sent again (no answer from the first)."""
        if self.killed.is_set():
            prefer = 1  # the client knows A is gone (the load balancer took it out)
        try:
            return client.request(method, self.servers[prefer].base + path, **kwargs), False
        except httpx.TransportError:
            if prefer == 1:
                raise
        # A died before answering: the very same request goes to B.
        return client.request(method, self.servers[1].base + path, **kwargs), True


@dataclass
class Outcome:
    """What one client was told."""

    acked: dict = field(default_factory=dict)  # its own id -> what the 2xx said
    retried: set = field(default_factory=set)  # ids sent again after no answer
    deferred: dict = field(default_factory=dict)  # id -> request, a key held by the dead A
    unexpected: list = field(default_factory=list)


class Load:
    def __init__(self, replicas: Replicas, seed: dict):
        self.replicas, self.seed = replicas, seed
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.out = {name: Outcome() for name in MIN_ACKS}
        self.turn = itertools.count()
        self.files: dict[str, bytes] = {}  # sha256 -> bytes of every file sent
        self.broke: list[str] = []  # a client that stopped on an exception: its traceback
        self.review_steps: dict[int, list[str]] = {}  # assessment -> steps done, in order
        self.answer_lost: set = set()  # (kind, id): done by the dead A, its answer lost
        self.coord = self.reviewer = None
        self.coord_csrf = self.reviewer_csrf = ""

    def prefer(self) -> int:
        return next(self.turn) % 2

    def run(self, name: str) -> None:
        """One client until the load stops (the reviewer: until its steps are done). An
        exception is kept for the test to show, not lost in the thread."""
        try:
            getattr(self, name)()
        except BaseException:  # every failure is shown by the test
            with self.lock:
                self.broke.append(f"{name}: {traceback.format_exc()}")

    def acks(self) -> dict[str, int]:
        with self.lock:
            return {name: len(o.acked) for name, o in self.out.items()}

    def _note(self, kind: str, ident, response: httpx.Response, retried: bool,
              request: dict | None = None) -> bool:
        out = self.out[kind]
        with self.lock:
            if retried:
                out.retried.add(ident)
            if 200 <= response.status_code < 300 or response.status_code == 303:
                out.acked[ident] = response
                return True
            if response.status_code == 409 and IN_FLIGHT in response.text and request:
                out.deferred[ident] = request
                return False
            out.unexpected.append(f"{kind} {ident}: {response.status_code} "
                                  f"{response.text[:300]}")
            return False

    # --- citizens: the public form, opened on one replica and sent to the other ------------

    def public(self) -> None:
        code = self.seed["code"]
        with httpx.Client(timeout=15) as client:
            for n in itertools.count(1):
                if self.stop.is_set():
                    return
                client.cookies.clear()  # a new visitor each time
                suggestion = f"warga-{n}"
                prefer = self.prefer()
                page, _ = self.replicas.send(client, prefer, "GET", f"/s/{code}")
                form = {"csrf_token": hidden(page.text, "csrf_token"),
                        "t": hidden(page.text, "t"), "website": "",
                        "suggestion": suggestion, **ikm_form()}
                sent, retried = self.replicas.send(client, 1 - prefer, "POST", f"/s/{code}",
                                                   data=form)
                self._note("public", suggestion, sent, retried)

    # --- a portal: survey answers in batches, a key per answer -----------------------------

    def batch(self) -> None:
        path = f"/api/v1/survey-campaigns/{self.seed['campaign_id']}/responses/batch"
        headers = {"Authorization": f"Bearer {self.seed['token']}"}
        with httpx.Client(timeout=15, headers=headers) as client:
            for n in itertools.count(1):
                if self.stop.is_set():
                    return
                keys = [f"portal-{n}-{i}" for i in range(5)]
                body = {"items": [{"idempotency_key": k, "suggestion": k,
                                   "answers": {IKM: {f"U{u}": (u + i) % 4 + 1
                                                     for u in range(1, 10)}}}
                                  for i, k in enumerate(keys)]}
                sent, retried = self.replicas.send(client, self.prefer(), "POST", path,
                                                   json=body)
                self._note("batch", tuple(keys), sent, retried)

    # --- a system: evidence uploaded on one replica, downloaded from the other -------------

    def evidence(self) -> None:
        path = f"/api/v1/units/{self.seed['unit_id']}/evidence"
        headers = {"Authorization": f"Bearer {self.seed['token']}"}
        with httpx.Client(timeout=15, headers=headers) as client:
            for n in itertools.count(1):
                if self.stop.is_set():
                    return
                content = PDF + f"%{n} {uuid.uuid4().hex}\n".encode() + os.urandom(2048)
                digest = hashlib.sha256(content).hexdigest()
                with self.lock:
                    self.files[digest] = content
                request = {"path": path, "files": {"file": (f"bukti-{n}.pdf", content,
                                                            "application/pdf")},
                           "data": {"title": f"Bukti {n}"},
                           "headers": {"Idempotency-Key": f"upload-{digest[:16]}"}}
                prefer = self.prefer()
                sent, retried = self.replicas.send(client, prefer, "POST", path,
                                                   files=request["files"],
                                                   data=request["data"],
                                                   headers=request["headers"])
                if not self._note("evidence", digest, sent, retried, request):
                    continue
                got, _ = self.replicas.send(client, 1 - prefer, "GET",
                                            sent.json()["download_url"])
                if got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != digest:
                    with self.lock:
                        self.out["evidence"].unexpected.append(
                            f"download {digest[:8]}: {got.status_code}")

    # --- people: a coordinator and a reviewer, each signed in on one replica ---------------

    def sign_in(self, client: httpx.Client, replica: int, username: str) -> str:
        base = self.replicas.servers[replica].base
        page = client.get(f"{base}/login")
        done = client.post(f"{base}/login", data={
            "username": username, "password": PASSWORD,
            "csrf_token": hidden(page.text, "csrf_token")})
        assert done.status_code == 303, done.text[:500]
        # The session made on one replica is good on the other: the same key signs it,
        # and the CSRF token the other hands out for it passes on the first.
        other = self.replicas.servers[1 - replica].base
        if self.replicas.killed.is_set():
            other = base  # after the kill only B is left
        me = client.get(f"{other}/api/v1/me")
        assert me.status_code == 200, me.text[:300]
        assert (me.json()["kind"], me.json()["id"]) == ("user", self.seed["world"].users[username])
        return hidden(client.get(f"{other}/login").text, "csrf_token")

    def review(self) -> None:
        with httpx.Client(timeout=15) as coord, httpx.Client(timeout=15) as reviewer:
            coord_csrf = self.sign_in(coord, 0, "coord_a1")
            reviewer_csrf = self.sign_in(reviewer, 1, "reviewer_a")
            for assessment_id in self.seed["assessments"]:
                steps = self.review_steps.setdefault(assessment_id, [])
                for step in ("submit", "return", "submit", "accept"):
                    if self.stop.is_set():
                        return
                    if not self.review_step(coord, coord_csrf, reviewer, reviewer_csrf,
                                            assessment_id, step, len(steps)):
                        break  # deferred (its key held by the dead A) or refused
                    steps.append(step)
                    self.stop.wait(REVIEW_PAUSE)

    def review_step(self, coord, coord_csrf, reviewer, reviewer_csrf, assessment_id: int,
                    step: str, number: int) -> bool:
        ident = (assessment_id, number, step)
        if step == "submit":
            path = f"/api/v1/assessments/{assessment_id}/submit"
            sent, retried = self.replicas.send(
                coord, self.prefer(), "POST", path, json={"note": "Siap direviu."},
                headers={"X-CSRF-Token": coord_csrf})
            if retried and sent.status_code == 409:
                # The dead A had submitted it before it could answer: the state says so
                # (checked against the database at the end).
                with self.lock:
                    self.out["review"].retried.add(ident)
                    self.out["review"].acked[ident] = sent
                return True
            return self._note("review", ident, sent, retried)
        body = {"decision": step, "note": f"Keputusan {step}.", "items": []}
        if step == "return":
            body["items"] = [{"ref": "PPA1A", "flagged": True, "note": "SK tim belum ada."}]
        else:  # the unit fixed it: the flag is lifted with the acceptance
            body["items"] = [{"ref": "PPA1A", "flagged": False}]
        path = f"/api/v1/assessments/{assessment_id}/reviews"
        request = {"path": path, "json": body,
                   "headers": {"X-CSRF-Token": reviewer_csrf,
                               "Idempotency-Key": f"review-{assessment_id}-{number}"}}
        sent, retried = self.replicas.send(reviewer, self.prefer(), "POST", path,
                                           json=body, headers=request["headers"])
        return self._note("review", ident, sent, retried, request)


# --- the test ------------------------------------------------------------------------------

def seed_database(url: str, mail: MailSink, hooks: WebhookSink) -> dict:
    """The organisation (tests.factories), e-mail addresses, the coordinator's daily
    digest, three complete assessments, a campaign, a token, a webhook subscription, and
    what the daily jobs will find: one overdue action item and one evidence link about to
    expire."""
    upgrade(url)
    engine = make_engine(url)
    today = datetime.now(WIB).date()
    with Session(engine, expire_on_commit=False) as db:
        survey_instruments.sync_bundled(db)
        frameworks.sync_bundled(db)
        world = build_world(db)
        for username, address in EMAILS.items():
            user = db.get(User, world.users[username])
            user.email = address
            db.add(user)
        db.commit()
        coord = principal(db, world, "coord_a1")
        inbox.set_preferences(db, actor=coord, choices={
            kind: "digest" for kind in inbox.preferences(db, actor=coord)})
        unit_id = world.unit("UNIT-A1")
        assessments = [new_assessment(db, world, year=year, complete=True).id
                       for year in YEARS]
        campaign = make_campaign(db, unit_id)
        token = tokens.create(db, actor=None, unit_id=unit_id, name="sistem",
                              scopes=["read", "write:indicators", "write:surveys"]).secret
        subscriptions.create(db, actor=None, unit_id=unit_id, allow_private_setting=True,
                             data=subscriptions.SubscriptionInput(
                                 url=hooks.url, events=["assessment.submitted",
                                                        "assessment.returned",
                                                        "assessment.accepted",
                                                        "action_item.overdue"]))
        db.add(ActionItem(unit_id=unit_id, area="manajemen_perubahan",
                          activity="Susun rencana kerja", person_in_charge="Ketua tim",
                          due_on=today - timedelta(days=3), status="berjalan"))
        db.commit()
        lke_evidence.add_link(db, actor=coord, unit_id=unit_id,
                              url="https://intranet.a1.go.id/sk-tim.pdf", title="SK Tim",
                              valid_until=today + timedelta(days=5))
    engine.dispose()
    return {"unit_id": unit_id, "campaign_id": campaign.id, "code": campaign.public_code,
            "token": token, "assessments": assessments, "world": world}


def replica_env(url: str, tmp_path, name: str, mail: MailSink,
                store: dict[str, str]) -> dict[str, str]:
    env = {**os.environ,
           # shared by every replica: the database, the file store (S3), the key, the
           # public address, the mail server and the jobs' time zone
           "ZONA_DATABASE_URL": url, "ZONA_SECRET_KEY": SECRET,
           **store,
           "ZONA_BASE_URL": "https://zona.uji.go.id", "ZONA_ENVIRONMENT": "development",
           "ZONA_SMTP_HOST": "127.0.0.1", "ZONA_SMTP_PORT": str(mail.port),
           "ZONA_SMTP_STARTTLS": "false", "ZONA_SMTP_FROM": "Zona Uji <zona@uji.go.id>",
           "ZONA_TIMEZONE": "Asia/Jakarta", "ZONA_DIGEST_HOUR": "0",
           "ZONA_JOBS_WORKER": "true", "ZONA_WEBHOOKS_WORKER": "true",
           "ZONA_WEBHOOKS_ALLOW_PRIVATE": "true",
           "ZONA_SURVEY_MIN_FILL_SECONDS": "0",
           "ZONA_SURVEY_THROTTLE_FLAG_AFTER": "1000000000",
           "ZONA_SURVEY_THROTTLE_REFUSE_AFTER": "1000000000",
           "ZONA_SURVEY_VELOCITY_FLOOR": "1000000",
           # each replica's own: its data folder, and short polls so the test is quick
           "ZONA_DATA_DIR": str(tmp_path / name), "ZONA_JOBS_POLL_SECONDS": "0.3",
           "ZONA_WEBHOOKS_POLL_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
    env.pop("ZONA_UPLOAD_DIR", None)  # each replica's own (under its data folder)
    return env


def wait_for(what: str, check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_two_replicas_one_killed_mid_load(scratch_database_url, tmp_path, s3_server):
    url = scratch_database_url
    store = s3_server.zona_env(f"replicas-{uuid.uuid4().hex[:10]}")  # a prefix of its own
    phases: dict[str, float] = {}
    clock = time.monotonic()

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    mail, hooks = MailSink(), WebhookSink()
    mail.start()
    hooks.start()
    seed = seed_database(url, mail, hooks)
    engine = make_engine(url)
    phase("seed")
    a = ServerProcess(replica_env(url, tmp_path, "a", mail, store), tmp_path / "a.log")
    b = ServerProcess(replica_env(url, tmp_path, "b", mail, store), tmp_path / "b.log")
    replicas = Replicas(a, b)
    load = Load(replicas, seed)
    threads: list[threading.Thread] = []
    started = time.monotonic()
    try:
        a.launch()
        b.launch()  # side by side: their first rounds of the daily jobs race
        # Two processes importing the app at once on a busy 2-core machine can take a while.
        a.wait_ready(timeout=150)
        b.wait_ready(timeout=150)
        phase("start")
        period = datetime.now(WIB).date().isoformat()

        def jobs_done():
            with engine.connect() as c:
                rows = c.execute(select(JobRun.job, JobRun.status)
                                 .where(JobRun.period == period)).all()
            return {job for job, status in rows if status == "done"} == DAILY_JOBS

        wait_for("the daily jobs", jobs_done)
        phase("jobs")

        threads = [threading.Thread(target=load.run, args=(name,), name=name, daemon=True)
                   for name in MIN_ACKS]
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - load_started < LOAD_LIMIT:
            acks = load.acks()
            if time.monotonic() - load_started >= MIN_LOAD_SECONDS and all(
                    acks[name] >= n for name, n in MIN_ACKS.items()):
                break
            assert load.broke == [], load.broke
            time.sleep(0.05)
        assert load.broke == [], load.broke
        # Every client is still sending; only the reviewer may be through its steps.
        assert all(t.is_alive() for t in threads if t.name != "review"), load.broke
        acked_before_kill = load.acks()
        phase("load")
        a.kill9()  # mid-load: every client is sending
        replicas.killed.set()
        time.sleep(AFTER_KILL_SECONDS)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        assert load.broke == [], load.broke
        unexpected = [u for o in load.out.values() for u in o.unexpected]
        assert unexpected == [], unexpected

        # The keys the dead A still holds: a client waits two minutes (IN_FLIGHT_TIMEOUT);
        # here the reservations are made two minutes older instead, then sent once more.
        with engine.begin() as c:
            c.execute(update(IdempotencyRecord)
                      .where(IdempotencyRecord.status_code.is_(None))
                      .values(created_at=datetime.now(UTC) - timedelta(minutes=3)))
        resolved: dict = {}
        with httpx.Client(timeout=15, headers={
                "Authorization": f"Bearer {seed['token']}"}) as system:
            for digest, request in load.out["evidence"].deferred.items():
                sent = system.post(b.base + request["path"], files=request["files"],
                                   data=request["data"], headers=request["headers"])
                resolved[("evidence", digest)] = sent
        with httpx.Client(timeout=15) as reviewer:
            csrf = load.sign_in(reviewer, 1, "reviewer_a")
            for ident, request in load.out["review"].deferred.items():
                headers = {**request["headers"], "X-CSRF-Token": csrf}
                resolved[("review", ident)] = reviewer.post(
                    b.base + request["path"], json=request["json"], headers=headers)
        for (kind, ident), sent in resolved.items():
            if sent.status_code == 409:
                # The dead A did it and died before storing its answer: "sudah dijalankan",
                # not run again (app.services.idempotency; the database is checked below).
                assert ANSWER_LOST in sent.text, sent.text[:300]
                load.answer_lost.add((kind, ident))
            else:
                assert sent.status_code in (200, 201), (kind, ident, sent.text[:300])
                load.out[kind].acked[ident] = sent
            if kind == "review":
                load.review_steps[ident[0]].append(ident[2])

        # Quiet: every e-mail and webhook that is due has gone out (those leased by the dead
        # A wait for its lease to end, longer than this test).
        dead = f":{a.process.pid}:"

        def settled():
            with engine.connect() as c:
                waiting = c.execute(select(func.count()).select_from(Notification).where(
                    Notification.email_mode == "now", Notification.email_id.is_(None)
                )).scalar_one()
                mails = c.execute(select(NotificationEmail.status, NotificationEmail.leased_by)
                                  ).all()
                deliveries = c.execute(select(WebhookDelivery.status,
                                              WebhookDelivery.leased_by)).all()
            return waiting == 0 and all(
                s == "sent" or (by or "").find(dead) >= 0 for s, by in mails) and all(
                s == "succeeded" or (by or "").find(dead) >= 0 for s, by in deliveries)

        phase("after the kill")
        wait_for("e-mails and webhooks sent", settled)
        phase("settle")
        check_everything(engine, load, seed, mail, hooks, b, period, dead)
        phase("check")
        print(f"\nreplicas: acknowledged before the kill {acked_before_kill}; in all "
              f"{load.acks()}; sent again after the kill "
              f"{ {k: len(o.retried) for k, o in load.out.items()} }; keys held by the dead "
              f"replica {sum(len(o.deferred) for o in load.out.values())}; e-mails "
              f"{len(mail.messages)}; webhooks {sum(hooks.received().values())}; "
              f"answers lost with the dead replica {len(load.answer_lost)}; "
              f"{time.monotonic() - started:.1f} s {phases}")
    finally:
        load.stop.set()
        a.stop()
        b.stop()
        mail.stop()
        hooks.stop()
        engine.dispose()


def check_everything(engine, load: Load, seed: dict, mail: MailSink, hooks: WebhookSink,
                     b: ServerProcess, period: str, dead: str) -> None:
    world = seed["world"]
    with engine.connect() as c:
        responses = c.execute(select(SurveyResponse.id, SurveyResponse.channel,
                                     SurveyResponse.idempotency_key,
                                     SurveyResponse.suggestion)).all()
        evidence = c.execute(select(Evidence.id, Evidence.sha256)
                             .where(Evidence.kind == "file")).all()
        submissions = c.execute(select(LkeSubmission.assessment_id, LkeSubmission.round)).all()
        reviews = c.execute(select(LkeReview.assessment_id, LkeReview.submission_id,
                                   LkeReview.level, LkeReview.decision)
                            .order_by(LkeReview.id)).all()
        runs = c.execute(select(JobRun.job, JobRun.status, JobRun.attempts)
                         .where(JobRun.period == period)).all()
        notes = Counter(c.execute(select(Notification.kind, Notification.user_id)).all())
        emails = c.execute(select(NotificationEmail.id, NotificationEmail.dedupe_key,
                                  NotificationEmail.status, NotificationEmail.leased_by,
                                  NotificationEmail.to_address, NotificationEmail.subject)
                           ).all()
        messages = c.execute(select(WebhookMessage.msg_id, WebhookMessage.type)).all()

    # Public forms: every thank-you page is one stored answer; a form sent again after no
    # answer is stored once too.
    web = Counter(r.suggestion for r in responses if r.channel == "web")
    public = load.out["public"]
    assert set(web) == set(public.acked) and max(web.values()) == 1
    # Batches: every key acknowledged is stored once, with the id it was acknowledged with.
    api = {r.idempotency_key: r.id for r in responses if r.channel == "api"}
    assert max(Counter(r.idempotency_key for r in responses if r.channel == "api")
               .values()) == 1
    for keys, sent in load.out["batch"].acked.items():
        assert [item["id"] for item in sent.json()["items"]] == [api[k] for k in keys]

    # Evidence: one row per file acknowledged, the id it was acknowledged with; every file
    # in the database downloads from B byte for byte (those uploaded through A too).
    by_hash = Counter(row.sha256 for row in evidence)
    assert max(by_hash.values()) == 1, by_hash.most_common(3)
    ids = {row.sha256: row.id for row in evidence}
    for digest, sent in load.out["evidence"].acked.items():
        assert ids[digest] == sent.json()["id"]
    assert set(ids) <= set(load.files)  # nothing stored that was not sent
    assert {digest for kind, digest in load.answer_lost if kind == "evidence"} <= set(ids)
    with httpx.Client(timeout=15, headers={"Authorization": f"Bearer {seed['token']}"}) as c:
        for digest, evidence_id in ids.items():
            got = c.get(f"{b.base}/api/v1/evidence/{evidence_id}/download")
            assert got.status_code == 200 and got.content == load.files[digest]

    # Reviews: each step the clients saw done is in the database once, in order; nothing
    # twice (one submission per round, one decision per submission and level).
    assert len(set(submissions)) == len(submissions)
    assert len({(r.submission_id, r.level) for r in reviews}) == len(reviews)
    for assessment_id, steps in load.review_steps.items():
        rounds = sorted(r for aid, r in submissions if aid == assessment_id)
        decisions = [r.decision for r in reviews if r.assessment_id == assessment_id]
        assert rounds == list(range(1, steps.count("submit") + 1)), (steps, rounds)
        assert decisions == [s for s in steps if s != "submit"], (steps, decisions)

    # Scheduled jobs: each daily job ran once for today, on one replica (one row, one
    # attempt), though both ran the jobs worker from the same moment.
    assert sorted(job for job, _status, _attempts in runs) == sorted(DAILY_JOBS)
    assert {(status, attempts) for _job, status, attempts in runs} == {("done", 1)}
    # What they found, by hand: the overdue action item to the unit's team (the
    # coordinator and the member), the expiring link to its coordinator (who added it).
    team = [world.users["coord_a1"], world.users["member_a1"]]
    assert {user for (kind, user) in notes if kind == "action_item_overdue"} == set(team)
    assert all(notes[("action_item_overdue", user)] == 1 for user in team)
    assert notes[("evidence_expiring", world.users["coord_a1"])] == 1
    assert sum(n for (kind, _u), n in notes.items() if kind == "evidence_expiring") == 1
    # The overdue scan of the webhook sender (both replicas scan): one event.
    assert [t for _m, t in messages].count("action_item.overdue") == 1

    # E-mails: every sent row reached the SMTP server once; none twice. The coordinator's
    # digest of today holds the two notifications the jobs wrote for them (the review's
    # wait for tomorrow's digest); the member had the action item at once.
    received = mail.message_ids()
    assert max(received.values()) == 1
    for row in emails:
        message_id = f"<zona-{row.id}-{row.dedupe_key or ''}@zona>".replace(":", ".")
        if row.status == "sent":
            assert received[message_id] == 1, row
        else:
            assert dead in (row.leased_by or ""), row  # held by the dead replica's lease
    digests = [row for row in emails if (row.dedupe_key or "").startswith("digest:")]
    assert [(row.to_address, row.subject) for row in digests] == [
        (EMAILS["coord_a1"], f"[Zona] Ringkasan harian Zona {period}: 2 pemberitahuan")]
    # Webhooks: every event reached the receiver once (none twice).
    got = hooks.received()
    assert max(got.values()) == 1
    assert set(got) <= {m for m, _t in messages}


def test_replicas_starting_together_each_migrate_and_all_succeed(scratch_database_url,
                                                                 tmp_path):
    """Every container runs `zona migrate` before it serves (scripts/prestart.sh); three
    replicas starting at once on a new database take turns (a PostgreSQL advisory lock):
    all three succeed, the schema is at head and the data files are loaded once."""
    import subprocess
    import sys

    from app.migrate import at_head
    from app.models.lke.assessments import LkeFramework
    from tests.support.server_process import ROOT

    env = {**os.environ, "ZONA_DATABASE_URL": scratch_database_url,
           "ZONA_DATA_DIR": str(tmp_path)}
    processes = [subprocess.Popen([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    engine = make_engine(scratch_database_url)
    try:
        assert at_head(engine)
        with engine.connect() as c:
            frameworks_loaded = c.execute(select(func.count()).select_from(LkeFramework))
            assert frameworks_loaded.scalar_one() == 1
        # one of them loaded the framework; the others found it there
        assert sum("LKE framework loaded" in out for out in outputs) == 1
    finally:
        engine.dispose()
