"""The API's one error shape: RFC 9457 problem details for every 4xx/5xx, each declared on
every operation of the OpenAPI document, and the document checked in as docs/openapi.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi import Depends

from app.api.docs import build_openapi, render_openapi
from app.deps import public
from app.main import create_app
from app.services.errors import Conflict, FieldProblem, Forbidden, Invalid
from tests.factories import issue_token, login
from tests.support.problems import PROBLEM_MEDIA_TYPE, problem

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


# --- the contract in the repository ---------------------------------------------------------

def test_docs_openapi_json_is_the_apps_document(app):
    """CI fails when a route changes and the checked-in contract was not regenerated."""
    assert DOCUMENT.exists(), "docs/openapi.json is missing: run `zona openapi --output " \
        "docs/openapi.json`"
    checked_in = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert checked_in == json.loads(render_openapi(app)), (
        "docs/openapi.json differs from the app's OpenAPI document: run "
        "`zona openapi --output docs/openapi.json` and commit the result "
        "(and add a line to docs/api-changelog.md)."
    )


def test_the_cli_writes_the_same_document(app, tmp_path):
    from typer.testing import CliRunner

    from app.cli import app as cli

    target = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == build_openapi(app)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_operation_declares_its_errors_as_problems(app):
    schema = build_openapi(app)
    assert "HTTPValidationError" not in json.dumps(schema)
    assert set(schema["components"]["schemas"]["Problem"]["required"]) == {
        "title", "status", "detail"}
    walked = 0
    for method, path, operation in _operations(schema):
        walked += 1
        responses = operation["responses"]
        expected = {"401", "403", "422", "500"}
        if "{" in path:
            expected.add("404")
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            expected |= {"409", "413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                if "$ref" in response:  # one shared declaration per status
                    name = response["$ref"].removeprefix("#/components/responses/")
                    response = schema["components"]["responses"][name]
                assert response["content"] == {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}, \
                    (method, path, status)
    assert walked > 100


def test_operation_ids_are_readable_and_prefixed_by_their_one_tag(app):
    schema = build_openapi(app)
    ids = []
    for method, path, operation in _operations(schema):
        (tag,) = operation["tags"]
        ids.append(operation["operationId"])
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", operation["operationId"]), (method, path)
        assert operation["operationId"].startswith(tag.replace("-", "_") + "_"), (method, path)
        assert "api_v1" not in operation["operationId"]
    assert len(ids) == len(set(ids))
    by_id = {op["operationId"]: (m, p) for m, p, op in _operations(schema)}
    assert by_id["assessments_put_answer"] == (
        "PUT", "/api/v1/assessments/{assessment_id}/answers/{ref}")
    assert by_id["surveys_submit_batch"] == (
        "POST", "/api/v1/survey-campaigns/{campaign_id}/responses/batch")
    assert by_id["frameworks_get_framework"] == ("GET", "/api/v1/frameworks/{framework_id}")
    assert {tag["name"] for tag in schema["tags"]} >= {
        "accounts", "units", "assessments", "frameworks", "evidence", "reviews", "surveys",
        "programme", "integration", "audit", "tokens"}


# --- each kind of refusal, answered as a problem ----------------------------------------------

async def test_request_validation_lists_every_invalid_input_in_both_languages(
        client, world, db):
    csrf = await login(client, "admin")
    unit_id = world.unit("UNIT-A1")
    response = await client.post(
        f"/api/v1/units/{unit_id}/predicates", headers={"X-CSRF-Token": csrf},
        json={"predicate": "WBX", "year": "dua ribu", "decree_number": "KEP-1",
              "decree_date": "2018-13-01", "admin": True},
    )
    assert response.status_code == 422
    body = problem(response)
    assert body["title"] == "Data tidak valid"
    assert body["detail"] == "Data yang dikirim tidak valid."
    assert body["detail_en"] == "The data sent is not valid."
    found = {(e["location"], e["field"]): e for e in body["errors"]}
    # Four wrong inputs, all named at once (not the first one only).
    assert set(found) == {("body", "predicate"), ("body", "year"), ("body", "decree_date"),
                          ("body", "admin")}
    year = found[("body", "year")]
    assert (year["code"], year["message"], year["message_en"]) == (
        "int_parsing", "Isian 'year' harus berupa bilangan bulat.",
        "Field 'year' must be a whole number.")
    assert found[("body", "predicate")]["message"] == \
        "Isian 'predicate' bukan pilihan yang tersedia."
    assert found[("body", "admin")]["code"] == "extra_forbidden"
    assert found[("body", "admin")]["message_en"] == "Field 'admin' is not a known field."


async def test_limits_are_named_with_their_bound(client, world, db):
    token = issue_token(db, world, "UNIT-A1", ["read"])
    unit_id = world.unit("UNIT-A1")
    response = await client.get(f"/api/v1/units/{unit_id}/innovations",
                                params={"limit": "abc", "offset": -1},
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert [(e["location"], e["field"], e["code"], e["message"], e["message_en"])
            for e in problem(response)["errors"]] == [
        ("query", "limit", "int_parsing", "Isian 'limit' harus berupa bilangan bulat.",
         "Field 'limit' must be a whole number."),
        ("query", "offset", "greater_than_equal", "Isian 'offset' paling kecil 0.",
         "Field 'offset' must be at least 0."),
    ]


async def test_a_body_that_is_not_json_is_one_named_error(client, world, db):
    csrf = await login(client, "admin")
    response = await client.post(
        f"/api/v1/units/{world.unit('UNIT-A1')}/predicates", content=b'{"predicate": ',
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})
    assert response.status_code == 422
    (error,) = problem(response)["errors"]
    assert (error["location"], error["field"], error["code"]) == ("body", "", "json_invalid")
    assert error["message"] == "Isi permintaan bukan JSON yang sah."
    assert error["message_en"] == "The request body is not valid JSON."


async def test_no_token_forbidden_not_found_and_wrong_method(client, world, db):
    anonymous = await client.get("/api/v1/units")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert problem(anonymous)["detail_en"] == (
        "Not authenticated: send an API token in the header 'Authorization: Bearer <token>'.")
    token = issue_token(db, world, "UNIT-A1", ["read"])
    auth = {"Authorization": f"Bearer {token}"}
    other = await client.get(f"/api/v1/units/{world.unit('UNIT-B1')}/innovations",
                             headers=auth)
    assert other.status_code == 403
    assert problem(other)["title"] == "Tidak berwenang"
    missing = await client.get("/api/v1/assessments/999999", headers=auth)
    assert missing.status_code == 404 and problem(missing)["title"] == "Tidak ditemukan"
    wrong = await client.delete("/api/v1/me", headers=auth)
    assert wrong.status_code == 405
    assert problem(wrong)["detail"] == "Metode tidak diizinkan untuk alamat ini."
    assert "GET" in wrong.headers["allow"]


@pytest.fixture
def refusing_app(settings):
    """A separate app with routes that raise what services raise, and a bug."""
    application = create_app(settings)
    anyone = [Depends(public(csrf=False))]

    def forbidden():
        raise Forbidden("Token ini tidak boleh mengirim LKE.", permission="submit:indicators")

    def invalid():
        raise Invalid(
            "Jawaban survei tidak valid.",
            errors=[FieldProblem("answers.U1", "out_of_range", "U1: nilai harus 1 sampai 4."),
                    FieldProblem("answers.U2", "missing", "U2: belum dijawab.")],
        )

    def conflict():
        raise Conflict("Kampanye sudah ditutup.", problems=["Buka kembali kampanye dahulu."])

    def bug():
        raise RuntimeError("a bug")

    for name, fn in (("forbidden", forbidden), ("invalid", invalid), ("conflict", conflict),
                     ("bug", bug)):
        application.add_api_route(f"/api/v1/_refuse/{name}", fn, methods=["GET"],
                                  dependencies=anyone)
    return application


async def test_service_errors_become_problems_with_their_named_errors(refusing_app):
    transport = httpx.ASGITransport(app=refusing_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        forbidden = problem(await c.get("/api/v1/_refuse/forbidden"))
        assert (forbidden["status"], forbidden["permission"]) == (403, "submit:indicators")
        invalid = problem(await c.get("/api/v1/_refuse/invalid"))
        assert "permission" not in invalid
        assert [(e["location"], e["field"], e["code"], e["message"])
                for e in invalid["errors"]] == [
            ("body", "answers.U1", "out_of_range", "U1: nilai harus 1 sampai 4."),
            ("body", "answers.U2", "missing", "U2: belum dijawab."),
        ]
        conflict = problem(await c.get("/api/v1/_refuse/conflict"))
        assert conflict["status"] == 409 and conflict["detail"] == "Kampanye sudah ditutup."
        assert [e["message"] for e in conflict["errors"]] == ["Buka kembali kampanye dahulu."]
        bug = await c.get("/api/v1/_refuse/bug")
        assert bug.status_code == 500
        assert problem(bug)["detail"] == "Terjadi kesalahan pada server."
        assert "a bug" not in bug.text
