"""Requests/s of the LKE worksheet page (all questions answered) beside a bare Jinja2 page.

Also: requests/s of the largest area's questions as htmx loads them when the area is opened,
the time to open the page and then every area one after another, and the latency of an htmx
save (the question and the out-of-band score updates).

Each is served by uvicorn (uvicorn[standard]: uvloop + httptools, one worker) in a
subprocess on 127.0.0.1 and loaded for a bounded time by `wrk` (apt-get install -y wrk) or,
when wrk is missing, a bounded asyncio httpx client. Loopback only; everything started here is
stopped here.

    .venv/bin/python -m bench.worksheet_page [--duration 10] [--connections 16]
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
BIG_AREA = "PPF"  # the area with the most questions (19) and options (73)


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


def with_wrk(url: str, cookie: str, duration: int, connections: int,
             headers: dict[str, str] | None = None) -> tuple[float, str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
               "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors while loading {url}:\n{out}")
    if "ZONA_BENCH_DEBUG" in os.environ:
        print(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out)
    return rps, p50.group(1) if p50 else "?"


async def with_httpx(url: str, cookie: str, duration: int, connections: int,
                     extra: dict[str, str] | None = None):
    done = 0
    stop_at = time.monotonic() + duration
    headers = {"Cookie": cookie} if cookie else {}
    headers.update(extra or {})
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


def load(url: str, cookie: str, duration: int, connections: int,
         headers: dict[str, str] | None = None) -> tuple[float, str]:
    if shutil.which("wrk"):
        return with_wrk(url, cookie, duration, connections, headers)
    return asyncio.run(with_httpx(url, cookie, duration, connections, headers))


def timed_saves(client: httpx.Client, url: str, csrf: str, seconds: float) -> tuple[int, float]:
    """htmx saves of one question, one after another, alternating its option, for at most
    ``seconds`` (and 400 saves): (count, median latency in ms)."""
    latencies = []
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at and len(latencies) < 400:
        option = "AB"[len(latencies) % 2]
        start_at = time.perf_counter()
        response = client.post(url, data={"option": option, "penjelasan": "Simpan uji"},
                               headers={"HX-Request": "true", "X-CSRF-Token": csrf})
        latencies.append(time.perf_counter() - start_at)
        if response.status_code != 200 or "hx-swap-oob" not in response.text:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    latencies.sort()
    return len(latencies), latencies[len(latencies) // 2] * 1000


def whole_worksheet(client: httpx.Client, page_url: str, area_urls: list[str],
                    rounds: int = 5) -> tuple[float, int]:
    """The page and then every other area opened, one request after another: (median total
    ms, total bytes): what a person who opens every area waits for in all."""
    totals, size = [], 0
    for _ in range(rounds):
        start_at, size = time.perf_counter(), 0
        size += len(client.get(page_url).content)
        for url in area_urls:
            response = client.get(url, headers={"HX-Request": "true"})
            assert response.status_code == 200, (url, response.status_code)
            size += len(response.content)
        totals.append(time.perf_counter() - start_at)
    totals.sort()
    return totals[len(totals) // 2] * 1000, size


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
            login_page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
            response = client.post("/login", data={"username": seeded.username,
                                                   "password": PASSWORD, "csrf_token": csrf})
            assert response.status_code == 303, response.text
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            page = client.get(f"/assessments/{seeded.assessment_id}")
            assert page.status_code == 200, page.status_code
            # The session's token, as htmx sends it (bound to the session, not the cookie).
            csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
            size = len(page.content)
            # The page carries every area with its score and the questions of the first
            # one; the other areas' questions load (htmx) when opened.
            assert "PPA1A" in page.text and "/areas/HPA" in page.text
            area_refs = re.findall(r'/areas/([A-Z]+)" hx-trigger', page.text)
        url = f"{base}/assessments/{seeded.assessment_id}"
        area_url = f"{url}/areas/{BIG_AREA}"
        hx = {"HX-Request": "true"}
        with httpx.Client(timeout=60, headers={"Cookie": cookie}) as warm:
            for _ in range(3):  # warm up without leaving requests in flight
                assert warm.get(url).status_code == 200
                area = warm.get(area_url, headers=hx)
                assert area.status_code == 200 and "PPF1A" in area.text
            area_size = len(area.content)
            whole_ms, whole_size = whole_worksheet(
                warm, url, [f"{url}/areas/{ref}" for ref in area_refs])
        results["worksheet"] = load(url, cookie, duration, args.connections)
        results["area"] = load(area_url, cookie, duration, args.connections, hx)
        with httpx.Client(base_url=base, timeout=60, headers={"Cookie": cookie}) as saver:
            saves, save_ms = timed_saves(saver, f"/assessments/{seeded.assessment_id}"
                                         "/answers/PPA1B", csrf, min(duration, 15))
    finally:
        stop(server)

    bare_rps, bare_p50 = results["bare"]
    ws_rps, ws_p50 = results["worksheet"]
    print(f"load: {tool}, {args.connections} connections, {duration} s per page, "
          "uvicorn 1 worker (uvloop/httptools), loopback")
    print(f"bare Jinja2 page              : {bare_rps:9.1f} req/s   (median latency {bare_p50})")
    area_rps, area_p50 = results["area"]
    print(f"worksheet page, 113 answered  : {ws_rps:9.1f} req/s   (median latency {ws_p50}, "
          f"{size // 1024} KiB)")
    print(f"worksheet / bare              : {ws_rps / bare_rps:9.3f}")
    print(f"area {BIG_AREA} (htmx, 19 questions): {area_rps:9.1f} req/s   (median latency "
          f"{area_p50}, {area_size // 1024} KiB)")
    print(f"page + all {len(area_refs)} other areas, one after another: {whole_ms:7.1f} ms "
          f"({whole_size // 1024} KiB), median of 5")
    print(f"htmx save (question + OOB)    : {save_ms:9.1f} ms median over {saves} saves, "
          "one at a time")


if __name__ == "__main__":
    main()
