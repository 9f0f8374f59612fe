"""The baseline for bench/worksheet_page.py: one FastAPI route rendering a small Jinja2 page.

    uvicorn bench.bare_jinja:app --host 127.0.0.1 --port 8101
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/")
def page(request: Request):
    return templates.TemplateResponse(
        request, "bare.html", {"title": "Halaman uji", "items": [f"Butir {i}" for i in range(10)]}
    )
