"""Screenshots of what a person saw in the browser tests (screenshots/ is git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOT_DIR = Path(os.environ.get("ZONA_SCREENSHOTS", "screenshots"))


def screenshot(page, name: str) -> None:
    """Keep a picture of what a person saw (screenshots/ is git-ignored)."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
