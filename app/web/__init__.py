"""HTML pages (HTMX): thin routes over app.services."""

from fastapi import APIRouter

from app.web import admin, auth, dashboard, health, survey_public

web_router = APIRouter()
for module in (health, auth, dashboard, admin, survey_public):
    web_router.include_router(module.router)
