"""The create / read / change / delete routes every kind of programme row has, written once.

``rows`` registers, for one kind of row of a service module:

- ``POST {collection}`` (under ``/units/{unit_id}``): ``create_<noun>``, 201;
- ``GET / PATCH / DELETE {item}/{<noun>_id}``: ``get_<noun>``, ``update_<noun>``,
  ``delete_<noun>`` (the service checks the row's unit: 403 for another unit's row).

The endpoints keep the names, parameters and docstrings of hand-written ones, so the OpenAPI
(operation ids, parameters, descriptions) reads as if each were written out. Listing stays
with each area: its filters are what differs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.deps import IdempotencyKey, SessionDep, requires
from app.security.principal import Principal
from app.services.units import get as get_unit

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
WriteAny = Annotated[Principal, Depends(requires("programme.write", unit_param=None))]
WriteUnit = Annotated[Principal, Depends(requires("programme.write"))]

Convert = Callable[[Any, Any], Any]  # (session, row) -> the response body


def _endpoint(name: str, doc: str | None, params: list[tuple[str, Any]],
              run: Callable[..., Any]) -> Callable[..., Any]:
    """A function FastAPI reads as ``def name(<params>)`` with ``doc``, calling ``run``."""

    def endpoint(**kwargs: Any) -> Any:
        return run(**kwargs)

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__doc__ = doc
    endpoint.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
        for key, annotation in params
    ])
    return endpoint


def rows(
    router: APIRouter, service: ModuleType, noun: str, *, collection: str | None, item: str,
    out: type, body_in: type, body_patch: type, id_name: str | None = None,
    convert: Convert | None = None, deleted: Convert | None = None,
    docs: dict[str, str] | None = None,
) -> None:
    """Register the create (when ``collection`` is given), get, update and delete routes of
    ``<noun>`` rows. ``convert`` builds the response from a row (default: ``out`` read from
    the row's attributes); ``deleted`` does it for the delete answer (default: ``convert``);
    ``docs`` holds the operations' descriptions by verb."""
    id_name = id_name or f"{noun}_id"
    docs = docs or {}
    shown = convert or (lambda _session, row: row)
    gone = deleted or shown
    path = f"{item}/{{{id_name}}}"

    if collection is not None:
        create = getattr(service, f"create_{noun}")

        def run_create(session, principal, unit_id, body, _key=None):
            get_unit(session, unit_id=unit_id)
            return shown(session, create(session, actor=principal, unit_id=unit_id, data=body))

        router.post(collection, response_model=out, status_code=201)(_endpoint(
            f"create_{noun}", docs.get("create"),
            [("session", SessionDep), ("principal", WriteUnit), ("unit_id", int),
             ("body", body_in), ("_key", IdempotencyKey)], run_create))

    get, update, delete = (getattr(service, f"{verb}_{noun}")
                           for verb in ("get", "update", "delete"))

    def run_get(session, principal, **ids):
        return shown(session, get(session, actor=principal, **ids))

    def run_update(session, principal, body, **ids):
        return shown(session, update(session, actor=principal, changes=body, **ids))

    def run_delete(session, principal, **ids):
        return gone(session, delete(session, actor=principal, **ids))

    for method, verb, principal, run, body in (
        (router.get, "get", ReadAny, run_get, None),
        (router.patch, "update", WriteAny, run_update, body_patch),
        (router.delete, "delete", WriteAny, run_delete, None),
    ):
        params = [("session", SessionDep), ("principal", principal), (id_name, int)]
        if body is not None:
            params.append(("body", body))
        method(path, response_model=out)(_endpoint(f"{verb}_{noun}", docs.get(verb), params,
                                                   run))
