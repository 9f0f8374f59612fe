"""After a delete, the page says what was deleted and offers its undo; after an undo, what came
back. One helper for the pages outside the programme (survey services and sources, webhook
subscriptions, evidence); the programme pages name their kind in the same parameters.

The delete redirects to its list with ``?deleted=<id>``; the list calls :func:`notice` with
how to find the deleted row (a service use case, which checks the permission) and where its
undo posts. The undo (a service ``restore`` use case, audited as ``restore``) redirects with
``?restored=<id>``. The notice is rendered by ``components/undo.html`` from the layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from app.i18n import gettext as _
from app.services.errors import Forbidden, NotFound


def _row_id(request: Request, param: str) -> int | None:
    raw = request.query_params.get(param) or ""
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


def notice(request: Request, *, deleted: Callable[[int], str], restored: Callable[[int], str],
           action: Callable[[int], str], note: str = "") -> dict[str, Any]:
    """``{"undo": {...}}`` after a delete, ``{"flash": ...}`` after an undo, else {}.

    ``deleted(id)`` / ``restored(id)`` name the row ("Layanan 'Loket'") or raise NotFound;
    ``action(id)`` is the undo's address; ``note`` is added after an undo (what did not come
    back with the row)."""
    try:
        row_id = _row_id(request, "deleted")
        if row_id is not None:
            return {"undo": {"text": deleted(row_id), "action": action(row_id)}}
        row_id = _row_id(request, "restored")
        if row_id is not None:
            return {"flash": _("Dipulihkan: ") + restored(row_id) + "." + (
                " " + note if note else "")}
    except (NotFound, Forbidden):
        pass
    return {}
