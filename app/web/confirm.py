"""Confirm before what cannot be undone: one mechanism for every such form.

A form that needs a confirmation carries ``data-confirm="<question>"`` (on the form or on the
submit button). With JavaScript, ``/static/confirm.js`` asks the question and, when the person
agrees, adds ``confirmed=1`` to what is posted (plain forms and htmx forms alike). Without
JavaScript the POST arrives without ``confirmed``: the route calls :func:`confirmation_step`,
which answers with a page that says what will happen and offers Confirm / Cancel (the same
fields posted again with ``confirmed=1``) and changes nothing.

The API has no such step: a client that calls DELETE or POST a decision has decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response

from app.web.templating import is_htmx, render

CONFIRMED = ("1", "true", "yes", "on")
_SKIP = {"csrf_token", "confirmed"}


@dataclass(frozen=True)
class Step:
    """What the confirmation page says."""

    title: str  # the question: "Hapus pilar 'Integritas'?"
    consequence: str  # what will happen
    action: str  # the confirm button: "Ya, hapus"
    cancel: str  # where Cancel goes
    danger: bool = True
    details: tuple[str, ...] = field(default_factory=tuple)


async def is_confirmed(request: Request) -> bool:
    form = await request.form()
    return str(form.get("confirmed") or "").strip().lower() in CONFIRMED


async def confirmation_step(request: Request, step: Step, *, context: dict | None = None
                            ) -> Response | None:
    """None when the post carries ``confirmed``; otherwise the confirmation page (status
    200, nothing changed) that posts the same fields again with ``confirmed=1``."""
    if await is_confirmed(request):
        return None
    form = await request.form()
    fields = [(k, v) for k, v in form.multi_items() if k not in _SKIP and isinstance(v, str)]
    ctx = {**(context or {}), "step": step, "fields": fields, "action_url": request.url.path}
    if is_htmx(request):  # an htmx form posted without the browser's confirm: ask in the page
        return render(request, "pages/common/confirm.html", ctx, block="step",
                      headers={"HX-Retarget": "#main", "HX-Reswap": "innerHTML"})
    return render(request, "pages/common/confirm.html", ctx)
