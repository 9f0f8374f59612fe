"""Process-wide tuning of CPython's garbage collector for a long-running server.

Measured in process on the demo data (docs/perf.md, "The garbage collector"): after start-up
the server holds ~365,000 container objects (modules, classes, SQLAlchemy mappers, the route
table, templates). CPython's default thresholds (700, 10, 10) run a young collection every few
hundred allocations (100-200 per dashboard request) and, every few dozen requests, a full
collection that walks all of those start-up objects: 130-470 ms in one pause, 4-8 ms a
dashboard request on average. Two settings remove nearly all of it:

- ``gc.freeze()`` once start-up is done moves every object alive then into a permanent
  generation the collector never walks again (they live as long as the process anyway);
- a young-generation threshold of 20,000 allocations instead of 700: a request's own
  short-lived cycles (ORM states, template contexts) are collected a few requests later
  instead of several times per request. It costs at most a few MB of garbage waiting.

Reference counting still frees everything that is not in a cycle immediately; only the
timing of cycle collection changes. Done once per process (the tests start many apps).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000

_tuned = False


def tune_garbage_collector() -> None:
    """Freeze the objects alive after start-up and collect young cycles less often (once)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
