"""Surveys over JSON: the routers of each resource, joined in their published order."""

from fastapi import APIRouter

from app.api.surveys import campaigns, catalogue, followups, report, responses, results

router = APIRouter()
for module in (catalogue, campaigns, responses, results, followups, report):
    router.include_router(module.router)
