"""A pytest plugin for test_lean_tests: at the end of a run, write which of the app's
faces (app.main, app.web, app.api) were imported to the file named by ZONA_IMPORT_PROBE."""

from __future__ import annotations

import json
import os
import sys

FACES = ("app.main", "app.web", "app.api")


def pytest_sessionfinish(session) -> None:
    target = os.environ.get("ZONA_IMPORT_PROBE")
    if target:
        loaded = sorted(
            name for name in sys.modules
            if any(name == face or name.startswith(face + ".") for face in FACES)
        )
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(loaded, handle)
