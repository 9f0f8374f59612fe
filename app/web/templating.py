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


# Menu entries (by path suffix) shown together under one heading instead of on the bar.
NAV_GROUPS: dict[str, list[str]] = {
    "Program ZI": ["/timeline", "/innovations", "/team", "/action-plan", "/partnerships",
                   "/pillars", "/milestones"],
    "Pengaturan": ["/audit", "/tokens"],
}


def nav_items(unit, principal) -> list[dict]:
    """The unit menu: single links first, then the groups, each kept to what the user may open."""
    if principal is None:
        return []
    grouped = {suffix: group for group, suffixes in NAV_GROUPS.items() for suffix in suffixes}
    links: list[dict] = []
    groups: dict[str, list[dict]] = {group: [] for group in NAV_GROUPS}
    for label, suffix, permission in NAV_ITEMS:
        if not principal.can(permission, unit.id):
            continue
        item = {"kind": "link", "label": label, "href": f"/units/{unit.id}{suffix}"}
        if suffix in grouped:
            groups[grouped[suffix]].append(item)
        else:
            links.append(item)
    for group, items in groups.items():
        items.sort(key=lambda item: NAV_GROUPS[group].index(item["href"].split(str(unit.id), 1)[1]))
        if items:
            links.append({"kind": "group", "label": group, "items": items})
    return links


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
