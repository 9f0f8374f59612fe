"""A kiosk's sync interrupted halfway by a killed server resumes without loss or double count.

The server is a real `zona serve` subprocess on a fixed loopback port (the tablet's
IndexedDB belongs to its origin, so the restarted server must answer at the same address),
with its own data folder and a fresh database (SQLite file or a PostgreSQL database created
for the test). The tablet (Chromium) takes 12 answers offline and goes online; its second
batch reaches the server, which stores it and is killed (SIGKILL) before the tablet hears
back. The tablet keeps that batch (never confirmed) and what follows; after the restart it
sends them again: 12 answers stored, each once.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models.surveys.records import SurveyResponse
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import kiosks as survey_kiosks
from tests.support.server_process import ServerProcess, free_port
from tests.support.survey_forms import make_campaign, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True}
WAIT = 30_000  # ms: every wait is bounded


def answer(page, n: int) -> None:
    for item in range(1, 10):
        value = (n * 3 + item) % 4 + 1
        page.locator(f"input[name='ikm-2017.U{item}'][value='{value}'] + span").tap()
    page.locator("#kiosk-send").tap()
    page.locator("#kiosk-thanks").wait_for(state="visible", timeout=WAIT)
    page.locator("#kiosk-next").tap()


def wait_queue(page, n: int) -> None:
    page.wait_for_function(
        f"() => document.getElementById('kiosk-queue').textContent === '{n}'", timeout=WAIT)


def stored(engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(
            select(SurveyResponse.idempotency_key).order_by(SurveyResponse.id))]


def test_sync_interrupted_by_a_killed_server_resumes(scratch_database_url, tmp_path, browser):
    url = scratch_database_url
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        survey_instruments.sync_bundled(session)
        campaign = make_campaign(session, make_unit(session))
        issued = survey_kiosks.create(session, actor=None, campaign_id=campaign.id,
                                      name="Tablet loket 1")
    port = free_port()
    env = {
        **os.environ, "ZONA_DATABASE_URL": url, "ZONA_DATA_DIR": str(tmp_path / "data"),
        "ZONA_SECRET_KEY": "kiosk-crash-secret-" + "x" * 40,
        "ZONA_BASE_URL": f"http://127.0.0.1:{port}", "ZONA_WEBHOOKS_WORKER": "false",
        "ZONA_SURVEY_KIOSK_MIN_FILL_SECONDS": "0", "ZONA_SURVEY_KIOSK_MAX_PER_MINUTE": "1000",
    }
    server = ServerProcess(env, tmp_path / "server.log", port=port)
    server.start()
    # Request interception and a service worker do not mix in Playwright: this test needs
    # the first only (no reload offline here; test_kiosk_browser.py covers that).
    context = browser.new_context(service_workers="block", **TABLET)
    try:
        page = context.new_page()
        page.goto(f"{server.base}/kiosk/pair/{issued.secret}")
        page.locator("#pair-confirm").tap()
        page.wait_for_url(re.compile(r"/kiosk/\d+$"), timeout=WAIT)
        page.goto(page.url + "?batch=4")
        page.locator("#kiosk-form").wait_for(state="visible", timeout=WAIT)

        context.set_offline(True)
        for n in range(12):
            answer(page, n)
        wait_queue(page, 12)

        sent: list[list[str]] = []

        def batch(route) -> None:
            keys = [i["idempotency_key"] for i in json.loads(route.request.post_data)["items"]]
            sent.append(keys)
            if len(sent) == 2:
                reply = route.fetch()  # the server stores the second batch ...
                assert reply.status == 200
                server.kill9()  # ... and dies before the tablet hears back
                route.abort("connectionreset")
                return
            route.continue_()

        page.route("**/responses/batch", batch)
        context.set_offline(False)
        deadline = time.monotonic() + 30
        while (len(sent) < 2 or server.process.poll() is None) and time.monotonic() < deadline:
            page.wait_for_timeout(100)  # lets Playwright run the route handler
        assert server.process.poll() is not None, sent
        wait_queue(page, 8)  # the first batch confirmed; the second never was
        first, second = sent[0], sent[1]
        assert stored(engine) == first + second  # both batches reached the database
        assert int(page.locator("#kiosk-queue").inner_text()) == 8

        server.start()
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        wait_queue(page, 0)
        keys = stored(engine)
        assert len(keys) == 12 and len(set(keys)) == 12
        # the second batch was sent again after the restart and counted once
        assert [k for batch_keys in sent for k in batch_keys].count(second[0]) == 2
        assert set(keys) == {k for batch_keys in sent for k in batch_keys}
        with engine.connect() as connection:
            tally = connection.execute(
                select(func.count()).select_from(SurveyResponse)
                .where(SurveyResponse.reportable.is_(True))).scalar_one()
        assert tally == 12
    finally:
        context.close()
        server.stop()
        engine.dispose()
