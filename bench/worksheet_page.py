"""Requests/s of the LKE worksheet page (all questions answered) beside a bare Jinja2 page.

Each is served by uvicorn (uvicorn[standard]: uvloop + httptools, one worker) in a
subprocess on 127.0.0.1 and loaded for a bounded time by `wrk` (apt-get install -y wrk) or,
when wrk is missing, a bounded asyncio httpx client. Loopback only; everything started here is
stopped here.

    /work/venv/bin/python -m bench.worksheet_page [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench._seed import PASSWORD, seed

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(target: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def with_wrk(url: str, cookie: str, duration: int, connections: int) -> tuple[float, str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
               "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors while loading {url}:\n{out}")
    if "ZONA_BENCH_DEBUG" in os.environ:
        print(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out)
    return rps, p50.group(1) if p50 else "?"


async def with_httpx(url: str, cookie: str, duration: int, connections: int):
    done = 0
    stop_at = time.monotonic() + duration
    headers = {"Cookie": cookie} if cookie else {}
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        async def worker():
            nonlocal done
            while time.monotonic() < stop_at:
                response = await client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {response.status_code}")
                done += 1

        start_at = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.monotonic() - start_at), "?"


def load(url: str, cookie: str, duration: int, connections: int) -> tuple[float, str]:
    if shutil.which("wrk"):
        return with_wrk(url, cookie, duration, connections)
    return asyncio.run(with_httpx(url, cookie, duration, connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per load run (<=60)")
    parser.add_argument("--connections", type=int, default=2,
                        help="concurrent connections (a slow page with many connections shares the GIL: every request finishes late and a short run counts none)")
    args = parser.parse_args()
    duration = max(1, min(args.duration, 60))
    tool = "wrk" if shutil.which("wrk") else "httpx (asyncio)"

    seeded = seed()
    env = {
        "ZONA_DATABASE_URL": seeded.database_url,
        "ZONA_DATA_DIR": str(seeded.settings.data_dir),
        "ZONA_SECRET_KEY": seeded.settings.secret_key,
        "ZONA_ENVIRONMENT": "development",
    }
    results = {}

    port = free_port()
    bare = start(["bench.bare_jinja:app"], port, env)
    try:
        load(f"http://127.0.0.1:{port}/", "", 2, args.connections)  # warm up
        results["bare"] = load(f"http://127.0.0.1:{port}/", "", duration, args.connections)
    finally:
        stop(bare)

    port = free_port()
    server = start(["app.main:create_app", "--factory"], port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            client.get("/login")
            csrf = client.cookies.get("zona_csrf")
            response = client.post("/login", data={"username": seeded.username,
                                                   "password": PASSWORD, "csrf_token": csrf})
            assert response.status_code == 303, response.text
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            page = client.get(f"/assessments/{seeded.assessment_id}")
            assert page.status_code == 200, page.status_code
            size = len(page.content)
            assert "PPA1A" in page.text and "HPA1A" in page.text
        url = f"{base}/assessments/{seeded.assessment_id}"
        with httpx.Client(timeout=60, headers={"Cookie": cookie}) as warm:
            for _ in range(3):  # warm up without leaving requests in flight
                assert warm.get(url).status_code == 200
        results["worksheet"] = load(url, cookie, duration, args.connections)
    finally:
        stop(server)

    bare_rps, bare_p50 = results["bare"]
    ws_rps, ws_p50 = results["worksheet"]
    print(f"load: {tool}, {args.connections} connections, {duration} s per page, "
          "uvicorn 1 worker (uvloop/httptools), loopback")
    print(f"bare Jinja2 page              : {bare_rps:9.1f} req/s   (median latency {bare_p50})")
    print(f"worksheet page, 113 answered  : {ws_rps:9.1f} req/s   (median latency {ws_p50}, "
          f"{size // 1024} KiB)")
    print(f"worksheet / bare              : {ws_rps / bare_rps:9.3f}")


if __name__ == "__main__":
    main()
