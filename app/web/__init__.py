"""HTML pages (HTMX): thin routes over app.services."""

from fastapi import APIRouter

from app.web import (
    admin,
    auth,
    dashboard,
    evidence,
    health,
    integration,
    lke_xlsx,
    programme,
    programme_views,
    reviews,
    survey_public,
    survey_qr,
    surveys,
    worksheet,
)

web_router = APIRouter(include_in_schema=False)  # pages are not part of the API schema
for module in (
    health,
    auth,
    dashboard,
    admin,
    worksheet,
    lke_xlsx,
    evidence,
    reviews,
    surveys,
    survey_public,
    survey_qr,
    programme,
    programme_views,
    integration,
):
    web_router.include_router(module.router)
