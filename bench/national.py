"""A unit's pages at national size against the one-unit demo database, and the roll-ups.

    .venv/bin/python -m bench.national                    # 1,000 units (seed cached)
    .venv/bin/python -m bench.national --small            # 50 units, a quick check
    .venv/bin/python -m bench.national --database-url postgresql+psycopg://postgres@127.0.0.1:5432/zona_national

Two databases: the demo data alone (one work unit, ``zona demo``) and the national one (the
same demo data plus the generated tree of bench/_national_seed.py: 1,000 units, 5 years of
fully answered assessments, 1,000,000 survey answers). The SQLite national file is cached
under $ZONA_BENCH_CACHE (default: the temp folder)/zona-bench-national, keyed by the seed
version and size, so a rerun skips the seed; on PostgreSQL the given database is seeded
once (a marker row records it) and the demo goes to "<name>_demo" on the same server.

For each database, the same steps:
1. queries per request, counted in-process (a SQLAlchemy event on the app's engine, one
   request through httpx's ASGI transport after a warm-up);
2. a real ``zona serve`` (one uvicorn worker) on 127.0.0.1: the median time of sequential
   requests (one client), requests/s under load (wrk, or an asyncio httpx loop without
   it), the server's RSS sampled during the loads, and the htmx answer save.
Pages: the demo unit's dashboard, its worksheet, its survey results, the htmx save, the
roll-up of the ministry and of one regional office, and the matching API calls. It prints
each figure for both databases and the ratio national / one-unit of the time (goal <= 1.5
for the unit's pages), the ministry roll-up time (goal <= 100 ms) and the RSS (<= 150 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

import app.models  # noqa: F401
from app.db import make_engine
from app.migrate import upgrade
from app.models.lke.assessments import Assessment
from app.models.surveys.records import SurveyCampaign
from app.models.units import Unit
from app.services import demo
from app.services.lke import answers as lke_answers
from app.services.lke import assessments, frameworks
from app.services.surveys import instruments as survey_instruments
from bench import _national_seed as national_seed
from bench._seed import full_changes
from bench.worksheet_page import free_port, load, stop, timed_saves

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-national-secret-" + "x" * 32
BENCH_YEAR = 2026  # the demo unit's fully answered, editable assessment (both databases)


@dataclass
class Target:
    """What the pages are about, looked up in each database."""

    unit_id: int
    assessment_id: int
    campaign_id: int
    ministry_id: int
    region_id: int
    pages: list[tuple[str, str, str]] = field(default_factory=list)  # (name, who, path)


def _sync(session: Session) -> None:
    frameworks.sync_bundled(session)
    survey_instruments.sync_bundled(session)


def _bench_assessment(session: Session, unit_id: int) -> int:
    """The demo unit's editable assessment with every question answered (services)."""
    found = session.execute(select(Assessment.id).where(
        Assessment.unit_id == unit_id, Assessment.year == BENCH_YEAR,
        Assessment.deleted_at.is_(None))).scalar()
    if found:
        return found
    a = assessments.create(session, actor=None, unit_id=unit_id, year=BENCH_YEAR, target="WBK")
    lke_answers.answer_many(session, actor=None, assessment_id=a.id,
                            changes=full_changes(assessments.framework_of(session, a)))
    return a.id


def _targets(session: Session, *, national: bool) -> Target:
    def unit(code: str) -> int:
        return session.execute(select(Unit.id).where(Unit.code == code)).scalar_one()

    kppn = unit("KPPN-TJP")
    assessment_id = _bench_assessment(session, kppn)
    campaign_id = session.execute(
        select(SurveyCampaign.id).where(SurveyCampaign.unit_id == kppn)
        .order_by(SurveyCampaign.id)).scalars().first()
    region = unit("NAT-E1-R01") if national else unit("KANWIL-BABEL")
    t = Target(kppn, assessment_id, campaign_id, unit("KEMENKEU"), region)
    t.pages = [
        ("unit dashboard", "koordinator", f"/units/{kppn}"),
        ("worksheet page", "koordinator", f"/assessments/{assessment_id}"),
        ("survey results", "koordinator", f"/units/{kppn}/surveys/campaigns/{campaign_id}"),
        ("API assessment", "koordinator", f"/api/v1/assessments/{assessment_id}"),
        ("API answers", "koordinator", f"/api/v1/assessments/{assessment_id}/answers"),
        ("API survey results", "koordinator",
         f"/api/v1/survey-campaigns/{campaign_id}/results"),
        ("roll-up ministry", "tpi", f"/units/{t.ministry_id}/rollup"),
        ("roll-up regional", "tpi", f"/units/{region}/rollup"),
        ("API roll-up ministry", "tpi", f"/api/v1/units/{t.ministry_id}/rollup"),
        ("API roll-up units ministry", "tpi",
         f"/api/v1/units/{t.ministry_id}/rollup/units?limit=50"),
        ("API roll-up regional", "tpi", f"/api/v1/units/{region}/rollup"),
        ("API roll-up surveys ministry", "tpi",
         f"/api/v1/units/{t.ministry_id}/rollup/surveys"),
    ]
    return t


# --- databases ---------------------------------------------------------------------------


def _create_pg_database(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": parsed.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def demo_database(base_url: str | None, folder: Path) -> str:
    if base_url:
        parsed = make_url(base_url)
        url = parsed.set(database=f"{parsed.database}_demo").render_as_string(
            hide_password=False)
        _create_pg_database(url)
    else:
        url = f"sqlite:///{(folder / 'demo.sqlite3').as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        _sync(session)
        demo.load(session)
    engine.dispose()
    return url


def national_database(base_url: str | None, size: national_seed.Size) -> str:
    if base_url:
        _create_pg_database(base_url)
        url, final = base_url, None
    else:
        cache = Path(os.environ.get("ZONA_BENCH_CACHE", tempfile.gettempdir()))
        cache = cache / "zona-bench-national"
        cache.mkdir(parents=True, exist_ok=True)
        final = cache / f"national-v{national_seed.SEED_VERSION}-{size.name}.sqlite3"
        if final.exists():
            url = f"sqlite:///{final.as_posix()}"
            upgrade(url)
            print(f"national database: cached {final}", flush=True)
            return url
        work = final.with_suffix(".seeding")
        work.unlink(missing_ok=True)
        url = f"sqlite:///{work.as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        _sync(session)
        if national_seed.is_seeded(session, size):
            print("national database: already seeded")
        else:
            print(f"seeding the national database ({size.work_units} units) ...", flush=True)
            national_seed.seed(session, size, log=lambda m: print(m, flush=True))
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
    engine.dispose()
    if final is not None:
        work.rename(final)
        url = f"sqlite:///{final.as_posix()}"
    return url


# --- measuring ---------------------------------------------------------------------------


def _env(url: str, folder: Path) -> dict[str, str]:
    return {"ZONA_DATABASE_URL": url, "ZONA_DATA_DIR": str(folder),
            "ZONA_SECRET_KEY": SECRET, "ZONA_ENVIRONMENT": "development"}


def _login(client, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username,
                                           "password": demo.DEMO_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 303, (username, response.status_code)


async def _count_queries(url: str, folder: Path, target: Target) -> dict[str, int]:
    """Statements per request, in-process (the second request of each page)."""
    from app.config import Settings
    from app.main import create_app

    application = create_app(Settings(database_url=url, data_dir=folder, secret_key=SECRET,
                                      environment="development"))
    counted = {"n": 0}

    def count(*_args):
        counted["n"] += 1

    engine = application.state.engine
    event.listen(engine, "before_cursor_execute", count)
    out = {}
    transport = httpx.ASGITransport(app=application)
    try:
        clients = {}
        for who in ("koordinator", "tpi"):
            client = httpx.AsyncClient(transport=transport, base_url="http://bench")
            page = await client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            response = await client.post("/login", data={
                "username": who, "password": demo.DEMO_PASSWORD, "csrf_token": csrf})
            assert response.status_code == 303
            clients[who] = client
        for name, who, path in target.pages:
            assert (await clients[who].get(path)).status_code == 200, path
            counted["n"] = 0
            assert (await clients[who].get(path)).status_code == 200, path
            out[name] = counted["n"]
        for client in clients.values():
            await client.aclose()
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    return out


class RssSampler:
    """The server's resident memory (VmRSS), sampled every 0.2 s while it runs."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
                kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                self.peak = max(self.peak, kb)
            except (OSError, AttributeError):
                pass
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    zona = Path(sys.executable).with_name("zona")
    process = subprocess.Popen(
        [str(zona), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240  # a loaded shared machine takes its time
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"zona serve on port {port} did not start")


def _sequential_ms(client: httpx.Client, path: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return statistics.median(times) * 1000


@dataclass
class Figures:
    queries: dict[str, int] = field(default_factory=dict)
    ms: dict[str, float] = field(default_factory=dict)
    rps: dict[str, float] = field(default_factory=dict)
    save_ms: float = 0.0
    rss_mb: float = 0.0


class Served:
    """One database behind its own ``zona serve``, with its two signed-in people."""

    def __init__(self, url: str, folder: Path, target: Target):
        self.url, self.target, self.port = url, target, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = _serve(_env(url, folder), self.port)
        self.clients = {who: httpx.Client(base_url=self.base, timeout=60)
                        for who in ("koordinator", "tpi")}
        for who, client in self.clients.items():
            _login(client, who)
        self.rss = RssSampler(self.process.pid)

    def cookie(self, who: str) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.clients[who].cookies.items())

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        stop(self.process)


def _interleaved_ms(servers: list[Served], page_index: int, rounds: int) -> list[float]:
    """Median time of each server's page, requests alternating between the servers (the
    machine's other work then weighs on both alike)."""
    times: list[list[float]] = [[] for _ in servers]
    for _ in range(rounds):
        for k, served in enumerate(servers):
            _name, who, path = served.target.pages[page_index]
            start = time.perf_counter()
            response = served.clients[who].get(path)
            times[k].append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
    return [statistics.median(t) * 1000 for t in times]


def measure(databases: list[tuple[str, Target]], folder: Path, args) -> list[Figures]:
    figures = [Figures(queries=asyncio.run(_count_queries(url, folder, target)))
               for url, target in databases]
    servers = [Served(url, folder, target) for url, target in databases]
    try:
        for served in servers:
            served.rss.__enter__()
        for index, (name, _who, _path) in enumerate(servers[0].target.pages):
            for served in servers:  # warm up
                for _ in range(3):
                    served.clients[served.target.pages[index][1]].get(
                        served.target.pages[index][2])
            for k, ms in enumerate(_interleaved_ms(servers, index, args.rounds)):
                figures[k].ms[name] = ms
            for k, served in enumerate(servers):
                _name, who, path = served.target.pages[index]
                figures[k].rps[name], _p50 = load(served.base + path, served.cookie(who),
                                                  args.duration, args.connections)
            print(f"  {name}: " + ", ".join(f"{f.ms[name]:.1f} ms {f.rps[name]:.1f}/s"
                                           for f in figures), flush=True)
        for k, served in enumerate(servers):
            saver = served.clients["koordinator"]
            page = saver.get(f"/assessments/{served.target.assessment_id}")
            csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
            _n, figures[k].save_ms = timed_saves(
                saver, f"/assessments/{served.target.assessment_id}/answers/PPA1B", csrf,
                min(args.duration, 10))
    finally:
        for k, served in enumerate(servers):
            served.rss.__exit__()
            figures[k].rss_mb = served.rss.peak / 1024
            served.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL database for the national data (created and seeded "
                             "once; the demo goes to <name>_demo). Default: SQLite files.")
    parser.add_argument("--small", action="store_true", help="50 units, 20,000 survey answers")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20,
                        help="sequential requests per page for the median time")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    size = national_seed.SMALL if args.small else national_seed.FULL
    folder = Path(tempfile.mkdtemp(prefix="zona-bench-national-"))

    t0 = time.perf_counter()
    demo_url = demo_database(args.database_url, folder)
    national_url = national_database(args.database_url, size)
    print(f"databases ready in {time.perf_counter() - t0:.0f} s")
    databases = []
    for url, national in ((demo_url, False), (national_url, True)):
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            databases.append((url, _targets(session, national=national)))
        engine.dispose()
    print("measuring (one-unit, national) ...", flush=True)
    one, nat = measure(databases, folder, args)
    tool = "wrk" if shutil.which("wrk") else "httpx (asyncio)"
    dialect = make_url(national_url).get_backend_name()
    print(f"\n{dialect}; national: {size.work_units} generated units; load: {tool}, "
          f"{args.connections} connections, {args.duration} s per page; time = median of "
          f"{args.rounds} sequential requests; zona serve, 1 worker")
    print(f"{'':28} {'one-unit':>20} {'national':>20} {'time ratio':>10} {'queries':>9}")
    for name in one.ms:
        print(f"{name:28} {one.ms[name]:7.1f} ms {one.rps[name]:6.1f}/s "
              f"{nat.ms[name]:7.1f} ms {nat.rps[name]:6.1f}/s "
              f"{nat.ms[name] / one.ms[name]:9.2f}x {one.queries[name]:4d}/{nat.queries[name]:<4d}")
    print(f"{'htmx save':28} {one.save_ms:7.1f} ms {'':8} {nat.save_ms:7.1f} ms {'':8} "
          f"{nat.save_ms / one.save_ms:9.2f}x")
    print(f"server RSS under load (peak): one-unit {one.rss_mb:.0f} MB, national "
          f"{nat.rss_mb:.0f} MB (goal <= 150 MB)")
    unit_pages = [n for n in one.ms if "roll-up" not in n]
    worst = max(nat.ms[n] / one.ms[n] for n in unit_pages)
    print(f"goals: per-unit pages/API national/one-unit worst {worst:.2f}x (<= 1.5x); "
          f"ministry roll-up {nat.ms['roll-up ministry']:.1f} ms (<= 100 ms), API "
          f"{nat.ms['API roll-up ministry']:.1f} ms")


if __name__ == "__main__":
    main()
