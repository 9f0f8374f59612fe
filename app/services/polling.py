"""One background thread of the app that calls a worker's ``run_once`` every few seconds
until it is stopped: the webhook sender, the scheduled jobs and the evidence bundle builder
each run in one. The work itself is leased in the database, so every replica may run them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("zona.polling")


class PollingThread:
    def __init__(self, *, name: str, run_once: Callable[[], object], poll_seconds: float,
                 on_stop: Callable[[], None] | None = None):
        self._run_once = run_once
        self._on_stop = on_stop
        self.poll = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_once()
            except Exception:  # pragma: no cover - logged, the next round tries again
                log.exception("%s: round failed", self._thread.name)
            self._stop.wait(self.poll)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._on_stop is not None:
            self._on_stop()
        if self._thread.is_alive():
            self._thread.join(timeout)
