"""The season's pages: the inbox (and its bell), the e-mail preferences, the evaluation
calendar (a unit's countdown; setting a scope's dates)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, requires
from app.domain.season import calendar as cal
from app.domain.season import messages
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid
from app.services.season import calendar as season_calendar
from app.services.season import inbox
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"])

Person = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
SetCalendar = Annotated[Principal, Depends(requires("review.write", unit_param=None))]


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "id")


# --- inbox -------------------------------------------------------------------------------


@router.get("/notifications")
def inbox_page(request: Request, session: SessionDep, principal: Person,
               unread: Annotated[bool, Query()] = False,
               page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:
    found = inbox.items(session, actor=principal, lang=_lang(request), only_unread=unread,
                        page=page)
    return render(request, "pages/season/inbox.html", {
        "items": found, "unread_only": unread, "page": page, "more": len(found) == inbox.PAGE,
        "unread": inbox.unread_count(session, actor=principal),
    })


@router.get("/notifications/bell")
def bell(request: Request, session: SessionDep, principal: Person) -> Response:
    """The header's bell with the unread count (the layout draws it; htmx refreshes it)."""
    return render(request, "pages/season/bell.html",
                  {"unread": inbox.unread_count(session, actor=principal)})


@router.post("/notifications/{notification_id}/open")
def open_notification(request: Request, session: SessionDep, principal: Person,
                      notification_id: int) -> Response:
    """Mark read and go to the thing it is about."""
    row = inbox.mark_read(session, actor=principal, notification_id=notification_id)
    return RedirectResponse(row.link or "/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
def read_notification(request: Request, session: SessionDep, principal: Person,
                      notification_id: int) -> Response:
    inbox.mark_read(session, actor=principal, notification_id=notification_id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all")
def read_all(request: Request, session: SessionDep, principal: Person) -> Response:
    inbox.mark_all_read(session, actor=principal)
    return RedirectResponse("/notifications", status_code=303)


# --- preferences ---------------------------------------------------------------------------


def _preferences_context(session, principal, **extra) -> dict:
    return {"choices": inbox.preferences(session, actor=principal), "kinds": messages.KINDS,
            "modes": messages.MODES, "errors": [], "saved": False, **extra}


@router.get("/notifications/preferences")
def preferences_page(request: Request, session: SessionDep, principal: Person) -> Response:
    return render(request, "pages/season/preferences.html",
                  _preferences_context(session, principal))


@router.post("/notifications/preferences")
async def preferences_save(request: Request, session: SessionDep,
                           principal: Person) -> Response:
    form = await request.form()
    choices = {kind: str(form.get(f"mode_{kind}", messages.NOW)) for kind in messages.KINDS}
    try:
        inbox.set_preferences(session, actor=principal, choices=choices)
    except Invalid as exc:
        return render(request, "pages/season/preferences.html",
                      _preferences_context(session, principal, errors=exc.problems or
                                           [exc.message]), status_code=422)
    return render(request, "pages/season/preferences.html",
                  _preferences_context(session, principal, saved=True))


# --- calendar ------------------------------------------------------------------------------


@router.get("/units/{unit_id}/calendar")
def unit_calendar(request: Request, session: SessionDep, principal: ReadUnit,
                  unit_id: int) -> Response:
    """A unit's season: the calendar in force and each step's countdown."""
    season = season_calendar.unit_season(session, actor=principal, unit_id=unit_id)
    return render(request, "pages/season/unit_calendar.html", {
        "unit": season.unit, "season": season,
        "can_set": bool(season_calendar.offices(session, actor=principal))
        or principal.is_admin,
    })


def _calendar_context(session, principal: Principal, year: int, **extra) -> dict:
    scopes: list[dict] = []
    if principal.is_admin:
        scopes.append({"unit": None, "label": _("Seluruh unit (semua kantor)")})
    for office in season_calendar.offices(session, actor=principal):
        scopes.append({"unit": office, "label": office.name})
    rows = {r.scope: r for r in season_calendar.visible_calendars(session, actor=principal,
                                                                   year=year)}
    for scope in scopes:
        scope["row"] = rows.get(season_calendar.scope_of(scope["unit"].id if scope["unit"]
                                                         else None))
        scope["key"] = scope["unit"].id if scope["unit"] else "all"
    return {"year": year, "scopes": scopes, "calendars": list(rows.values()),
            "steps": cal.STEPS, "step_names": cal.STEP_NAMES,
            "fields": season_calendar.DUE_FIELDS, "errors": [], "saved": None,
            "unit_names": {u.id: u.name for u in units.list_units(session, actor=principal)},
            **extra}


@router.get("/calendar")
def calendar_page(request: Request, session: SessionDep, principal: Person,
                  year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    """The year's calendars the person may read, and a form for each scope they may set."""
    year = year or season_calendar.local_today("Asia/Jakarta").year
    return render(request, "pages/season/calendar.html",
                  _calendar_context(session, principal, year))


def _date(value, label: str, problems: list[str]) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{label}: tanggal tidak valid ('{text[:20]}').")
        return None


@router.post("/calendar")
async def calendar_save(request: Request, session: SessionDep,
                        principal: SetCalendar) -> Response:
    form = await request.form()
    problems: list[str] = []
    scope = str(form.get("scope", "all"))
    unit_id: int | None = None
    if scope != "all":
        try:
            unit_id = int(scope)
        except ValueError:
            problems.append("Cakupan kalender tidak dikenal.")
    try:
        year = int(str(form.get("year", "")))
    except ValueError:
        year = 0
        problems.append("Tahun kalender wajib angka.")
    dues = {step: _date(form.get(field), cal.STEP_NAMES[step][0], problems)
            for step, field in season_calendar.DUE_FIELDS.items()}
    periods = []
    for i in range(4):
        label = str(form.get(f"period_{i}_label", "")).strip()[:20]
        opens = _date(form.get(f"period_{i}_opens"), f"Periode {i + 1}", problems)
        closes = _date(form.get(f"period_{i}_closes"), f"Periode {i + 1}", problems)
        if label or opens or closes:
            if not (label and opens and closes):
                problems.append(f"Periode survei {i + 1}: isi nama, tanggal mulai dan selesai.")
            else:
                periods.append(cal.SurveyPeriod(label, opens, closes))
    if problems:  # the date rules too, so the form lists every problem at once
        problems += season_calendar.problems(dues, year, periods)
    else:
        try:
            season_calendar.set_calendar(session, actor=principal, unit_id=unit_id, year=year,
                                         dues=dues, survey_periods=periods)
        except Invalid as exc:
            problems = list(exc.problems) or [exc.message]
    shown_year = year if 2000 <= year <= 2100 else season_calendar.local_today("UTC").year
    if problems:
        return render(request, "pages/season/calendar.html",
                      _calendar_context(session, principal, shown_year, errors=problems,
                                        open_scope=scope), status_code=422)
    if is_htmx(request):
        return render(request, "pages/season/calendar.html",
                      _calendar_context(session, principal, shown_year, saved=scope))
    return RedirectResponse(f"/calendar?year={shown_year}", status_code=303)
