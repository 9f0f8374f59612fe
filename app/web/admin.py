"""Unit administration pages: the audit log and API tokens."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.security.principal import ALL_SCOPES, Principal
from app.services import audit, tokens, units
from app.services.errors import Invalid
from app.web.templating import render

router = APIRouter(tags=["pages"])

AuditReader = Annotated[Principal, Depends(requires("audit.read"))]
TokenManager = Annotated[Principal, Depends(requires("tokens.manage"))]


def _parse_day(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise Invalid("Tanggal harus berformat TTTT-BB-HH.") from None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


@router.get("/units/{unit_id}/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    unit_id: int,
    entity: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: int = 1,
) -> Response:
    unit = units.get(session, unit_id=unit_id)
    until_at = _parse_day(until, unit.timezone)
    result = audit.search(
        session, unit_ids={unit_id}, entity=entity or None, action=action or None,
        since=_parse_day(since, unit.timezone),
        until=until_at + timedelta(days=1) if until_at else None, page=page,
    )
    return render(
        request, "pages/admin/audit.html",
        {
            "unit": unit, "result": result,
            "filters": {"entity": entity or "", "action": action or "", "since": since or "",
                        "until": until or ""},
        },
    )


@router.get("/units/{unit_id}/tokens")
def tokens_page(
    request: Request, session: SessionDep, principal: TokenManager, unit_id: int
) -> Response:
    unit = units.get(session, unit_id=unit_id)
    return render(
        request, "pages/admin/tokens.html",
        {"unit": unit, "tokens": tokens.list_for_unit(session, unit_id=unit_id),
         "scopes": ALL_SCOPES, "issued": None},
    )


@router.post("/units/{unit_id}/tokens")
async def create_token(
    request: Request, session: SessionDep, principal: TokenManager, unit_id: int
) -> Response:
    form = await request.form()
    issued = tokens.create(
        session, actor=principal, unit_id=unit_id, name=str(form.get("name", ""))[:120],
        scopes=[str(s) for s in form.getlist("scopes")],
        expires_in_days=_int_or_none(form.get("expires_in_days")),
    )
    unit = units.get(session, unit_id=unit_id)
    return render(
        request, "pages/admin/tokens.html",
        {"unit": unit, "tokens": tokens.list_for_unit(session, unit_id=unit_id),
         "scopes": ALL_SCOPES, "issued": issued},
    )


@router.post("/units/{unit_id}/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    session: SessionDep,
    principal: TokenManager,
    unit_id: int,
    token_id: int,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    token = tokens.get(session, token_id=token_id)
    if token.unit_id != unit_id:
        raise Invalid("Token ini bukan milik unit ini.")
    tokens.revoke(session, actor=principal, token_id=token_id)
    unit = units.get(session, unit_id=unit_id)
    return render(
        request, "pages/admin/tokens.html",
        {"unit": unit, "tokens": tokens.list_for_unit(session, unit_id=unit_id),
         "scopes": ALL_SCOPES, "issued": None},
    )


def _int_or_none(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise Invalid("Masa berlaku harus berupa angka hari.") from None
