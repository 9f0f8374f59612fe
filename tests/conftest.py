"""Test setup: a real database built by the migrations (SQLite by default, PostgreSQL when
ZONA_TEST_DATABASE_URL points at a server), the app in-process over httpx, and helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade

# Tables whose rows the migrations load (reference data): kept between tests.
KEEP_TABLES: set[str] = {"alembic_version"}


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


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret-key-" + "x" * 32,
        upload_dir=data_dir / "uploads",
    )


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def engine(app):
    return app.state.engine


def wipe(engine) -> None:
    """Empty every table but the reference data, children first."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(request, engine):
    yield
    if "engine" in request.fixturenames or "db" in request.fixturenames or \
            "client" in request.fixturenames:
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
    yield f"http://127.0.0.1:{port}"
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


SCREENSHOT_DIR = Path(os.environ.get("ZONA_SCREENSHOTS", "screenshots"))


def screenshot(page, name: str) -> None:
    """Keep a picture of what a person saw (screenshots/ is git-ignored)."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
