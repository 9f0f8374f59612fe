"""The Zona application: one FastAPI process serving HTML pages and the JSON API."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from app import errors
from app.config import Settings, get_settings
from app.db import make_engine
from app.edge import ForwardedHeadersMiddleware, TrustedHostMiddleware
from app.middleware import BodyLimitMiddleware, IdempotencyMiddleware, RequestContextMiddleware
from app.routing import RouteIndex
from app.runtime import tune_garbage_collector
from app.security.client_address import TrustedProxies
from app.security.hosts import parse_hosts
from app.services.lke.bundle_jobs import BundleThread
from app.services.season.jobs import JobsThread
from app.services.surveys.intake import SurveyIntake
from app.services.webhooks.worker import WorkerThread

STATIC_DIR = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI):
    worker = None
    if app.state.settings.webhooks_worker:
        # The webhook sender (app.services.webhooks.worker): leased rows, so one per replica
        # is fine; off, `zona webhooks run` does the same work in its own process.
        worker = WorkerThread(app.state.engine, app.state.settings)
        worker.start()
    app.state.webhook_worker = worker
    jobs = None
    if app.state.settings.jobs_worker:
        # The season's scheduled work (app.services.season.jobs): checks, digests, e-mail;
        # leased in the database, so one per replica is fine; off, cron `zona jobs run-once`.
        jobs = JobsThread(app.state.engine, app.state.settings)
        jobs.start()
    app.state.jobs_worker = jobs
    bundles = None
    if app.state.settings.bundle_worker:
        # Big evidence bundles (app.services.lke.bundle_jobs): leased job rows, so one per
        # replica is fine; off, `zona bundles run` does the same work in its own process.
        bundles = BundleThread(app.state.engine, app.state.settings)
        bundles.start()
    app.state.bundle_worker = bundles
    # Start-up is done: keep the collector off the objects that live as long as the process.
    tune_garbage_collector()
    yield
    if bundles is not None:
        await run_in_threadpool(bundles.stop)
    if jobs is not None:
        await run_in_threadpool(jobs.stop)
    if worker is not None:
        await run_in_threadpool(worker.stop)
    # Store the survey responses still waiting, then stop the writer thread.
    await run_in_threadpool(app.state.survey_intake.close)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Zona API",
        version="1",
        description=(
            "Zona: Zona Integritas workbench (WBK/WBBM). Other government systems use "
            "`/api/v1` with a bearer token issued by a unit coordinator.\n\n"
            "Every error is RFC 9457 problem details (`application/problem+json`, schema "
            "`Problem`): `title`, `status`, `detail` (Indonesian) and `detail_en`, `errors[]` "
            "naming each invalid input (location, field, code, Indonesian and English "
            "message) and, on 403, the missing `permission`. Each operation declares the "
            "statuses it can answer. A deployment that checks host names answers an unknown "
            "`Host` with 400 before any operation runs."
        ),
        # Served by app.api.docs, readable without signing in (the document, never data).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    app.state.engine = make_engine(settings.resolved_database_url())
    app.state.survey_intake = SurveyIntake(app.state.engine)
    # Single sign-on (None when ZONA_OIDC_ISSUER is empty): keeps the provider's discovery
    # document and keys between requests.
    app.state.oidc = None
    if settings.oidc_enabled:  # the adapter (httpx, Authlib) is loaded only when SSO is on
        from app.services.accounts.oidc import OidcClient

        app.state.oidc = OidcClient.from_settings(settings)
    settings.resolved_upload_dir().mkdir(parents=True, exist_ok=True)

    from app import api, web
    from app.api.docs import install_docs
    from app.web import direct_routes, public_routers
    from app.web.surveys.fast_lane import DirectRoutesMiddleware

    errors.install(app)
    # Innermost: stores the answer of an API create sent with an Idempotency-Key.
    app.add_middleware(IdempotencyMiddleware)
    # Innermost of ours: the hot routes still get the request id, headers and body limit.
    app.add_middleware(
        DirectRoutesMiddleware, routes=direct_routes(), exception_handlers=app.exception_handlers
    )
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_json_kb * 1024,
        upload_limit=(settings.max_upload_mb + 1) * 1024 * 1024,
    )
    if settings.is_production:
        # Inside the request context: a refused host still gets the request id and headers.
        app.add_middleware(
            TrustedHostMiddleware, hosts=parse_hosts(settings.trusted_hosts, settings.base_url)
        )
    app.add_middleware(RequestContextMiddleware, default_language=settings.default_language)
    trusted_proxies = TrustedProxies.parse(settings.trusted_proxies)  # parsed once, here
    if trusted_proxies:
        # Outermost: every layer inside sees the client's address and scheme (app.edge).
        app.add_middleware(ForwardedHeadersMiddleware, trusted=trusted_proxies)

    # The anonymous routes and static files first: route matching is linear (see app.web).
    # Their routes are placed in the app's own list rather than included: an included
    # router is matched twice per request (once to pick it, once inside), measured at about
    # a tenth of a public survey submit.
    for router in public_routers:
        app.router.routes.extend(router.routes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app)
    api.install(app.router)
    web.install(app.router)
    # The router tries only the routes that can match a path (app.routing.RouteIndex).
    app.router.middleware_stack = RouteIndex(app.router)
    return app
