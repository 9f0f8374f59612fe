"""The OpenAPI document and Swagger UI, readable without signing in (the API's data is not).

The bearer scheme is declared here so the docs show how to authorise; the actual check is
`app.deps.requires` on every route. `app.api.openapi` declares the errors, tags and
operation ids; `zona openapi` writes the same document to `docs/openapi.json`.
"""

from __future__ import annotations

import json

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from app.api.openapi import declare_errors
from app.deps import public
from app.security.principal import ALL_SCOPES

TOKEN_HELP = (
    "API token issued by a unit coordinator (`zona token add` or the Token API page); "
    "send `Authorization: Bearer <token>`. Scopes: " + ", ".join(ALL_SCOPES)
    + " (docs/api-scopes-idempotency.md)."
)


SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zona API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>"""


def build_openapi(app: FastAPI) -> dict:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description,
        routes=app.routes,
    )
    declare_errors(schema)
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearerToken": {"type": "http", "scheme": "bearer", "description": TOKEN_HELP}
    }
    schema["security"] = [{"bearerToken": []}]
    app.openapi_schema = schema
    return schema


def render_openapi(app: FastAPI) -> str:
    """The document as `docs/openapi.json` holds it: indented, UTF-8, one final newline."""
    return json.dumps(build_openapi(app), indent=2, ensure_ascii=False) + "\n"


def install_docs(app: FastAPI) -> None:
    # FastAPI's own `app.openapi()` (used by tools and tests) must give the same document:
    # otherwise whichever runs first caches its version in `app.openapi_schema`.
    app.openapi = lambda: build_openapi(app)
    anyone = Depends(public(csrf=False))

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[anyone])
    def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(build_openapi(request.app))

    @app.get("/api/docs", include_in_schema=False, dependencies=[anyone])
    def swagger(request: Request) -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)
