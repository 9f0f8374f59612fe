"""The unit's audit log page."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services import audit, units
from app.services.errors import Invalid
from app.web.templating import render

router = APIRouter(tags=["pages"])

AuditReader = Annotated[Principal, Depends(requires("audit.read"))]


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
    unit = units.get(session, unit_id=unit_id, actor=principal, permission="audit.read")
    until_at = _parse_day(until, unit.timezone)
    result = audit.search(
        session, actor=principal, unit_id=unit_id, entity=entity or None, action=action or None,
        since=_parse_day(since, unit.timezone),
        until=until_at + timedelta(days=1) if until_at else None, page=page,
    )
    return render(
        request, "pages/audit/log.html",
        {
            "unit": unit, "result": result,
            "filters": {"entity": entity or "", "action": action or "", "since": since or "",
                        "until": until or ""},
        },
    )
