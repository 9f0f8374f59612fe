"""Pure domain tests run without a database or the app: the autouse fixtures of
tests/conftest.py build those only for a test that asks for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_TESTS = ["tests/lke/domain", "tests/surveys/domain", "tests/programme/domain"]


@pytest.mark.slow  # runs the domain tests again, in a child pytest
def test_domain_tests_build_no_database_and_no_app(tmp_path):
    probe = tmp_path / "faces.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--setup-show",
         "-p", "tests.platform.import_probe", *DOMAIN_TESTS],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "ZONA_IMPORT_PROBE": str(probe)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # "SETUP    S database_url" or "SETUP    F fw[param]": the fixture's name is third.
    setups = {line.split()[2].split("[")[0] for line in result.stdout.splitlines()
              if line.strip().startswith("SETUP")}
    assert setups, "--setup-show listed no fixture: the run did not happen as expected"
    for fixture in ("database_url", "settings", "app", "engine", "db", "client", "world"):
        assert fixture not in setups, f"a domain test set up the '{fixture}' fixture"
    assert json.loads(probe.read_text(encoding="utf-8")) == []
