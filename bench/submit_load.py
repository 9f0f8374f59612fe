"""Benchmark (a): the public submit endpoint under load on loopback, next to two baselines.

    .venv/bin/python -m bench.submit_load [--db sqlite|postgresql] [--seconds 10]
        [--connections 50] [--workers 1]

Starts each server (bench/submit_apps.py) as a uvicorn[standard] subprocess on 127.0.0.1,
loads it with wrk (POST, bench/post_form.lua; every request with a form token of its own, as
the form page serves them), checks every request was answered with the 303 the endpoint
gives, counts the stored rows, and prints responses/s and the ratios.
Goals: real >= 0.8x bare Core, real >= 3x Session-per-request ORM.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-secret-" + "x" * 40
CSRF = "bench-csrf-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


def make_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    name = f"zona_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_BASE.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str) -> tuple[str, str]:
    """Schema, instruments, one unit with an open IKM campaign; returns (code, form body)."""
    from datetime import date

    from sqlmodel import Session

    from app.db import make_engine
    from app.deps import anonymous_csrf_token
    from app.migrate import upgrade
    from app.services import units
    from app.services.surveys import campaigns as survey_campaigns
    from app.services.surveys import instruments as survey_instruments
    from bench.submit_apps import create_tables

    upgrade(url)
    create_tables(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        survey_instruments.sync_bundled(s)
        top = units.create(s, actor=None, code="KEMEN", name="Kementerian", level="ministry")
        unit = units.create(s, actor=None, code="KPPN", name="KPPN Bench", level="unit",
                            parent_id=top.id)
        campaign = survey_campaigns.create_campaign(s, actor=None, unit_id=unit.id, data=survey_campaigns.CampaignInput(
            title="Bench", instrument_codes=["ikm-2017"], period_kind="year", period_label="2026",
            opens_on=date(2020, 1, 1), closes_on=date(2099, 12, 31), population=1000))
        code = campaign.public_code
    engine.dispose()
    fields = {"csrf_token": anonymous_csrf_token(SECRET, CSRF),  # with cookie zona_csrf=CSRF
              "website": ""}
    fields.update({f"ikm-2017.U{n}": str((n % 4) + 1) for n in range(1, 10)})
    fields["suggestion"] = "Pelayanan cepat dan ramah."
    return code, urlencode(fields)  # each request adds its own form token ("t")


#: Form tokens written per load run: more than the fastest server answers in that time.
TOKENS_PER_SECOND = 9000


def write_tokens(path: Path, code: str, count: int) -> Path:
    """``count`` form tokens as the form page serves them, each with its own nonce."""
    from app.services.surveys import guard as survey_guard

    with path.open("w") as out:
        out.writelines(survey_guard.form_token(SECRET, code) + "\n" for _ in range(count))
    return path


def count_rows(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as c:
        n = c.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    engine.dispose()
    return n


def run(name: str, url: str, code: str, body: str, args) -> float:
    """One round: start the server, warm it up, load it with wrk, stop it."""
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": url, "ZONA_SECRET_KEY": SECRET,
           "ZONA_DATA_DIR": str(args.workdir), "ZONA_SURVEY_MIN_FILL_SECONDS": "0",
           "ZONA_SURVEY_THROTTLE_FLAG_AFTER": "1000000000",
           "ZONA_SURVEY_THROTTLE_REFUSE_AFTER": "1000000000",
           "ZONA_SURVEY_VELOCITY_FLOOR": "1000000000",
           "BENCH_BODY": body, "BENCH_CSRF": CSRF, "PYTHONPATH": str(ROOT)}
    if args.gather_ms is not None:
        env["BENCH_GATHER_MS"] = str(args.gather_ms)
    # Server output (wrk closing its connections at the end shows up as ClientDisconnect).
    log_path = args.workdir / f"{name}-{port}.log"
    server_log = open(log_path, "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", f"bench.submit_apps:{name}",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
         "--loop", "uvloop", "--http", "httptools", "--no-access-log",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stderr=server_log, stdout=server_log,
    )
    try:
        wait_port(port)
        target = f"http://127.0.0.1:{port}/s/{code}"
        lua = str(ROOT / "bench" / "post_form.lua")
        warm = write_tokens(args.workdir / f"warm-{port}.txt", code, 2 * TOKENS_PER_SECOND)
        subprocess.run(["wrk", "-t1", "-c10", "-d2s", "-s", lua, target],
                       env={**env, "BENCH_TOKENS": str(warm), "BENCH_THREADS": "1"},
                       capture_output=True, check=True)  # warm-up
        load = write_tokens(args.workdir / f"load-{port}.txt", code,
                            args.seconds * TOKENS_PER_SECOND)
        out = subprocess.run(
            ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s",
             "--timeout", "10s", "-s", lua, target],
            env={**env, "BENCH_TOKENS": str(load), "BENCH_THREADS": str(args.threads)},
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=20)
        server_log.close()
    writer_lines = [line.strip() for line in log_path.read_text().splitlines()
                    if line.startswith("writer:")]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    print(f"  {name:10s} {rate:9.1f} responses/s   ({total} requests, "
          f"latency avg {latency.group(1)}, non-2xx/3xx: {bad.group(1) if bad else 0}"
          f"{', socket errors: ' + errors.group(1) if errors else ''})", flush=True)
    for line in writer_lines:
        print(f"             {line}")
    if bad:
        raise SystemExit(f"{name}: {bad.group(1)} responses were not 303")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", default="bare_core,bare_orm,real")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gather-ms", type=float, default=None,
                        help="the intake writer's gather window (default: the product's)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    args.workdir = Path(tempfile.mkdtemp(prefix="zona-bench-"))
    url = make_database(args.db, args.workdir)
    try:
        code, body = prepare(url)
        print(f"submit benchmark: {args.db}, {args.connections} connections, {args.seconds} s, "
              f"{args.workers} uvicorn worker(s), wrk -t{args.threads}")
        names = args.only.split(",")
        samples: dict[str, list[float]] = {name: [] for name in names}
        for round_no in range(1, args.rounds + 1):
            # Interleaved rounds: a busy shared machine slows every server alike.
            print(f" round {round_no}/{args.rounds}")
            for name in names:
                samples[name].append(run(name, url, code, body, args))
        rates = {name: statistics.median(values) for name, values in samples.items()}
        print("  median responses/s: " + ", ".join(f"{n} {r:.1f}" for n, r in rates.items()))
        stored = count_rows(url, "survey_response")
        print(f"  stored survey responses: {stored} (suspect: "
              f"{count_rows(url, 'survey_response WHERE suspect')})")
        if "real" in rates and "bare_core" in rates:
            print(f"  real / bare Core insert : {rates['real'] / rates['bare_core']:.2f}x "
                  f"(goal >= 0.80x)")
        if "real" in rates and "bare_orm" in rates:
            print(f"  real / ORM per request  : {rates['real'] / rates['bare_orm']:.2f}x "
                  f"(goal >= 3.00x)")
    finally:
        drop_database(url)
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
