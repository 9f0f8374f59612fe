"""The Zona application: one FastAPI process serving HTML pages and the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import errors
from app.config import Settings, get_settings
from app.db import make_engine
from app.middleware import BodyLimitMiddleware, RequestContextMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Zona API",
        version="1",
        description=(
            "Zona: Zona Integritas workbench (WBK/WBBM). Other government systems use "
            "`/api/v1` with a bearer token issued by a unit coordinator."
        ),
        # Served below behind sign-in (a session or a bearer token), not anonymously.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    app.state.engine = make_engine(settings.resolved_database_url())
    settings.resolved_upload_dir().mkdir(parents=True, exist_ok=True)

    errors.install(app)
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_json_kb * 1024,
        upload_limit=(settings.max_upload_mb + 1) * 1024 * 1024,
    )
    app.add_middleware(RequestContextMiddleware, default_language=settings.default_language)

    from app.api import api_router
    from app.api.docs import install_docs
    from app.web import web_router

    install_docs(app)

    app.include_router(api_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
