"""A serving process does not load what only a few commands or pages need (docs/perf.md,
"Server memory"): Alembic with Mako and Pygments (migrating), cryptography (SSO tokens),
segno (QR codes), openpyxl and python-docx (files written on request)."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = ("alembic", "mako", "pygments", "cryptography", "segno", "openpyxl", "docx")

PROBE = """
import json, sys, tempfile
from pathlib import Path
from app.config import Settings
from app.main import create_app
folder = Path(tempfile.mkdtemp())
create_app(Settings(data_dir=folder, database_url=f"sqlite:///{folder}/z.sqlite3",
                    secret_key="probe-" + "x" * 32))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_create_app_leaves_the_heavy_libraries_unloaded():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert loaded.isdisjoint(NOT_AT_START), sorted(loaded & set(NOT_AT_START))
