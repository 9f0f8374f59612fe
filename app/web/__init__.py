"""HTML pages (HTMX): thin routes over app.services."""

from fastapi import APIRouter

from app.web import admin, auth, dashboard, health, survey_public, survey_qr, surveys

web_router = APIRouter()
for module in (health, auth, dashboard, admin, surveys, survey_public, survey_qr):
    web_router.include_router(module.router)
