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

# The anonymous, high-volume routes (load-balancer probes, citizens answering a survey) come
# first: FastAPI matches routes one by one (a few microseconds each), so a route behind the
# ~200 API and page routes pays about a millisecond just to be found.
# Each is included in the app directly (not nested: every level of nesting costs a match).
public_routers = (survey_public.router, health.router)


def direct_routes():
    """Routes served before the router altogether (app.middleware.DirectRoutesMiddleware):
    only the public survey submit, the request a crowd sends at once."""
    return [survey_public.submit_route]


web_router = APIRouter(include_in_schema=False)  # pages are not part of the API schema
for module in (
    auth,
    dashboard,
    admin,
    worksheet,
    lke_xlsx,
    evidence,
    reviews,
    surveys,
    survey_qr,
    programme,
    programme_views,
    integration,
):
    web_router.include_router(module.router)
