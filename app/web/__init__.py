"""HTML pages (HTMX): thin routes over app.services."""

from fastapi import APIRouter

from app.web import admin, auth, dashboard, evidence, health, reviews, worksheet

web_router = APIRouter()
for module in (health, auth, dashboard, admin, worksheet, evidence, reviews):
    web_router.include_router(module.router)
