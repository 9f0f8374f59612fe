"""The OpenAPI document as a contract: readable operation ids, tags per domain, and every
error an operation can answer declared as RFC 9457 problem details.

Declared centrally, from what every `/api/v1` route shares, so that no route can forget:

- every route checks a bearer token (or a session) and a permission: 401, 403;
- every route refuses invalid input (parameters, body, a NUL character anywhere in the
  query string): 422 with one `errors[]` item per invalid input;
- a route with a parameter or a body looks something up by it: 404;
- a route that changes data can meet a conflicting state or duplicate (409) and a body over
  the limit (413);
- anything unexpected is 500 (a bug, never input-dependent by design).

FastAPI's own `HTTPValidationError` is replaced by `Problem` everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from app.api.problems import PROBLEM_MEDIA_TYPE, Problem

#: The tag of each route, by the tag its router gives it (one per module): the domain an
#: integrator looks for. Paths below a prefix in TAG_BY_PATH get that tag instead.
TAG_BY_ROUTER_TAG = {
    "me": "accounts",
    "tokens": "tokens",
    "units": "units",
    "audit": "audit",
    "indicators": "assessments",
    "lke-xlsx": "assessments",
    "lke-report": "assessments",
    "evidence": "evidence",
    "reviews": "reviews",
    "surveys": "surveys",
    "programme": "programme",
    "integration": "integration",
    "rollup": "rollup",
}
TAG_BY_PATH = (
    ("/api/v1/frameworks", "frameworks"),
    ("/api/v1/oversight/", "oversight"),
)

#: Endpoint function names that do not read as <verb>_<noun>; the rest are used as they are.
OPERATION_NAMES = {
    "me": "get_me",
    "oversight": "list_assessments",
    "framework_tree": "get_framework",
    "list_frameworks": "list",
    "compare": "compare_assessments",
    "readiness": "get_readiness",
    "submit": "submit_assessment",
    "decide": "decide_review",
    "comparison": "get_comparison",
    "review_queue": "list_queue",
    "set_status": "set_campaign_status",
    "review": "review_response",
    "results": "get_results",
    "unit_trend": "get_unit_trend",
    "year_indices": "get_year_indices",
    "innovation_lineage": "get_innovation_lineage",
    "lke_suggestions": "list_lke_suggestions",
    "service_windows": "list_service_windows",
    "pillar_progress": "get_pillar_progress",
    "commitment": "get_commitment",
    "survey_plan": "get_survey_plan",
    "campaign_lke": "get_campaign_lke",
    "survey_change": "get_survey_change",
    "unit_audit": "list_unit_audit",
    "carry_over": "carry_over_evidence",
    "assessment_evidence": "list_assessment_evidence",
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

#: What each status means here, for the response's description in the document.
ERROR_DESCRIPTIONS = {
    401: "Not authenticated: no valid bearer token (or session) was sent.",
    403: "Not allowed: the token's scopes or the user's role do not cover this action at "
         "this unit (`permission` names what is missing when known).",
    404: "Not found, or not visible to the caller.",
    409: "Conflict with the current state (a locked or final assessment, a closed "
         "campaign, a duplicate code or key). Nothing was changed.",
    413: "The body is larger than the limit. Nothing was changed.",
    422: "Invalid input: `errors` lists every invalid parameter or body field, each with "
         "its location, field, code and an Indonesian and English message. Nothing was "
         "changed.",
    500: "Unexpected server error (a bug; the request id is in `X-Request-ID`).",
}


def route_tag(path: str, router_tags: list | None) -> str:
    """The one tag (domain) of an operation."""
    for prefix, tag in TAG_BY_PATH:
        if path.startswith(prefix):
            return tag
    first = str(router_tags[0]) if router_tags else "api"
    return TAG_BY_ROUTER_TAG.get(first, first)


def _identifier(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def operation_id(route: Any) -> str:
    """`generate_unique_id_function` of the API router: `<tag>_<verb_noun>`, for example
    `assessments_put_answer` (also names the generated body schemas)."""
    name = OPERATION_NAMES.get(route.name, route.name)
    return f"{_identifier(route_tag(route.path, route.tags))}_{_identifier(name)}"


def error_statuses(method: str, operation: dict) -> list[int]:
    """Every error status the operation can answer (see the module docstring)."""
    statuses = [401, 403]
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append(404)
    if method.upper() in WRITE_METHODS:
        statuses += [409, 413]
    statuses += [422, 500]
    return statuses


def _problem_response(status: int) -> dict:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _problem_response_name(status: int) -> str:
    """Each error status is written once under components/responses and referenced by every
    operation (the document stays readable in review instead of repeating it 700 times)."""
    return f"Problem{status}"


def problem_schemas() -> dict[str, dict]:
    """`Problem` and `ProblemError` as components."""
    schema = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    definitions = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}


def declare_errors(schema: dict) -> dict:
    """Tags, problem responses on every operation, and FastAPI's validation error replaced."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            operation["tags"] = [route_tag(path, operation.get("tags"))]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's HTTPValidationError
            for status in error_statuses(method, operation):
                responses[str(status)] = {
                    "$ref": f"#/components/responses/{_problem_response_name(status)}"
                }
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(problem_schemas())
    schema["components"]["responses"] = {
        _problem_response_name(status): _problem_response(status)
        for status in sorted(ERROR_DESCRIPTIONS)
    }
    schema["components"]["schemas"] = dict(sorted(components.items()))
    tags = sorted({op["tags"][0] for ops in schema.get("paths", {}).values()
                   for op in ops.values() if isinstance(op, dict) and op.get("tags")})
    schema["tags"] = [{"name": tag} for tag in tags]
    return schema
