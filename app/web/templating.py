"""Jinja2 templates: one environment, full pages or one block of the same page for htmx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.deps import csrf_token
from app.i18n import LANGUAGE_NAMES, LANGUAGES, format_date, format_number, gettext

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
env = templates.env

LEVEL_NAMES = {
    "ministry": "Kementerian",
    "eselon1": "Unit Eselon I",
    "regional": "Kantor Wilayah",
    "unit": "Unit Kerja",
}

# The unit menu. Capabilities append (label, path under /units/{id}, permission).
NAV_ITEMS: list[tuple[str, str, str]] = [
    ("Dasbor", "", "unit.read"),
    ("Log audit", "/audit", "audit.read"),
    ("Token API", "/tokens", "tokens.manage"),
]


def nav_items(unit, principal) -> list[dict[str, str]]:
    return [
        {"label": label, "href": f"/units/{unit.id}{suffix}"}
        for label, suffix, permission in NAV_ITEMS
        if principal is not None and principal.can(permission, unit.id)
    ]


env.globals.update(
    level_names=LEVEL_NAMES,
    nav_items=nav_items,
    _=gettext,
    fmt=format_number,
    fmt_date=format_date,
    LANGUAGES=LANGUAGES,
    LANGUAGE_NAMES=LANGUAGE_NAMES,
)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    return {
        "request": request,
        "lang": getattr(request.state, "language", "id"),
        "csrf_token": csrf_token(request),
        "principal": principal,
        **context,
    }


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page; with `block`, only that block of the same template (htmx swaps)."""
    ctx = _context(request, context or {})
    if block is None:
        return templates.TemplateResponse(
            request, name, ctx, status_code=status_code, headers=headers
        )
    template = env.get_template(name)
    html = "".join(template.blocks[block](template.new_context(ctx)))
    return HTMLResponse(html, status_code=status_code, headers=headers)
