"""Surveys over JSON: the routers of each resource, in their published order."""

from app.api.surveys import (
    campaigns,
    catalogue,
    followups,
    publication,
    report,
    responses,
    results,
)

routers = tuple(
    module.router
    for module in (catalogue, campaigns, responses, results, followups, report, publication)
)
