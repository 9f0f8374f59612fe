"""The JSON API (`/api/v1`): thin routes over app.services, bearer tokens or a session."""

from fastapi import APIRouter

from app.api import audit, me, surveys, tokens, units

api_router = APIRouter(prefix="/api/v1")
for module in (me, units, tokens, audit, surveys):
    api_router.include_router(module.router)
