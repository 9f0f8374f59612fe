"""Time in CPython's garbage collector per request, default settings vs `app.runtime`.

In process (no server, no network: the figures do not depend on the machine's other load as
much as wall times do), on a fresh demo database: the unit dashboard, the worksheet page, the
largest area's htmx fragment and an htmx answer save, each requested `--requests` times in a
row, with `gc.callbacks` timing every collection. Run twice per round in child processes, one
with CPython's defaults and one after `app.runtime.tune_garbage_collector()` (what the app's
lifespan does at start-up), alternating; prints per page the collector's milliseconds per
request by generation and the process CPU milliseconds per request.

    .venv/bin/python -m bench.gc_pauses [--requests 60] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGES = ("dashboard", "worksheet", "fragment", "save")


def measure(tuned: bool, requests: int) -> None:
    """The child: sign in, warm up, time the pages (env: the demo database)."""
    import fastapi.dependencies.utils
    import fastapi.routing
    import httpx

    from app.main import create_app
    from app.runtime import tune_garbage_collector

    async def inline(func, *args, **kwargs):  # sync endpoints in this thread: CPU counted
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline
    fastapi.dependencies.utils.run_in_threadpool = inline
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()),
                               base_url="http://testserver")

    def call(method: str, url: str, **kwargs) -> httpx.Response:
        response = loop.run_until_complete(client.request(method, url, **kwargs))
        if response.status_code >= 400:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return response

    login = call("GET", "/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    call("POST", "/login", data={"username": "koordinator", "password": "zona-demo-2026",
                                 "csrf_token": csrf})
    unit = int(re.search(r"/units/(\d+)", call("GET", "/").headers.get("location", "")
                         or "/units/4").group(1))
    listed = call("GET", f"/units/{unit}/assessments").text
    assessment = max(int(x) for x in re.findall(r'href="/assessments/(\d+)"', listed))
    page = call("GET", f"/assessments/{assessment}").text
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)
    saves = iter(range(10**9))
    pages = {
        "dashboard": lambda: call("GET", f"/units/{unit}"),
        "worksheet": lambda: call("GET", f"/assessments/{assessment}"),
        "fragment": lambda: call("GET", f"/assessments/{assessment}/areas/PPF",
                                 headers={"HX-Request": "true"}),
        "save": lambda: call("POST", f"/assessments/{assessment}/answers/PPA1B",
                             data={"option": "AB"[next(saves) % 2], "penjelasan": "Simpan uji"},
                             headers={"HX-Request": "true", "X-CSRF-Token": token}),
    }
    for request in pages.values():
        for _ in range(3):
            request()
    if tuned:
        tune_garbage_collector()
    pauses: dict[int, list[float]] = {}
    started: list[float] = []

    def timer(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        else:
            pauses.setdefault(info["generation"], []).append(time.perf_counter() - started.pop())

    gc.callbacks.append(timer)
    for name, request in pages.items():
        pauses.clear()
        cpu = time.process_time()
        for _ in range(requests):
            request()
        cpu_ms = (time.process_time() - cpu) / requests * 1000
        per_gen = "  ".join(
            f"gen{g} {sum(pauses.get(g, [])) * 1000 / requests:6.2f} ms ({len(pauses.get(g, []))}x)"
            for g in (0, 1, 2))
        print(f"{'tuned' if tuned else 'default':8} {name:10} cpu {cpu_ms:6.2f} ms/request   "
              f"collector per request: {per_gen}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=("default", "tuned"))
    args = parser.parse_args()
    if args.child:
        measure(args.child == "tuned", args.requests)
        return
    data = Path(tempfile.mkdtemp(prefix="zona-bench-gc-"))
    env = {**os.environ,
           "ZONA_DATABASE_URL": f"sqlite:///{data / 'zona.sqlite3'}",
           "ZONA_DATA_DIR": str(data),
           "ZONA_SECRET_KEY": "bench-secret-" + "x" * 40,
           "ZONA_ENVIRONMENT": "development"}
    zona = str(Path(sys.executable).parent / "zona")
    for command in ("migrate", "demo"):
        subprocess.run([zona, command], env=env, check=True, capture_output=True)
    for _ in range(args.rounds):
        for mode in ("default", "tuned"):
            subprocess.run([sys.executable, "-m", "bench.gc_pauses", "--child", mode,
                            "--requests", str(args.requests)], env=env, check=True)


if __name__ == "__main__":
    main()
