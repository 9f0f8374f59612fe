"""API tokens, managed by the unit's coordinator (or an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Timestamp
from app.deps import SessionDep, requires
from app.security.principal import ALL_SCOPES, Principal
from app.services.accounts import tokens
from app.services.form_input import TextInput

router = APIRouter(tags=["tokens"])
TokenManager = Annotated[Principal, Depends(requires("tokens.manage"))]


class TokenIn(TextInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Portal SKM Kanwil", "scopes": ["read",
                                          "write:surveys"], "expires_in_days": 365}]},
    )
    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1, description=f"Any of: {', '.join(ALL_SCOPES)}")
    expires_in_days: int | None = Field(365, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    unit_id: int
    prefix: str
    scopes: str
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="Shown once; store it now.")


@router.get("/units/{unit_id}/tokens", response_model=list[TokenOut])
def list_tokens(session: SessionDep, principal: TokenManager, unit_id: int):
    return tokens.list_for_unit(session, actor=principal, unit_id=unit_id)


@router.post("/units/{unit_id}/tokens", response_model=IssuedTokenOut, status_code=201)
def create_token(session: SessionDep, principal: TokenManager, unit_id: int, body: TokenIn):
    """Issue a token; the secret is in this response only."""
    issued = tokens.create(
        session, actor=principal, unit_id=unit_id, name=body.name, scopes=body.scopes,
        expires_in_days=body.expires_in_days,
    )
    return IssuedTokenOut(
        **TokenOut.model_validate(issued.token).model_dump(), token=issued.secret
    )


@router.delete("/units/{unit_id}/tokens/{token_id}", response_model=TokenOut)
def revoke_token(session: SessionDep, principal: TokenManager, unit_id: int, token_id: int):
    return tokens.revoke(session, actor=principal, unit_id=unit_id, token_id=token_id)
