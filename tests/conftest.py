"""Test setup: a real database built by the migrations (SQLite by default, PostgreSQL when
ZONA_TEST_DATABASE_URL points at a server), the app in-process over httpx, and helpers.

Nothing here is built unless a test asks for it: a pure domain test gets no database, no
migrations and no app, and this file imports neither the app nor its web and API faces
(``create_app`` is imported inside the ``app`` fixture), so a test that uses only the
services proves that the services work without them.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from app.config import Settings
from app.db import make_engine
from tests.support.browser import screenshot

# The file store fixtures (a real S3 server: SeaweedFS, or the one ZONA_TEST_S3_URL names).
pytest_plugins = ["tests.support.s3"]

# Reference data, kept between tests: the migrations' own rows and the bundled survey
# instruments (loaded once, when the engine is first asked for).
KEEP_TABLES: set[str] = {"alembic_version", "survey_instrument"}


def _create_postgres_database(base_url: str) -> str:
    """A fresh database on the given server for this test run."""
    url = make_url(base_url)
    name = f"zona_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url_text: str) -> None:
    url = make_url(url_text)
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """argon2 with minimal cost in tests only (the real cost is ~0.1 s per hash on purpose)."""
    from argon2 import PasswordHasher

    from app.security import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    from app.migrate import upgrade

    base = os.environ.get("ZONA_TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        url = _create_postgres_database(base)
        upgrade(url)
        yield url
        _drop_postgres_database(url)
    else:
        path = tmp_path_factory.mktemp("db") / "zona-test.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


@pytest.fixture
def scratch_database_url(tmp_path) -> Iterator[str]:
    """A new, empty database of the kind under test (no migrations run), dropped afterwards."""
    base = os.environ.get("ZONA_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = _create_postgres_database(base)
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret-key-" + "x" * 32,
        upload_dir=data_dir / "uploads",
        webhooks_worker=False,  # a test that wants the sender runs it (tests/webhooks/)
    )


@pytest.fixture(scope="session")
def app(settings):
    from app.main import create_app

    return create_app(settings)


@pytest.fixture(scope="session")
def engine(app):
    from app.services.surveys import instruments as survey_instruments

    engine = app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        survey_instruments.sync_bundled(session)
    return engine


def wipe(engine) -> None:
    """Empty every table but the reference data, children first."""
    importlib.import_module("app.models")  # every table registered in the metadata
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                connection.execute(table.delete())


#: Fixtures through which a test writes to the database; it is emptied after such a test.
DATABASE_FIXTURES = ("engine", "db", "client")


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty the database after a test that used it; a test that did not gets nothing built.

    ``request.fixturenames`` holds every fixture the test needs, directly or through others
    (``world`` needs ``db``), so the engine is asked for only when it is in use anyway.
    """
    if not any(name in request.fixturenames for name in DATABASE_FIXTURES):
        yield
        return
    engine = request.getfixturevalue("engine")
    yield
    wipe(engine)


@pytest.fixture
def db(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make_client(app):
    """Extra independent clients (each with its own cookies)."""
    clients: list[httpx.AsyncClient] = []

    def factory(ip: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 50000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(c)
        return c

    yield factory
    import asyncio

    for c in clients:
        try:
            asyncio.get_event_loop().run_until_complete(c.aclose())
        except RuntimeError:
            pass


@pytest.fixture
def world(db):
    from tests.factories import build_world

    return build_world(db)


# --- real browser (Chromium from Debian, driven by Playwright) ----------------------------

CHROMIUM = os.environ.get("ZONA_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(app, engine):
    """The test app served by uvicorn on a free loopback port, for the browser tests."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    # Links in QR codes and posters come from ZONA_BASE_URL: where this server answers, as
    # scripts/start.sh sets it.
    settings, base_url = app.state.settings, app.state.settings.base_url
    settings.base_url = f"http://127.0.0.1:{port}"
    yield settings.base_url
    settings.base_url = base_url
    server.should_exit = True
    thread.join(timeout=10)
    wipe(engine)


@pytest.fixture
def browser():
    """Headless Chromium; the tests are skipped only when no Chromium is installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("ZONA_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture
def screenshots():
    """``screenshot`` as a fixture: ``screenshots(page, "name")``."""
    return screenshot


@pytest.fixture
def make_campaign(db, world):
    """Create an open survey campaign in a unit (default UNIT-A1, IKM only, open all of 2019-2099)."""

    def factory(unit_code: str = "UNIT-A1", *, instruments=("ikm-2017",), label="2019-S1",
                kind="semester", population=100, opens_on=None,
                closes_on=date(2099, 12, 31), title="Survei uji"):
        from app.services.surveys import campaigns

        if opens_on is None:  # open since 2019 (or since its period, for an earlier one)
            opens_on = date(min(2019, int(label[:4])), 1, 1)

        return campaigns.create_campaign(
            db, actor=None, unit_id=world.unit(unit_code),
            data=campaigns.CampaignInput(
                title=title, instrument_codes=list(instruments), period_kind=kind,
                period_label=label, opens_on=opens_on, closes_on=closes_on,
                population=population,
            ),
        )

    return factory


# --- single sign-on: a real OpenID provider (tests/oidc/provider.mjs, oidc-provider) -------


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """oidc-provider on a free loopback port for the whole run, stopped after.

    Installed by ``npm ci --prefix tests/oidc`` (.ci/run does it); without it the SSO tests
    are skipped locally and fail in CI.
    """
    from tests.support.oidc_provider import OidcProvider, node_ready

    if not node_ready():
        message = "oidc-provider not installed: npm ci --prefix tests/oidc"
        if os.environ.get("ZONA_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    provider = OidcProvider(tmp_path_factory.mktemp("oidc"))
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def sso_app(settings, engine, oidc_provider, tmp_path_factory):
    """The app signing in through that provider (same database as ``app``)."""
    from app.main import create_app
    from tests.support.oidc_provider import CLAIM_MAP, CLIENT_ID, CLIENT_SECRET

    claim_map = tmp_path_factory.mktemp("sso") / "claim-map.yaml"
    claim_map.write_text(CLAIM_MAP)
    sso_settings = settings.model_copy(update={
        "base_url": "http://testserver",
        "oidc_issuer": oidc_provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_name": "Kemenkeu",
        "oidc_scopes": "openid profile email zona",
        "oidc_claim_map": claim_map,
        "oidc_recheck_seconds": 60,
    })
    app = create_app(sso_settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
async def sso_client(sso_app, engine, oidc_provider) -> AsyncIterator[httpx.AsyncClient]:
    """A browser (cookies) on the SSO app; the provider's people as they were at the start."""
    oidc_provider.reset_users()
    transport = httpx.ASGITransport(app=sso_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
