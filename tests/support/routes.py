"""Route paths with their parameters filled from the demo rows, for the garbage walks."""

from __future__ import annotations

import re

OTHER_PARAMS = {"fmt": "csv", "suffix": "x", "v": "1"}


def fill_path(path: str, demo, bad: str | None = None) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "unit_id":
            return str(demo.unit_id)
        if bad is not None:
            return bad
        if name == "ref":
            return demo.ref
        return str(demo.ids.get(name, OTHER_PARAMS.get(name, "x")))

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, path)
