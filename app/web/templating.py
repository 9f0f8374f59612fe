"""Jinja2 templates: one environment, full pages or one block of the same page for htmx.

Everything the templates reach besides their context is set here and only here: the unit menu
(``NAV_ITEMS``), the globals and the filters. Pages import ``render`` and never touch ``env``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Undefined
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.deps import csrf_token
from app.domain import programme as programme_domain
from app.domain.numbers import format_input
from app.domain.programme.impact import UNITS as IMPACT_UNITS
from app.domain.season import calendar as season_calendar
from app.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    gettext,
)
from app.services.documents.templating import SHARED_FILTERS, SHARED_GLOBALS, shown
from app.services.programme import inputs as programme_inputs
from app.services.season import inbox as season_inbox

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
env = templates.env
# Templates are files of the installed package: read and compiled once per process (as the
# documents' environment does), not checked on disk at every render and include (an
# os.stat each, ~50 a worksheet page). A template edited during development shows after a
# restart (`zona serve --reload` restarts on template changes too).
env.auto_reload = False

LEVEL_NAMES = {
    "ministry": "Kementerian",
    "eselon1": "Unit Eselon I",
    "regional": "Kantor Wilayah",
    "unit": "Unit Kerja",
}

# The unit menu: (label, path under /units/{id}, permission), in this order; the entries of
# NAV_GROUPS are shown under their heading, after the single links.
NAV_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("Dasbor", "", "unit.read"),
    ("Perjalanan ZI", "/timeline", "unit.read"),
    ("Log audit", "/audit", "audit.read"),
    ("Token API", "/tokens", "tokens.manage"),
    ("Webhook", "/webhooks", "webhooks.manage"),
    ("LKE ZI", "/assessments", "unit.read"),
    ("Kalender", "/calendar", "unit.read"),
    ("Eviden", "/evidence", "unit.read"),
    ("Inovasi", "/innovations", "unit.read"),
    ("Tim", "/team", "unit.read"),
    ("Rencana aksi", "/action-plan", "unit.read"),
    ("Kemitraan", "/partnerships", "unit.read"),
    ("Pilar", "/pillars", "unit.read"),
    ("Tonggak", "/milestones", "unit.read"),
    ("Reviu", "/reviews", "review.write"),
    ("Survei", "/surveys", "unit.read"),
    ("Rekap unit", "/rollup", "review.write"),
)
#: Menu entries for the offices above the units only (a work unit has nothing to roll up).
OFFICE_ONLY = frozenset({"/rollup"})


# Menu entries (by path suffix) shown together under one heading instead of on the bar.
NAV_GROUPS: dict[str, list[str]] = {
    "Program ZI": ["/timeline", "/innovations", "/team", "/action-plan", "/partnerships",
                   "/pillars", "/milestones"],
    "Pengaturan": ["/audit", "/tokens", "/webhooks"],
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
        if suffix in OFFICE_ONLY and unit.level == "unit":
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


def may_oversee(principal) -> bool:
    """Whether the oversight table (/oversight) belongs in this person's menu: reviewers
    (regional office, TPI) and administrators."""
    return principal is not None and principal.can("review.write")


# --- helpers the templates call ------------------------------------------------------------

_PROGRAMME_ENUMS: dict[str, Any] = {
    "stage": programme_domain.Stage, "phase": programme_domain.Phase,
    "area": programme_domain.ChangeArea, "origin": programme_domain.Origin,
    "metric": programme_domain.MetricKind, "direction": programme_domain.Direction,
    "level": programme_domain.TeamLevel, "role": programme_domain.ZiRole,
    "item_status": programme_domain.ItemStatus, "milestone": programme_domain.MilestoneKind,
    "partnership_state": programme_domain.PartnershipState,
}
_PROGRAMME_PLAIN = {
    "activity": programme_inputs.ACTIVITY_LABELS,
    "partner_kind": programme_inputs.PARTNER_LABELS,
    "innovation_status": programme_inputs.INNOVATION_STATUS_LABELS,
}


def prog_label(kind: str, value: Any, lang: str = "id") -> str:
    """Human label of a stored programme enum value (Indonesian or English)."""
    if value in (None, ""):
        return "-"
    if kind in _PROGRAMME_PLAIN:
        return gettext(_PROGRAMME_PLAIN[kind].get(value, str(value)), lang)
    try:
        return _PROGRAMME_ENUMS[kind](value).label.text(lang)
    except (KeyError, ValueError):
        return str(value)


def prog_choices(kind: str) -> list[str]:
    """The stored values of a programme enum, in order (for select boxes)."""
    if kind in _PROGRAMME_PLAIN:
        return list(_PROGRAMME_PLAIN[kind])
    return [m.value for m in _PROGRAMME_ENUMS[kind]]


def percent(value) -> Any:
    """An exact share (Fraction 0-1) as a percentage, or None."""
    return None if value is None else value * 100


def lang_query(request: Request, lang: str) -> str:
    """The current query string with ``lang`` replaced (keeps ``?src=`` on the switch)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return urlencode([*pairs, ("lang", lang)])


env.globals.update(
    level_names=LEVEL_NAMES,
    nav_items=nav_items,
    may_oversee=may_oversee,
    LANGUAGES=LANGUAGES,
    LANGUAGE_NAMES=LANGUAGE_NAMES,
    lang_query=lang_query,
    prog_label=prog_label,
    prog_choices=prog_choices,
    percent=percent,
    impact_units=IMPACT_UNITS,
    season_step_names=season_calendar.STEP_NAMES,
)
# The helpers pages share with printed documents (app.services.documents.templating).
env.globals.update(SHARED_GLOBALS)
env.filters.update(SHARED_FILTERS)


def num_input(value: Any) -> str:
    """A number in a form field as people type it ('12.500.000,50'); text someone typed
    (shown back after a refusal) unchanged; nothing for no value."""
    if value is None or isinstance(value, Undefined) or not isinstance(value, int | Decimal | str):
        return ""
    return format_input(value)


def stored_num(value: Any) -> str:
    """A number stored as machine text ('3.62', '1200') in a form field: '3,62', '1.200'."""
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, str):
        try:
            return format_input(Decimal(value.strip()))
        except ArithmeticError:
            return value
    return format_input(value)


env.filters["num_input"] = num_input
env.filters["stored_num"] = stored_num


# Set before any template is compiled: Jinja builds the call into each compiled expression.
env.finalize = shown


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _bell_count(request: Request, principal) -> Any:
    """The header bell's unread count, counted only when the layout draws the bell (a signed-in
    person's full page): one COUNT query, so the bell shows it without JavaScript."""
    def count() -> int:
        if principal is None or getattr(principal, "kind", None) != "user":
            return 0
        try:
            page_session = getattr(request.state, "db_session", None)
            if page_session is not None:
                return season_inbox.unread_count(page_session, actor=principal)
            with Session(request.app.state.engine) as session:
                return season_inbox.unread_count(session, actor=principal)
        except SQLAlchemyError:  # a page shown while the database is down (an error page)
            return 0  # keeps its bell without a count rather than failing
    return count


def _context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    return {
        "request": request,
        "lang": getattr(request.state, "language", "id"),
        "csrf_token": csrf_token(request),
        "principal": principal,
        "bell_unread": _bell_count(request, principal),
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
