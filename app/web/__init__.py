"""HTML pages (HTMX): thin routes over app.services."""

from fastapi import APIRouter

from app.web import admin, auth, dashboard, health, lke_xlsx, worksheet

web_router = APIRouter()
for module in (health, auth, dashboard, admin, worksheet, lke_xlsx):
    web_router.include_router(module.router)
