"""The JSON API (`/api/v1`): thin routes over app.services, bearer tokens or a session."""

from fastapi import APIRouter

from app.api import audit, integration, rollup, season, units, webhooks
from app.api.accounts import me, tokens
from app.api.lke import assessments as indicators
from app.api.lke import bundle as evidence_bundle
from app.api.lke import evidence, reviews
from app.api.lke import report as lke_report
from app.api.lke import xlsx as lke_xlsx
from app.api.openapi import operation_id
from app.api.programme import routes as programme
from app.api.surveys import routes as surveys
from app.routing import include_flat

PREFIX = "/api/v1"

#: The API's routers in their published order (the OpenAPI document lists them so).
routers = tuple(
    module.router for module in (
        me,
        units,
        tokens,
        audit,
        indicators,
        lke_xlsx,
        lke_report,
        evidence,
        evidence_bundle,
        reviews,
    )
) + surveys.routers + tuple(
    module.router for module in (programme, integration, webhooks, season, rollup)
)


def install(target: APIRouter) -> None:
    """Add every API route under ``/api/v1`` to the app's own route list (not as an included
    router: see app.routing.include_flat)."""
    for router in routers:
        include_flat(target, router, prefix=PREFIX, generate_unique_id_function=operation_id)
