"""Bundled framework data files (LKE versions, survey instruments).

Each LKE version is one YAML file named after its framework code, e.g. ``lke-zi-2021.yaml``.
A new regulation is a new file here, never a code change.
"""

from __future__ import annotations

from pathlib import Path

FRAMEWORKS_DIR = Path(__file__).resolve().parent

#: Code of the LKE framework used when nothing else is chosen.
DEFAULT_LKE_CODE = "lke-zi-2021"


def bundled_framework_paths() -> list[Path]:
    """Every bundled LKE framework file, sorted by name."""
    return sorted(FRAMEWORKS_DIR.glob("lke-*.yaml"))


def framework_path(code: str) -> Path:
    """Path of the bundled framework file for ``code``; ``FileNotFoundError`` if absent."""
    path = FRAMEWORKS_DIR / f"{code}.yaml"
    if path.parent != FRAMEWORKS_DIR or not path.is_file():
        raise FileNotFoundError(f"no bundled framework {code!r}")
    return path


def default_framework_path() -> Path:
    """Path of the default LKE framework (PermenPANRB 90/2021)."""
    return framework_path(DEFAULT_LKE_CODE)
