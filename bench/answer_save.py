"""Latency of the htmx answer save, this checkout against another one, interleaved.

Two uvicorn servers (one worker each) on their own fresh demo databases (`zona migrate`,
`zona demo`): this checkout and `--root` (another checkout with its own `.venv`, e.g. a
`git worktree` of main). Each round times one save at a time for a few seconds on each server
alternately, one save on one server then one on the other (the question PPA1B, its option
alternating, the question plus out-of-band scores back; a busy machine slows both alike), and
as many `GET /healthz` (the floor a request costs on this machine). Medians; the ratio
after/before.

    .venv/bin/python -m bench.answer_save --root /tmp/zona-main [--saves 400]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.unit_pages import ROOT, seed, sign_in, start, timed_saves
from bench.worksheet_page import free_port, stop


def timed(client: httpx.Client, method: str, url: str, **kwargs) -> float:
    start_at = time.perf_counter()
    response = client.request(method, url, **kwargs)
    elapsed = time.perf_counter() - start_at
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True,
                        help="the checkout to compare with (its own .venv)")
    parser.add_argument("--saves", type=int, default=400, help="saves per server")
    args = parser.parse_args()
    servers = {}
    try:
        for name, root in (("before", args.root.resolve()), ("after", ROOT)):
            data = Path(tempfile.mkdtemp(prefix=f"zona-bench-save-{name}-"))
            env = {"ZONA_DATABASE_URL": f"sqlite:///{data / 'zona.sqlite3'}",
                   "ZONA_DATA_DIR": str(data),
                   "ZONA_SECRET_KEY": "bench-secret-" + "x" * 40,
                   "ZONA_ENVIRONMENT": "development"}
            seed(root, env)
            port = free_port()
            servers[name] = start(root, str(root / ".venv" / "bin" / "python"),
                                  ["app.main:create_app", "--factory"], port, env)
            base = f"http://127.0.0.1:{port}"
            cookie, token, ids = sign_in(base)
            url = f"/assessments/{ids['assessment']}/answers/PPA1B"
            timed_saves(base, cookie, token, url, 1)  # warm up
            servers[name] = (servers[name], base, cookie, token, url)
        saves: dict[str, list[float]] = {"before": [], "after": []}
        floor: dict[str, list[float]] = {"before": [], "after": []}
        clients = {name: httpx.Client(base_url=entry[1], timeout=60,
                                      headers={"Cookie": entry[2]})
                   for name, entry in servers.items()}
        for n in range(args.saves):
            for name in ("before", "after") if n % 2 else ("after", "before"):
                _, _, _, token, url = servers[name]
                saves[name].append(timed(
                    clients[name], "POST", url,
                    data={"option": "AB"[n % 2], "penjelasan": "Simpan uji"},
                    headers={"HX-Request": "true", "X-CSRF-Token": token}))
                floor[name].append(timed(clients[name], "GET", "/healthz"))
    finally:
        for entry in servers.values():
            stop(entry[0] if isinstance(entry, tuple) else entry)
    before, after = statistics.median(saves["before"]), statistics.median(saves["after"])
    print(f"{args.saves} saves per server, alternating between them, one at a time, "
          f"uvicorn 1 worker, SQLite, loopback; medians")
    print(f"before ({args.root}): save {before:6.2f} ms   GET /healthz "
          f"{statistics.median(floor['before']):5.2f} ms")
    print(f"after  ({ROOT}): save {after:6.2f} ms   GET /healthz "
          f"{statistics.median(floor['after']):5.2f} ms")
    print(f"after / before: {after / before:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
