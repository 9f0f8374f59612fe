"""The audit log of a unit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Timestamp
from app.deps import SessionDep, requires
from app.security.principal import Principal
from app.services import audit

router = APIRouter(tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: Timestamp
    actor_user_id: int | None
    actor_token_id: int | None
    actor_label: str
    unit_id: int | None
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None = Field(
        description="The entity's fields before the change (their names depend on `entity`)"
    )
    after: dict[str, Any] | None = Field(
        description="The entity's fields after the change (their names depend on `entity`)"
    )
    request_id: str


class AuditPageOut(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    per_page: int


@router.get("/units/{unit_id}/audit", response_model=AuditPageOut)
def unit_audit(
    session: SessionDep,
    principal: Annotated[Principal, Depends(requires("audit.read"))],
    unit_id: int,
    entity: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
):
    """Newest first, with filters."""
    result = audit.search(
        session, actor=principal, unit_id=unit_id, entity=entity, action=action, since=since,
        until=until, page=page, per_page=per_page,
    )
    return AuditPageOut(
        items=[AuditOut.model_validate(r) for r in result.records], total=result.total,
        page=result.page, per_page=result.per_page,
    )
