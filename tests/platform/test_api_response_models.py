"""The API's response contract: every /api/v1 operation declares a typed response model, no
free-form object hides in it, and every moment in it is a `Timestamp` (RFC 3339, UTC, `Z`).

A generated client gets typed objects only if the OpenAPI says what each answer holds; this
walks the routes themselves (not the document), so a new route without a model fails here.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, PlainSerializer, TypeAdapter

from app.domain.timestamps import rfc3339_utc

API = "/api/v1"

# Answers that are files, not JSON: declared with their media type instead of a model.
BINARY = {
    ("GET", "/api/v1/evidence/{evidence_id}/download"),
    ("GET", "/api/v1/assessments/{assessment_id}/export.xlsx"),
    ("GET", "/api/v1/survey-campaigns/{campaign_id}/report.pdf"),
    ("GET", "/api/v1/survey-campaigns/{campaign_id}/report.docx"),
    ("GET", "/api/v1/units/{unit_id}/survey-reports/{period}.pdf"),
    ("GET", "/api/v1/units/{unit_id}/survey-reports/{period}.docx"),
    ("GET", "/api/v1/assessments/{assessment_id}/report.pdf"),
    ("GET", "/api/v1/assessments/{assessment_id}/evidence-bundle.zip"),
    ("GET", "/api/v1/evidence-bundle-jobs/{job_id}/download"),
    ("GET", "/api/v1/units/{unit_id}/rollup/units/export"),  # CSV or XLSX
}

# Free-form objects allowed on purpose, each with the reason.
FREE_FORM = {
    # An audit record keeps the changed entity's fields as they were: their names depend on
    # the entity (assessment, survey campaign, token...), so a fixed schema would lie.
    ("AuditOut", "before"),
    ("AuditOut", "after"),
    # A webhook body as it was posted: `data` holds the event type's own fields (listed per
    # event in docs/webhooks.md), stored and shown byte for byte as the receiver got them.
    ("WebhookBodyOut", "data"),
}


def _operations(app) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every /api/v1 operation, included routers too."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path.startswith(API):
            found += [(method, context.path, route)
                      for method in sorted((context.methods or set()) - {"HEAD", "OPTIONS"})]
    assert len(found) > 100, "the walk found too few operations; has the API moved?"
    return found


def _is_timestamp(metadata) -> bool:
    return any(isinstance(m, PlainSerializer) and m.func is rfc3339_utc for m in metadata)


def _problems(annotation: Any, where: str, metadata=(), seen=None) -> list[str]:
    """What is untyped in ``annotation``: Any, a bare dict, or a datetime not a Timestamp."""
    seen = set() if seen is None else seen
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *meta = get_args(annotation)
        return _problems(inner, where, (*metadata, *meta), seen)
    if annotation is Any or annotation is object:
        return [f"{where}: Any"]
    if annotation is datetime:
        return [] if _is_timestamp(metadata) else [f"{where}: datetime, not Timestamp"]
    if annotation is dict or origin is dict and not get_args(annotation):
        return [f"{where}: a bare dict"]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        out = []
        for name, field in annotation.model_fields.items():
            if (annotation.__name__, name) in FREE_FORM:
                continue
            out += _problems(field.annotation, f"{annotation.__name__}.{name}",
                             tuple(field.metadata), seen)
        return out
    if origin in (list, tuple, set, frozenset, Union, types.UnionType, dict, typing.Literal):
        if origin is typing.Literal:
            return []
        out = []
        args = get_args(annotation)
        if origin is dict:
            args = args[1:]  # the keys are str or int
        for arg in args:
            if arg is not type(None) and arg is not Ellipsis:
                out += _problems(arg, where, (), seen)
        return out
    return []


def test_the_walk_sees_what_it_must():
    """The checker itself: it must catch each kind of hole it is meant to catch."""
    from app.api.types import Timestamp

    class Loose(BaseModel):
        anything: Any
        bag: dict[str, Any]
        plain: dict
        when: datetime
        maybe: datetime | None

    class Tight(BaseModel):
        when: Timestamp
        maybe: Timestamp | None
        many: list[Timestamp]
        keyed: dict[str, int]

    assert _problems(Loose, "x") == [
        "Loose.anything: Any", "Loose.bag: Any", "Loose.plain: a bare dict",
        "Loose.when: datetime, not Timestamp", "Loose.maybe: datetime, not Timestamp",
    ]
    assert _problems(Tight, "x") == []
    assert _problems(dict, "route") == ["route: a bare dict"]
    assert _problems(list[dict[str, Any]], "route") == ["route: Any"]


def test_every_api_operation_declares_a_typed_response(app):
    missing, untyped = [], []
    for method, path, route in _operations(app):
        key = (method, path)
        if key in BINARY:
            continue
        if route.status_code == 204:
            assert route.response_model is None, f"{key}: 204 carries no body"
            continue
        if route.response_model is None:
            missing.append(f"{method} {path}")
            continue
        untyped += [f"{method} {path}: {p}"
                    for p in _problems(route.response_model, "response")]
    assert not missing, "operations without a response model:\n" + "\n".join(missing)
    assert not untyped, "untyped parts of response models:\n" + "\n".join(untyped)


def test_files_declare_their_media_type(app):
    operations = {(m, p): r for m, p, r in _operations(app)}
    for key in BINARY:
        route = operations[key]  # KeyError: the allowed route is gone, drop it from BINARY
        content = route.responses[200]["content"] if "content" in route.responses.get(
            200, {}) else {}
        assert "application/json" not in content, key


@pytest.mark.parametrize("kind", ["score", "verdict", "gaps", "what-if", "compare",
                                  "framework", "oversight"])
def test_the_lke_results_have_named_schemas(app, kind):
    """The objects the issue named as free-form are typed objects in the OpenAPI now."""
    paths = {
        "score": ("get", "/api/v1/assessments/{assessment_id}/score"),
        "verdict": ("get", "/api/v1/assessments/{assessment_id}/verdict"),
        "gaps": ("get", "/api/v1/assessments/{assessment_id}/gaps"),
        "what-if": ("post", "/api/v1/assessments/{assessment_id}/what-if"),
        "compare": ("get", "/api/v1/assessments/{assessment_id}/compare/{other_id}"),
        "framework": ("get", "/api/v1/frameworks/{framework_id}"),
        "oversight": ("get", "/api/v1/oversight/assessments"),
    }
    method, path = paths[kind]
    schema = app.openapi()["paths"][path][method]["responses"]["200"]["content"][
        "application/json"]["schema"]
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    assert ref, schema
    component = app.openapi()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["type"] == "object" and component["properties"]


def test_verdict_schema_names_thresholds(app):
    schemas = app.openapi()["components"]["schemas"]
    check = schemas["CheckOut"]["properties"]
    assert {"value", "threshold", "threshold_exact", "missing", "passed"} <= set(check)
    threshold = schemas["ThresholdOut"]["properties"]
    assert {"minimum", "share", "predicate"} <= set(threshold)


def test_timestamps_are_documented_as_date_time():
    """A Timestamp reads as an RFC 3339 string in the document, and is sent as one in UTC."""
    from datetime import UTC, timedelta, timezone

    from app.api.types import Timestamp

    adapter = TypeAdapter(Timestamp)
    assert adapter.json_schema(mode="serialization") == {"type": "string",
                                                         "format": "date-time"}
    # 10:30 in Jakarta (+07:00) is 03:30 UTC; a naive value is UTC already (how it is stored).
    jakarta = datetime(2026, 12, 4, 10, 30, 0, 120000, tzinfo=timezone(timedelta(hours=7)))
    assert adapter.dump_json(jakarta) == b'"2026-12-04T03:30:00.120000Z"'
    assert adapter.dump_json(datetime(2026, 12, 4, 3, 30)) == b'"2026-12-04T03:30:00Z"'
    assert adapter.dump_json(datetime(2026, 12, 4, 3, 30, tzinfo=UTC)) == b'"2026-12-04T03:30:00Z"'


def _models(annotation: Any, seen: set) -> None:
    """Every pydantic model reachable from a response annotation, into ``seen``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
        return
    for arg in get_args(annotation):
        _models(arg, seen)


def test_documented_examples_are_valid_answers(app):
    """An example in the OpenAPI is something the API could send: it validates."""
    models: set = set()
    for _method, _path, route in _operations(app):
        if route.response_model is not None:
            _models(route.response_model, models)
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(example)
            checked += 1
    assert checked >= 3  # ScoreOut's and ImportOut's at least
