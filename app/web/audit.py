"""The unit's audit log page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, requires
from app.i18n import current_language
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


@dataclass
class LogFilters:
    """The log's filters as the page and the CSV link carry them (query parameters)."""

    entity: str = ""
    action: str = ""
    person: str = ""
    area: str = ""
    since: str = ""
    until: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def search(self, session, principal, unit, *, page: int, per_page: int):
        until_at = _parse_day(self.until, unit.timezone)
        try:
            person_id = int(self.person) if self.person else None
        except ValueError:
            raise Invalid("Pelaku tidak dikenal.") from None
        return audit.search(
            session, actor=principal, unit_id=unit.id, entity=self.entity or None,
            action=self.action or None, actor_user_id=person_id, area=self.area or None,
            since=_parse_day(self.since, unit.timezone),
            until=until_at + timedelta(days=1) if until_at else None, page=page,
            per_page=per_page,
        )


Filters = Annotated[LogFilters, Depends()]


@router.get("/units/{unit_id}/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    unit_id: int,
    filters: Filters,
    page: int = 1,
) -> Response:
    unit = units.get(session, unit_id=unit_id, actor=principal, permission="audit.read")
    result = filters.search(session, principal, unit, page=page, per_page=50)
    shown = filters.as_dict()
    return render(
        request, "pages/audit/log.html",
        {
            "unit": unit, "result": result,
            "rows": audit.readable(session, result.records, tz=unit.timezone,
                                   lang=current_language.get()),
            "choices": audit.choices(session, actor=principal, unit_id=unit_id),
            "filters": shown, "query": urlencode({k: v for k, v in shown.items() if v}),
        },
    )


@router.get("/units/{unit_id}/audit.csv")
def audit_csv(
    session: SessionDep, principal: AuditReader, unit_id: int, filters: Filters,
) -> Response:
    """The filtered log as CSV, every matching record (up to 100.000), in words."""
    unit = units.get(session, unit_id=unit_id, actor=principal, permission="audit.read")
    result = filters.search(session, principal, unit, page=1, per_page=100_000)
    lang = current_language.get()
    body = audit.to_csv(audit.readable(session, result.records, tz=unit.timezone, lang=lang),
                        lang)
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-{unit.code}.csv"'})
