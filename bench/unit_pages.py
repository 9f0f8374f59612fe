"""Requests/s of a unit's main pages on the demo data, beside a bare Jinja2 page.

The unit dashboard, the LKE worksheet, its largest area's htmx fragment, the survey overview
and a campaign's results, the innovation registry and two API calls, each loaded in turn by
`wrk` (or a bounded asyncio httpx client) against one uvicorn worker; and the latency of an
htmx answer save, one save at a time. Rounds are interleaved with the bare page (a busy
machine slows every load alike) and the medians printed with their ratio to the bare page.

The database is a fresh SQLite file with `zona migrate` and `zona demo` (the demo unit
KPPN-TJP, signed in as its coordinator). `--root` serves the app from another checkout of
Zona (its own `.venv`), e.g. a `git worktree` of an older commit, to compare before/after
with the same script.

    .venv/bin/python -m bench.unit_pages [--duration 5] [--rounds 3] [--connections 4]
    .venv/bin/python -m bench.unit_pages --root /tmp/zona-before
    .venv/bin/python -m bench.unit_pages --pages "unit dashboard,api assessments"
    .venv/bin/python -m bench.unit_pages --compare /tmp/zona-before --pages "unit dashboard"

``--compare`` serves a second checkout beside ``--root`` (each its own fresh demo database)
and loads every page on both in turn within each round: before/after on the same load.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.worksheet_page import free_port, load, stop

ROOT = Path(__file__).resolve().parent.parent
DEMO_USER, DEMO_PASSWORD = "koordinator", "zona-demo-2026"


def start(root: Path, python: str, target: list[str], port: int,
          env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [python, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd=root, env={**os.environ, **env},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


def seed(root: Path, env: dict[str, str]) -> None:
    zona = str(root / ".venv" / "bin" / "zona")
    for command in ("migrate", "demo"):
        subprocess.run([zona, command], cwd=root, env={**os.environ, **env}, check=True,
                       capture_output=True)


def sign_in(base: str) -> tuple[str, str, dict[str, int]]:
    """(cookie, the session's CSRF token for htmx, ids of the demo unit's rows)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post("/login", data={"username": DEMO_USER,
                                               "password": DEMO_PASSWORD, "csrf_token": csrf})
        assert response.status_code == 303, response.text
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        unit = int(re.search(r"/units/(\d+)", client.get("/").headers.get(
            "location", "") or "/units/4").group(1))
        listed = client.get(f"/units/{unit}/assessments").text
        assessment = max(int(x) for x in re.findall(r'href="/assessments/(\d+)"', listed))
        page = client.get(f"/assessments/{assessment}")
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
        surveys = client.get(f"/units/{unit}/surveys").text
        campaign = min(int(x) for x in re.findall(
            rf'/units/{unit}/surveys/campaigns/(\d+)"', surveys))
    return cookie, token, {"unit": unit, "assessment": assessment, "campaign": campaign}


def timed_saves(base: str, cookie: str, token: str, url: str, seconds: float) -> float:
    """Median ms of htmx saves of one question, one after another, alternating its option."""
    latencies = []
    with httpx.Client(base_url=base, timeout=60, headers={"Cookie": cookie}) as client:
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at and len(latencies) < 300:
            option = "AB"[len(latencies) % 2]
            start_at = time.perf_counter()
            response = client.post(url, data={"option": option, "penjelasan": "Simpan uji"},
                                   headers={"HX-Request": "true", "X-CSRF-Token": token})
            latencies.append(time.perf_counter() - start_at)
            if response.status_code != 200 or "hx-swap-oob" not in response.text:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
    return statistics.median(latencies) * 1000


def page_paths(ids: dict[str, int]) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "unit dashboard": (f"/units/{ids['unit']}", {}),
        "worksheet page": (f"/assessments/{ids['assessment']}", {}),
        "area fragment (PPF)": (f"/assessments/{ids['assessment']}/areas/PPF",
                                {"HX-Request": "true"}),
        "survey overview": (f"/units/{ids['unit']}/surveys", {}),
        "survey results": (f"/units/{ids['unit']}/surveys/campaigns/{ids['campaign']}", {}),
        "innovations": (f"/units/{ids['unit']}/innovations", {}),
        "api assessments": (f"/api/v1/units/{ids['unit']}/assessments", {}),
        "api survey results": (f"/api/v1/survey-campaigns/{ids['campaign']}/results", {}),
    }


def serve(root: Path) -> tuple[subprocess.Popen, str, str, str, dict, dict[str, str]]:
    """Seed a fresh demo database for the checkout at ``root`` and serve it:
    (process, base URL, cookie, CSRF token, ids, env)."""
    data = Path(tempfile.mkdtemp(prefix="zona-bench-pages-"))
    env = {
        "ZONA_DATABASE_URL": f"sqlite:///{data / 'zona.sqlite3'}",
        "ZONA_DATA_DIR": str(data),
        "ZONA_SECRET_KEY": "bench-secret-" + "x" * 40,
        "ZONA_ENVIRONMENT": "development",
    }
    seed(root, env)
    port = free_port()
    process = start(root, str(root / ".venv" / "bin" / "python"),
                    ["app.main:create_app", "--factory"], port, env)
    base = f"http://127.0.0.1:{port}"
    cookie, token, ids = sign_in(base)
    return process, base, cookie, token, ids, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per load (<=30)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the Zona checkout to serve (with its own .venv)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a second checkout (e.g. main) served beside --root, every "
                             "page loaded on both in turn within each round")
    parser.add_argument("--pages", default="",
                        help="only these pages, comma-separated names (e.g. 'unit dashboard')"
                             "; the htmx save is then left out")
    args = parser.parse_args()
    duration = max(1, min(args.duration, 30))
    roots = [args.root.resolve()] + ([args.compare.resolve()] if args.compare else [])
    servers = []
    bare = None
    results: dict[tuple[int, str], list[float]] = {}
    bare_results: list[float] = []
    try:
        for root in roots:
            servers.append(serve(root))
        env = servers[0][5]
        bare_port = free_port()
        bare = start(ROOT, sys.executable, ["bench.bare_jinja:app"], bare_port, env)
        names = list(page_paths(servers[0][4]))
        if args.pages:
            wanted = {name.strip() for name in args.pages.split(",")}
            if wanted - set(names):
                raise SystemExit(f"unknown pages {sorted(wanted - set(names))}; "
                                 f"known: {', '.join(names)}")
            names = [name for name in names if name in wanted]
        for _process, base, cookie, _token, ids, _env in servers:
            paths = page_paths(ids)
            with httpx.Client(base_url=base, timeout=60, headers={"Cookie": cookie}) as warm:
                for name in names:
                    path, headers = paths[name]
                    for _ in range(3):
                        response = warm.get(path, headers=headers)
                        assert response.status_code == 200, (path, response.status_code)
        load(f"http://127.0.0.1:{bare_port}/", "", 2, args.connections)
        for _ in range(args.rounds):
            bare_results.append(
                load(f"http://127.0.0.1:{bare_port}/", "", duration, args.connections)[0])
            for name in names:
                for i, (_process, base, cookie, _token, ids, _env) in enumerate(servers):
                    path, headers = page_paths(ids)[name]
                    results.setdefault((i, name), []).append(
                        load(base + path, cookie, duration, args.connections, headers)[0])
            if not args.pages:
                for i, (_process, base, cookie, token, ids, _env) in enumerate(servers):
                    save_url = f"/assessments/{ids['assessment']}/answers/PPA1B"
                    results.setdefault((i, "htmx save ms"), []).append(
                        timed_saves(base, cookie, token, save_url, min(duration, 10)))
    finally:
        for server in servers:
            stop(server[0])
        if bare is not None:
            stop(bare)
    bare_rps = statistics.median(bare_results)
    print(f"{args.rounds} interleaved rounds of {duration} s, {args.connections} connections, "
          f"uvicorn 1 worker, loopback; medians")
    for i, root in enumerate(roots):
        print(f"[{i}] root {root}")
    print(f"{'bare Jinja2 page':26} {bare_rps:8.1f} req/s")
    for (i, name), values in results.items():
        if name == "htmx save ms":
            print(f"[{i}] {'htmx save':22} {statistics.median(values):8.1f} ms median, "
                  "one save at a time")
            continue
        rps = statistics.median(values)
        line = (f"[{i}] {name:22} {rps:8.1f} req/s   {rps / bare_rps:6.3f} x bare   "
                f"({1000 / rps * args.connections:6.1f} ms a request under load)")
        if i and (0, name) in results:
            line += f"   [0]/[{i}] {statistics.median(results[(0, name)]) / rps:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
