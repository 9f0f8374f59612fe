"""The three servers the submit benchmark compares (uvicorn --factory bench.submit_apps:<name>).

- ``real``: the product (create_app) - POST /s/{code}, the public form with its guard.
- ``bare_core``: a bare FastAPI endpoint parsing the same form and doing ONE SQLAlchemy Core
  insert (the baseline the product must reach 0.8x of).
- ``bare_orm``: the same with a SQLModel Session per request and an ORM insert (the product
  must be at least 3x this).

All read BENCH_DATABASE_URL; the real one also reads the usual ZONA_* settings.

``real_normal`` and ``bare_core_normal``: the same two on SQLite with ``synchronous=NORMAL``
instead of the product's FULL (app.db.SQLITE_PRAGMAS), to measure what FULL costs in one
interleaved run (``--only bare_core,bare_core_normal,real,real_normal``).
"""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert
from sqlmodel import Field, Session, SQLModel

from app.db import make_engine

metadata = MetaData()
bench_row = Table(
    "bench_row", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class BenchRow(SQLModel, table=True):
    __tablename__ = "bench_row_orm"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16)
    body: str
    created_at: datetime


def _engine():
    return make_engine(os.environ["BENCH_DATABASE_URL"])


def create_tables(url: str) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    BenchRow.__table__.create(engine, checkfirst=True)
    engine.dispose()


def _body(form) -> str:
    return "&".join(f"{k}={v}" for k, v in form.multi_items() if isinstance(v, str))


def bare_core() -> FastAPI:
    app = FastAPI()
    engine = _engine()

    @app.post("/s/{code}")
    async def submit(code: str, request: Request):
        form = await request.form()
        with engine.begin() as connection:
            connection.execute(insert(bench_row), {
                "code": code, "body": _body(form), "created_at": datetime.now(UTC)})
        return RedirectResponse(f"/s/{code}/terima-kasih", status_code=303)

    return app


def bare_orm() -> FastAPI:
    app = FastAPI()
    engine = _engine()

    def get_session():
        with Session(engine) as session:
            yield session

    @app.post("/s/{code}")
    async def submit(code: str, request: Request, session: Session = Depends(get_session)):
        form = await request.form()
        session.add(BenchRow(code=code, body=_body(form), created_at=datetime.now(UTC)))
        session.commit()
        return RedirectResponse(f"/s/{code}/terima-kasih", status_code=303)

    return app


def real() -> FastAPI:
    from app.config import Settings
    from app.main import create_app

    if os.environ.get("BENCH_GATHER_MS"):  # the writer's gather window, to compare
        from app.services.surveys import intake as survey_intake

        gather = float(os.environ["BENCH_GATHER_MS"]) / 1000
        survey_intake.GATHER_SECONDS = survey_intake.LOOP_GATHER_SECONDS = gather
    app = create_app(Settings(database_url=os.environ["BENCH_DATABASE_URL"]))
    writer = app.state.survey_intake.writer
    if os.environ.get("BENCH_WRITER_THREAD"):  # SQLite batches in a worker thread, to compare
        writer.on_loop = False

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application):
        async with inner(application):
            yield
        if writer.batches:  # read by submit_load from the server's output
            print(f"writer: {writer.stored} stored in {writer.batches} batches "
                  f"({writer.stored / writer.batches:.1f} per batch)", file=sys.stderr)

    app.router.lifespan_context = lifespan
    return app


def _synchronous_normal() -> None:
    import app.db

    app.db.SQLITE_PRAGMAS = tuple(
        "PRAGMA synchronous=NORMAL" if p.startswith("PRAGMA synchronous") else p
        for p in app.db.SQLITE_PRAGMAS
    )


def real_normal() -> FastAPI:
    _synchronous_normal()
    return real()


def bare_core_normal() -> FastAPI:
    _synchronous_normal()
    return bare_core()
