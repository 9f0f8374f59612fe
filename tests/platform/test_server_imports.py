"""A serving process does not load what only a few commands or pages need (docs/perf.md,
"Server memory"): Alembic with Mako and Pygments (migrating), cryptography (SSO tokens),
segno (QR codes), openpyxl and python-docx (files written on request), PyYAML (bundled
framework and instrument files, SSO claim maps: read by the CLI, never by a page) and
xml.sax with urllib.request (the SVG charts escape their text themselves)."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = ("alembic", "mako", "pygments", "cryptography", "segno", "openpyxl", "docx",
                "yaml", "xml")
#: Standard-library modules checked by their full name (their packages are loaded anyway).
NOT_AT_START_FULL = ("urllib.request",)

PROBE = """
import json, sys, tempfile
from pathlib import Path
from app.config import Settings
from app.main import create_app
folder = Path(tempfile.mkdtemp())
create_app(Settings(data_dir=folder, database_url=f"sqlite:///{folder}/z.sqlite3",
                    secret_key="probe-" + "x" * 32))
print(json.dumps(sorted(sys.modules)))
"""


def test_create_app_leaves_the_heavy_libraries_unloaded():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    modules = set(json.loads(out.strip().splitlines()[-1]))
    loaded = {name.split(".")[0] for name in modules}
    assert loaded.isdisjoint(NOT_AT_START), sorted(loaded & set(NOT_AT_START))
    assert modules.isdisjoint(NOT_AT_START_FULL), sorted(modules & set(NOT_AT_START_FULL))
