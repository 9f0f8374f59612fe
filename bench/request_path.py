"""CPU time of signed-in requests served in process: the request path's fixed cost.

The app is driven as an ASGI callable on one asyncio loop (no server, no sockets), signed in
as the demo coordinator on a fresh demo SQLite database; each request is timed in process
CPU time (all threads: the loop and the worker threads), which a busy machine disturbs far
less than wall time. `/api/v1/me` has an almost empty handler, so it is mostly the path:
middleware, routing, the principal, worker-thread hops, the response.

    .venv/bin/python -m bench.request_path [--requests 300] [--repeats 5] [--pages me,api]
    .venv/bin/python -m bench.request_path --profile   # yappi (pip install yappi), CPU clock

Run it from two checkouts (each with its own .venv) for before/after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO_USER, DEMO_PASSWORD = "koordinator", "zona-demo-2026"


def prepare() -> None:
    data = Path(tempfile.mkdtemp(prefix="zona-bench-path-"))
    os.environ.update({
        "ZONA_DATABASE_URL": f"sqlite:///{data / 'zona.sqlite3'}",
        "ZONA_DATA_DIR": str(data),
        "ZONA_SECRET_KEY": "bench-secret-" + "x" * 40,
        "ZONA_ENVIRONMENT": "development",
    })
    zona = str(Path(sys.executable).parent / "zona")
    for command in ("migrate", "demo"):
        subprocess.run([zona, command], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pages", default="me,api assessment,unit dashboard,worksheet")
    parser.add_argument("--profile", action="store_true", help="yappi, CPU clock, top 40")
    args = parser.parse_args()
    prepare()

    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app()
    with TestClient(app) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post("/login", follow_redirects=False, data={
            "username": DEMO_USER, "password": DEMO_PASSWORD, "csrf_token": csrf})
        assert response.status_code == 303, response.text
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        unit = int(re.search(r"/units/(\d+)", client.get(
            "/", follow_redirects=False).headers["location"]).group(1))
        listed = client.get(f"/units/{unit}/assessments").text
        assessment = max(int(x) for x in re.findall(r'href="/assessments/(\d+)"', listed))
    paths = {
        "me": "/api/v1/me",
        "api assessment": f"/api/v1/assessments/{assessment}",
        "unit dashboard": f"/units/{unit}",
        "worksheet": f"/assessments/{assessment}",
    }

    async def one(path: str) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5555),
            "server": ("127.0.0.1", 8000), "state": {},
            "headers": [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie.encode())],
        }
        status = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        assert status == [200], (path, status)

    async def timed(path: str, n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            await one(path)
        return (time.process_time() - started) / n * 1000

    async def run() -> None:
        async with app.router.lifespan_context(app):
            for name in [p.strip() for p in args.pages.split(",")]:
                await timed(paths[name], 20)
                if args.profile:
                    import yappi

                    yappi.set_clock_type("cpu")
                    yappi.clear_stats()
                    yappi.start(builtins=False)
                    ms = await timed(paths[name], args.requests)
                    yappi.stop()
                    print(f"== {name}: {ms:.3f} ms CPU a request (under yappi); "
                          "ms a request: total, own, calls a request")
                    stats = sorted(yappi.get_func_stats(), key=lambda s: -s.ttot)[:40]
                    for s in stats:
                        print(f"{s.ttot / args.requests * 1000:8.3f} "
                              f"{s.tsub / args.requests * 1000:8.3f} "
                              f"{s.ncall / args.requests:6.1f}  {s.full_name[-110:]}")
                    continue
                runs = [await timed(paths[name], args.requests) for _ in range(args.repeats)]
                print(f"{name:16} {statistics.median(runs):7.3f} ms CPU a request (median of "
                      f"{args.repeats}; min {min(runs):.3f})")

    asyncio.run(run())


if __name__ == "__main__":
    main()
