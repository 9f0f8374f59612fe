"""`kill -9` of the real server in the middle of a load of survey submits loses no
acknowledged answer, stores none twice, and leaves the tallies equal to a recount.

The server is `zona serve` in a subprocess on a free loopback port, with its own data folder
and a fresh database (SQLite file, or a PostgreSQL database created here and dropped after).
Several threads send public form submits (a freshly served form each time: CSRF cookie,
signed form time) and API submits (bearer token, idempotency key) until the server is
killed; every answer acknowledged (303 for the form, 201 for the API) is noted. After a
restart, the API submits that were in flight are sent again with their keys, and the stored
rows are compared with the notes.

What this proves is what a process crash can do (the database's own recovery: SQLite's WAL,
PostgreSQL's); an OS crash is what synchronous=FULL is for (tests/platform/test_durability.py
checks it is on every connection).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services.accounts import tokens
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import tallies as survey_tallies
from tests.support.server_process import ServerProcess
from tests.support.survey_forms import IKM, hidden, ikm_form, make_campaign, make_unit

pytestmark = pytest.mark.slow

SECRET = "crash-test-secret-" + "x" * 40
#: Load before the kill: at least this many acknowledged answers of each kind, and at least
#: this long, but never longer than LOAD_LIMIT seconds.
MIN_ACKS = 25
MIN_LOAD_SECONDS = 1.5
LOAD_LIMIT = 20.0
PUBLIC_THREADS = 2
API_THREADS = 2


class Load:
    """The submitting threads and what they were told."""

    def __init__(self, code: str, campaign_id: int, token: str):
        self.code, self.campaign_id, self.token = code, campaign_id, token
        self.base = ""
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.public_acked: set[str] = set()  # suggestions of the 303-ed form submits
        self.api_acked: dict[str, int] = {}  # idempotency key -> acknowledged response id
        self.api_unsure: set[str] = set()  # sent, no answer (the server died meanwhile)
        self.unexpected: list[str] = []  # any other answer: a failure of the test
        self.broke: list[str] = []  # how each thread ended (the server's death, or not)
        self.numbers = itertools.count(1)

    def public(self, worker: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while not self.stop.is_set():
                suggestion = f"formulir-{worker}-{next(self.numbers)}"
                client.cookies.clear()  # a new visitor each time (no device cookie)
                try:
                    page = client.get(f"/s/{self.code}")
                    if page.status_code != 200:
                        self._unexpected(f"GET form {page.status_code}")
                        continue
                    form = {"csrf_token": hidden(page.text, "csrf_token"),
                            "t": hidden(page.text, "t"), "website": "",
                            "suggestion": suggestion, **ikm_form()}
                    sent = client.post(f"/s/{self.code}", data=form)
                except httpx.TransportError as exc:
                    self.broke.append(repr(exc))
                    return  # the server died: not acknowledged
                if sent.status_code == 303:
                    with self.lock:
                        self.public_acked.add(suggestion)
                else:
                    self._unexpected(f"POST form {sent.status_code}: {sent.text[:200]}")

    def api(self, worker: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, timeout=10, headers=headers) as client:
            while not self.stop.is_set():
                key = f"kios-{worker}-{next(self.numbers)}"
                with self.lock:
                    self.api_unsure.add(key)
                try:
                    sent = self.send_api(client, key)
                except httpx.TransportError as exc:
                    self.broke.append(repr(exc))
                    return  # the server died: the key stays unsure, sent again later
                if sent.status_code == 201:
                    with self.lock:
                        self.api_unsure.discard(key)
                        self.api_acked[key] = sent.json()["id"]
                else:
                    self._unexpected(f"POST api {sent.status_code}: {sent.text[:200]}")

    def send_api(self, client: httpx.Client, key: str) -> httpx.Response:
        answers = {IKM: {f"U{n}": (n % 4) + 1 for n in range(1, 10)}}
        return client.post(
            f"/api/v1/survey-campaigns/{self.campaign_id}/responses",
            json={"answers": answers, "suggestion": key, "idempotency_key": key},
        )

    def _unexpected(self, what: str) -> None:
        if not self.stop.is_set():
            with self.lock:
                self.unexpected.append(what)

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.public_acked), len(self.api_acked)


def _tallies(connection) -> tuple[dict, dict]:
    answers = {tuple(row[:-1]): row[-1] for row in connection.execute(text(
        "SELECT campaign_id, service_key, instrument_code, item_code, value, answers "
        "FROM survey_tally WHERE answers <> 0"))}
    respondents = {tuple(row[:-1]): row[-1] for row in connection.execute(text(
        "SELECT campaign_id, service_key, state, profile_field, profile_option, respondents "
        "FROM survey_respondent_tally WHERE respondents <> 0"))}
    return answers, respondents


def test_kill_9_mid_load_loses_no_acknowledged_answer(scratch_database_url, tmp_path):
    url = scratch_database_url
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        survey_instruments.sync_bundled(session)
        unit_id = make_unit(session)
        campaign = make_campaign(session, unit_id)
        token = tokens.create(session, actor=None, unit_id=unit_id, name="kios",
                              scopes=["write:surveys"]).secret
    engine.dispose()

    env = {**os.environ,
           "ZONA_DATABASE_URL": url, "ZONA_DATA_DIR": str(tmp_path / "data"),
           "ZONA_SECRET_KEY": SECRET, "ZONA_ENVIRONMENT": "development",
           "ZONA_SURVEY_MIN_FILL_SECONDS": "0",
           # One address sends everything: the per-address throttle must not refuse it.
           "ZONA_SURVEY_THROTTLE_FLAG_AFTER": "1000000000",
           "ZONA_SURVEY_THROTTLE_REFUSE_AFTER": "1000000000",
           "PYTHONUNBUFFERED": "1"}
    env.pop("ZONA_UPLOAD_DIR", None)
    server = ServerProcess(env, tmp_path / "server.log")
    load = Load(campaign.public_code, campaign.id, token)
    threads: list[threading.Thread] = []
    try:
        server.start()
        load.base = server.base
        threads = [threading.Thread(target=load.public, args=(n,), daemon=True)
                   for n in range(PUBLIC_THREADS)]
        threads += [threading.Thread(target=load.api, args=(n,), daemon=True)
                    for n in range(API_THREADS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < LOAD_LIMIT:
            if time.monotonic() - started >= MIN_LOAD_SECONDS and \
                    min(load.counts()) >= MIN_ACKS:
                break
            time.sleep(0.05)
        # Mid-load: every thread is still sending when the server dies.
        assert all(thread.is_alive() for thread in threads), (load.broke, load.unexpected)
        server.kill9()
        time.sleep(0.3)  # the threads see the dead server
        load.stop.set()
        for thread in threads:
            thread.join(timeout=20)
        assert not any(thread.is_alive() for thread in threads)
        assert load.unexpected == []
        public_acked, api_acked = load.counts()
        assert public_acked >= MIN_ACKS and api_acked >= MIN_ACKS, load.counts()

        server.start()
        # The kiosks send again what was not acknowledged; whatever the dead server had
        # already stored answers 200 with the first response, the rest is stored now.
        resent: dict[str, int] = {}
        with httpx.Client(base_url=server.base, timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for key in sorted(load.api_unsure):
                sent = load.send_api(client, key)
                assert sent.status_code in (200, 201), sent.text
                resent[key] = sent.json()["id"]
            # The acknowledged ones are not stored again either.
            for key in sorted(load.api_acked)[:5]:
                sent = load.send_api(client, key)
                assert sent.status_code == 200 and sent.json()["duplicate"] is True
                assert sent.json()["id"] == load.api_acked[key]
        server.stop()
    finally:
        load.stop.set()
        server.stop()

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                select(SurveyResponse.id, SurveyResponse.channel, SurveyResponse.reportable,
                       SurveyResponse.idempotency_key, SurveyResponse.suggestion)
                .where(SurveyResponse.campaign_id == campaign.id)
            ).all()
            answers_per_response = dict(connection.execute(
                select(SurveyAnswer.response_id, func.count()).group_by(SurveyAnswer.response_id)
            ).all())
        print(f"acknowledged: {len(load.public_acked)} form, {len(load.api_acked)} API; "
              f"API in flight at the kill: {len(load.api_unsure)}; stored: {len(stored)}")
        api_rows = {row.idempotency_key: row.id for row in stored if row.channel == "api"}
        api_keys = Counter(row.idempotency_key for row in stored if row.channel == "api")
        web = Counter(row.suggestion for row in stored if row.channel == "web")

        # Every acknowledged answer is there, with the id it was acknowledged with ...
        assert {key: api_rows.get(key) for key in load.api_acked} == load.api_acked
        assert {key: api_rows.get(key) for key in resent} == resent
        assert set(load.public_acked) <= set(web)
        # ... once: no key and no form answer twice, nothing stored that was never sent.
        assert max(api_keys.values()) == 1 and max(web.values()) == 1
        assert set(api_keys) == set(load.api_acked) | set(resent)
        assert all(s.startswith("formulir-") for s in web)
        # Not acknowledged but stored (committed just before the kill) is allowed for the
        # form: the person saw no thank-you page; only a handful can be in flight.
        assert len(web) - len(load.public_acked) <= PUBLIC_THREADS
        # Every response whole: its 9 answers.
        assert {answers_per_response.get(row.id) for row in stored} == {9}

        # The running counts equal a recount from the stored answers and responses.
        with Session(engine) as session:
            kept = _tallies(session.connection())
            survey_tallies.recount(session)
            recounted = _tallies(session.connection())
            session.rollback()
        assert kept == recounted
        # ... and by hand: every counted response answered U1..U9 once; U9 = 1 only on the
        # form (4 3 3 2 4 4 3 3 1), the API sends (9 % 4) + 1 = 2.
        counted = [row for row in stored if row.reportable]
        assert sum(n for key, n in kept[0].items() if key[0] == campaign.id) == 9 * len(counted)
        assert kept[0].get((campaign.id, 0, IKM, "U9", 1), 0) == \
            sum(row.channel == "web" for row in counted)
    finally:
        engine.dispose()
