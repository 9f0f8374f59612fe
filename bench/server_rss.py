"""A server's resident memory (VmRSS) under N concurrent clients, at national size.

    .venv/bin/python -m bench.server_rss                       # cached national SQLite, 8 clients
    .venv/bin/python -m bench.server_rss --clients 8 --duration 15 --rounds 2
    .venv/bin/python -m bench.server_rss --root /tmp/zona-before   # also serve another checkout
    .venv/bin/python -m bench.server_rss --database-url postgresql+psycopg://postgres@127.0.0.1:5432/zona_national
    .venv/bin/python -m bench.server_rss --one-unit --clients 2   # the demo data only (no seed)
    .venv/bin/python -m bench.server_rss --one-unit --database-url postgresql+psycopg://postgres@127.0.0.1:5432/zona_rss

The database is bench/national.py's (the SQLite file cached under $ZONA_BENCH_CACHE, or the
given PostgreSQL database, seeded by `bench.national` first); with `--one-unit`, bench.national's
one-unit demo database instead (a fresh SQLite file, or "<name>_demo" on PostgreSQL; no seed). Each checkout (this one and
every `--root`, each with its own `.venv`) is served by its own `zona serve` (one uvicorn
worker, exactly as an operator starts it); the coordinator and the reviewer sign in, then
N threads, each with its own connection, request bench/national.py's pages in turn (the unit
dashboard, worksheet, survey results, the roll-ups of the ministry and a regional office, and
the matching API calls) for the given seconds. Printed per server: VmRSS after start, after
signing in, the peak during the load (sampled every 0.1 s) and at its end, and requests/s.
Rounds alternate between the checkouts so the machine's other work weighs on each alike.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import threading
import time
from pathlib import Path

import httpx
from sqlmodel import Session

from app.db import make_engine
from bench import _national_seed as national_seed
from bench.national import SECRET, _login, _targets, demo_database, national_database
from bench.worksheet_page import free_port, stop

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def serve(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(root / ".venv" / "bin" / "zona"), "serve", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=root, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"{root}: zona serve did not start")


def run_once(root: Path, env: dict[str, str], pages, clients: int, duration: float) -> dict:
    process, base = serve(root, env)
    try:
        started = rss_mb(process.pid)
        cookies = {}
        for who in ("koordinator", "tpi"):
            with httpx.Client(base_url=base, timeout=60) as client:
                _login(client, who)
                cookies[who] = dict(client.cookies)
        signed_in = rss_mb(process.pid)
        peak, done, failed = [signed_in], [0] * clients, []
        stop_at = time.monotonic() + duration

        def client_loop(k: int) -> None:
            sessions = {who: httpx.Client(base_url=base, timeout=120, cookies=c)
                        for who, c in cookies.items()}
            i = k  # each client starts at another page
            try:
                while time.monotonic() < stop_at:
                    _name, who, path = pages[i % len(pages)]
                    response = sessions[who].get(path)
                    if response.status_code != 200:
                        failed.append(f"{path}: HTTP {response.status_code}")
                        return
                    done[k] += 1
                    i += 1
            finally:
                for s in sessions.values():
                    s.close()

        threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peak.append(rss_mb(process.pid))
            time.sleep(0.1)
        elapsed = time.perf_counter() - t0
        if failed:
            raise SystemExit(failed[0])
        return {"start": started, "signed_in": signed_in, "peak": max(peak),
                "end": rss_mb(process.pid), "rps": sum(done) / elapsed}
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL database seeded by bench.national (default: the "
                             "cached national SQLite file)")
    parser.add_argument("--one-unit", action="store_true",
                        help="serve bench.national's one-unit demo database (quick, no seed)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15, help="seconds of load")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--root", type=Path, action="append", default=[],
                        help="another checkout to serve as well (with its own .venv)")
    args = parser.parse_args()
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"zona-bench-rss-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    if args.one_unit:
        url = demo_database(args.database_url, folder)
    else:
        url = args.database_url or national_database(None, national_seed.FULL)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        pages = _targets(session, national=not args.one_unit).pages
    engine.dispose()
    env = {"ZONA_DATABASE_URL": url, "ZONA_DATA_DIR": str(folder),
           "ZONA_SECRET_KEY": SECRET, "ZONA_ENVIRONMENT": "development"}
    roots = [ROOT, *(r.resolve() for r in args.root)]
    results: dict[Path, list[dict]] = {r: [] for r in roots}
    for _ in range(args.rounds):
        for root in roots:
            r = run_once(root, env, pages, args.clients, args.duration)
            results[root].append(r)
            print(f"{root}: start {r['start']:.0f} MB, signed in {r['signed_in']:.0f} MB, "
                  f"peak {r['peak']:.0f} MB, end {r['end']:.0f} MB, {r['rps']:.1f} req/s",
                  flush=True)
    print(f"\n{url.split(':')[0]}; {args.clients} clients x {args.duration:.0f} s over "
          f"{len(pages)} pages, zona serve (1 worker); medians of {args.rounds} round(s)")
    for root, rs in results.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print(f"{str(root):40} start {med['start']:5.0f} MB  peak {med['peak']:5.0f} MB  "
              f"{med['rps']:6.1f} req/s  (goal: peak <= 150 MB)")


if __name__ == "__main__":
    main()
