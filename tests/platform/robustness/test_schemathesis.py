"""Schemathesis against the OpenAPI document: every operation, valid and invalid input.

What an integrator's generated client relies on: no server error for anything a client can
send, every answer matching the schema its operation declares, and no status the operation
does not declare. Bounded (a few examples per operation and mode, derandomised) so it runs
in about a minute per database; CI runs it on SQLite and PostgreSQL (`.ci/run`).

Seeded with the demo data; the valid cases use the demo's ids in the path (so lookups find
rows and the operations do their work), the invalid ones whatever schemathesis makes up.
Deleting operations run last, so the rows stay for the others.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from app.security.principal import ALL_SCOPES
from app.services.accounts import tokens

#: Examples per operation and mode (valid, invalid): 2 x 126 operations x this many calls.
EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

def _demo_value(name: str, demo):
    if name == "unit_id":
        return demo.unit_id
    if name == "ref":
        return demo.ref
    return demo.ids.get(name, 1)


def _path_names(operation) -> list[str]:
    return re.findall(r"\{(\w+)\}", operation.path)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_schema_violation_or_undeclared_status(
        app, db, demo_data):
    token = tokens.create(db, actor=None, unit_id=demo_data.unit_id, name="schemathesis",
                          scopes=list(ALL_SCOPES)).secret
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    assert len(operations) > 100

    failures: list[str] = []
    calls = 0

    def exercise(operation, mode, path_parameters) -> None:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            phases=[Phase.explicit, Phase.generate], verbosity=Verbosity.quiet,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=auth)
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except FailureGroup as group:
                for failure in group.exceptions:
                    failures.append(
                        f"{operation.method.upper()} {operation.path} [{mode.value}] "
                        f"{response.status_code}: {failure.title}: "
                        f"{str(failure.message)[:300]}\n    {case.as_curl_command()}"
                    )

        run()

    for operation in operations:
        fixed = {name: _demo_value(name, demo_data) for name in _path_names(operation)}
        exercise(operation, schemathesis.GenerationMode.POSITIVE, fixed)
        exercise(operation, schemathesis.GenerationMode.NEGATIVE, None)

    assert calls > 100 * EXAMPLES
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} failures:\n" + "\n".join(unique[:60])
