"""Who am I: the caller's identity and where it may act."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.deps import requires
from app.security.principal import Principal

router = APIRouter(tags=["me"])


class MeOut(BaseModel):
    kind: str
    id: int
    label: str
    is_admin: bool
    permissions: dict[int, list[str]]


@router.get("/me", response_model=MeOut)
def me(principal: Annotated[Principal, Depends(requires("unit.read", unit_param=None))]):
    """The signed-in user or token and its permissions per unit id."""
    return MeOut(
        kind=principal.kind, id=principal.id, label=principal.label,
        is_admin=principal.is_admin,
        permissions={uid: sorted(perms) for uid, perms in principal.grants.items()},
    )
