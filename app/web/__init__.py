"""HTML pages (HTMX): thin routes over app.services, one package or module per domain."""

from fastapi import APIRouter

from app.routing import include_flat
from app.web import audit, health, rollup, units
from app.web.accounts import auth, tokens
from app.web.accounts import sso as accounts_sso
from app.web.integration import lke as integration_lke
from app.web.integration import timeline
from app.web.lke import bundle, evidence, reviews, worksheet, xlsx
from app.web.lke import report as lke_report
from app.web.programme import pages as programme
from app.web.season import pages as season
from app.web.surveys import fast_lane as survey_fast_lane
from app.web.surveys import followups as survey_followups
from app.web.surveys import kiosks as survey_kiosks
from app.web.surveys import pages as surveys
from app.web.surveys import public as survey_public
from app.web.surveys import publication as survey_publication
from app.web.surveys import qr as survey_qr
from app.web.surveys import report as survey_report
from app.web.webhooks import pages as webhooks

# The anonymous, high-volume routes (load-balancer probes, citizens answering a survey) come
# first: FastAPI matches routes one by one (a few microseconds each), so a route behind the
# ~200 API and page routes pays about a millisecond just to be found.
# Each is included in the app directly (not nested: every level of nesting costs a match).
public_routers = (survey_public.router, survey_fast_lane.router, health.router,
                  survey_publication.router)


def direct_routes():
    """Routes served before the router altogether (app.web.surveys.fast_lane): only the
    public survey submit, the request a crowd sends at once."""
    return [survey_fast_lane.submit_route]


#: The pages' routers, in order (pages are not part of the API schema).
routers = tuple(module.router for module in (
    auth,
    accounts_sso,
    units,
    audit,
    tokens,
    worksheet,
    xlsx,
    lke_report,
    bundle,
    evidence,
    reviews,
    surveys,
    survey_qr,
    survey_kiosks,
    survey_followups,
    survey_report,
    programme,
    timeline,
    integration_lke,
    webhooks,
    season,
    rollup,
))


def install(target: APIRouter) -> None:
    """Add every page route to the app's own route list (not as an included router: see
    app.routing.include_flat)."""
    for router in routers:
        include_flat(target, router, include_in_schema=False)
