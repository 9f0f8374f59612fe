"""Surveys over JSON: the routers of each resource, joined in their published order."""

from fastapi import APIRouter

from app.api.surveys import (
    campaigns,
    catalogue,
    followups,
    publication,
    report,
    responses,
    results,
)

router = APIRouter()
for module in (catalogue, campaigns, responses, results, followups, report, publication):
    router.include_router(module.router)
