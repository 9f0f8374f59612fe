"""Liveness and readiness probes for load balancers and containers."""

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import public
from app.migrate import at_head
from app.services import storage

log = logging.getLogger("zona.health")
router = APIRouter(tags=["health"], include_in_schema=False)


@router.get("/healthz", dependencies=[Depends(public())])
def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Depends(public())])
def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the newest migration, and the upload store
    takes a file (local folder: a small probe file created, fsync-ed and deleted; S3: the
    bucket answers)."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        migrated = at_head(engine)
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return JSONResponse({"status": "unavailable", "database": False}, status_code=503)
    if not migrated:
        return JSONResponse(
            {"status": "unavailable", "database": True, "migrations": "behind"}, status_code=503
        )
    store = storage.from_settings(request.app.state.settings)
    problem = store.probe()
    if problem is not None:  # the reason is public, the path only in the log
        log.error("readyz: upload store %s not writable: %s", store.describe(), problem)
        return JSONResponse(
            {"status": "unavailable", "database": True, "migrations": "head",
             "uploads": False, "reason": f"upload store not writable: {problem}"},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": True, "migrations": "head",
                         "uploads": True})
