"""A client generated from the OpenAPI contract drives a real server, as an integrator would.

`openapi-python-client generate --path docs/openapi.json` (no post hooks, so no ruff run on
the generated code) writes a package into a temporary folder; the test imports it and drives
`zona serve` (a uvicorn subprocess on a free loopback port, its own data folder and database:
a SQLite file, or a PostgreSQL database created here and dropped after when
ZONA_TEST_DATABASE_URL points at a server) with a unit's API token:

- create an assessment, put answers (one, then several), read the typed score and verdict;
- create a survey campaign, send a batch of responses twice with the same idempotency keys
  (the second time nothing is stored, the same responses come back), read the typed results;
- receive a 422 (and a 401, a 403) as a parsed RFC 9457 problem object.

The numbers are worked by hand from PermenPANRB 90/2021 (LKE weights and thresholds) and
PermenPANRB 14/2017 (IKM). The checked-in docs/openapi.json is used when it exists; without
it, the document the server itself publishes (/api/openapi.json) is generated from.

Operations are found by method and path in the generated code, so the test reads the same
whatever the operationIds are; `test_operation_ids_are_readable` checks the names themselves.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.services.accounts import tokens
from app.services.lke import frameworks
from app.services.surveys import instruments as survey_instruments
from tests.factories import build_world

pytestmark = pytest.mark.slow  # a server subprocess and a code generator: ~15 s

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "openapi.json"
PACKAGE = "zona_api_client"
GENERATOR_CONFIG = (
    "# No post hooks: the generated code is imported as it is, never reformatted by ruff.\n"
    "post_hooks: []\n"
    f"project_name_override: zona-api-client\npackage_name_override: {PACKAGE}\n"
)
SECRET = "generated-client-secret-" + "x" * 40
IKM = "ikm-2017"
PROBLEM_JSON = "application/problem+json"

# The parts of issue 12 built beside this test (see the module docstring).


# --- a database, a server and a generated client of its own --------------------------------


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A fresh database of the kind under test, built by the migrations."""
    base = os.environ.get("ZONA_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        url = f"sqlite:///{tmp_path_factory.mktemp('client-db') / 'zona.sqlite3'}"
        upgrade(url)
        yield url
        return
    server = make_url(base).set(database="postgres").render_as_string(hide_password=False)
    name = f"zona_client_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Seed:
    unit_id: int
    token: str  # read, write:indicators, write:surveys
    read_token: str  # read only


@pytest.fixture(scope="module")
def seed(database_url) -> Seed:
    """What a coordinator sets up before an integrator starts: the unit and its tokens."""
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        survey_instruments.sync_bundled(session)
        frameworks.sync_bundled(session)
        world = build_world(session)
        unit_id = world.unit("UNIT-A1")
        token = tokens.create(
            session, actor=None, unit_id=unit_id, name="sistem-integrasi",
            scopes=["read", "write:indicators", "write:surveys"],
        ).secret
        read_token = tokens.create(
            session, actor=None, unit_id=unit_id, name="dasbor", scopes=["read"]
        ).secret
    engine.dispose()
    return Seed(unit_id=unit_id, token=token, read_token=read_token)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(database_url, seed, tmp_path_factory):
    """`zona serve` in a subprocess; yields its base URL once /readyz answers 200."""
    folder = tmp_path_factory.mktemp("client-server")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ZONA_DATABASE_URL": database_url,
           "ZONA_DATA_DIR": str(folder / "data"), "ZONA_SECRET_KEY": SECRET,
           "ZONA_ENVIRONMENT": "development", "ZONA_BASE_URL": base,
           "ZONA_WEBHOOKS_WORKER": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("ZONA_UPLOAD_DIR", None)
    log_path = folder / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not ready:\n" + log_path.read_text()[-3000:]
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Generated:
    """The generated package, a signed-in client, and its operations by method and path."""

    package: ModuleType
    client: Any  # zona_api_client.AuthenticatedClient
    anonymous: Any  # zona_api_client.Client
    contract: dict
    operations: dict[tuple[str, str], ModuleType] = field(default_factory=dict)

    def op(self, method: str, path: str) -> ModuleType:
        """The generated module of one operation (its sync_detailed, sync, asyncio...)."""
        assert (method, path) in self.operations, f"{method.upper()} {path} not generated"
        return self.operations[method, path]

    def call(self, method: str, path: str, *, client=None, body: dict | None = None,
             **params):
        """Call an operation with a body built by its generated model (`Model.from_dict`)."""
        module = self.op(method, path)
        if body is not None:
            params["body"] = body_model(module).from_dict(body)
        client = client or self.client
        try:
            return module.sync_detailed(client=client, **params)
        except Exception as exc:  # the generated client could not read the answer: show it
            raw = client.get_httpx_client().request(**module._get_kwargs(**{
                k: v for k, v in params.items() if k != "client"}))
            raise AssertionError(
                f"{method.upper()} {path}: the generated client failed on "
                f"{raw.status_code} {raw.text[:1000]}") from exc

    def model(self, name: str):
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def body_model(module: ModuleType):
    """The model class the operation's `body` parameter is typed with."""
    annotation = inspect.signature(module.sync_detailed).parameters["body"].annotation
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    for candidate in candidates:
        if inspect.isclass(candidate) and hasattr(candidate, "from_dict"):
            return candidate
    raise AssertionError(f"no body model in {annotation!r}")


METHOD = re.compile(r'"method":\s*"(\w+)"')
URL = re.compile(r'"url":\s*f?"([^"]+)"')


def _index_operations(folder: Path) -> dict[tuple[str, str], ModuleType]:
    found = {}
    for path in sorted((folder / "api").glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        method, url = METHOD.search(source), URL.search(source)
        assert method and url, f"cannot read method and url of {path}"
        name = f"{PACKAGE}.api.{path.parent.name}.{path.stem}"
        found[method.group(1), url.group(1)] = importlib.import_module(name)
    return found


@pytest.fixture(scope="module")
def api(server, seed, tmp_path_factory) -> Generated:
    folder = tmp_path_factory.mktemp("client-generated")
    if CONTRACT.exists():
        contract_path = CONTRACT
    else:
        # Not checked in yet: the document this very server publishes.
        published = httpx.get(f"{server}/api/openapi.json",
                              headers={"Authorization": f"Bearer {seed.token}"}, timeout=30)
        assert published.status_code == 200, published.text[:500]
        contract_path = folder / "openapi.json"
        contract_path.write_text(published.text, encoding="utf-8")
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG, encoding="utf-8")
    out = folder / PACKAGE
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(generator), "generate", "--path", str(contract_path), "--config", str(config),
         "--meta", "none", "--output-path", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and out.is_dir(), result.stdout[-3000:] + result.stderr[-3000:]
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        client = package.AuthenticatedClient(base_url=server, token=seed.token, timeout=30.0)
        anonymous = package.Client(base_url=server, timeout=30.0)
        yield Generated(package=package, client=client, anonymous=anonymous,
                        contract=json.loads(contract_path.read_text(encoding="utf-8")),
                        operations=_index_operations(out))
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


# --- LKE: an assessment, its answers, score and verdict ------------------------------------

ASSESSMENTS = "/api/v1/units/{unit_id}/assessments"
ANSWER = "/api/v1/assessments/{assessment_id}/answers/{ref}"
ANSWERS = "/api/v1/assessments/{assessment_id}/answers"
SCORE = "/api/v1/assessments/{assessment_id}/score"
VERDICT = "/api/v1/assessments/{assessment_id}/verdict"
ASSESSMENT = "/api/v1/assessments/{assessment_id}"

# PPA2 "Rencana Pembangunan ZI" weighs 1.00 over its 3 questions: Ya, C, C = 1 + 0 + 0,
# 1.00 x 1/3 = 1/3. HBA1A (IPAK) weighs 17.50; an index of 3.00 on the 1-4 scale gives
# 3/4 x 17.50 = 105/8 = 13.125. Total 1/3 + 105/8 = (8 + 315)/24 = 323/24 = 13.458.. -> 13.46.
PPA2_ITEMS = [{"ref": "PPA2A", "option": "Ya"}, {"ref": "PPA2B", "option": "C"},
              {"ref": "PPA2C", "option": "C"}]


@dataclass
class Worksheet:
    created: Any
    hba1a: Any
    ppa2: Any


@pytest.fixture(scope="module")
def worksheet(api, seed) -> Worksheet:
    created = api.call("post", ASSESSMENTS, unit_id=seed.unit_id,
                       body={"year": 2026, "target": "WBK"})
    assert created.status_code == 201, created.content[:500]
    aid = created.parsed.id
    hba1a = api.call("put", ANSWER, assessment_id=aid, ref="HBA1A",
                     body={"index": "3.00", "penjelasan": "Survei IPAK semester I"})
    assert hba1a.status_code == 200, hba1a.content[:500]
    ppa2 = api.call("put", ANSWERS, assessment_id=aid, body={"answers": PPA2_ITEMS})
    assert ppa2.status_code == 200, ppa2.content[:500]
    return Worksheet(created=created.parsed, hba1a=hba1a.parsed, ppa2=ppa2.parsed)


def test_create_assessment_and_put_answers(api, seed, worksheet):
    a = worksheet.created
    assert type(a).__name__ == "AssessmentOut"
    assert (a.unit_id, a.year, a.status, a.editable) == (seed.unit_id, 2026, "draft", True)
    assert str(a.target) == "WBK" or getattr(a.target, "value", None) == "WBK"
    assert (a.total, a.answered, a.questions) == ("0.00", 0, 113)

    one = worksheet.hba1a
    assert type(one).__name__ == "AnswerOut"
    assert (one.ref, Decimal(one.index), one.penjelasan, one.revision) == (
        "HBA1A", 3, "Survei IPAK semester I", 1)
    # 3.00 on 1-4 is 3/4 of the weight 17.50: 105/8 = 13.125 -> 13.13 (half up).
    assert (one.value, one.score, one.score_exact, one.weight) == ("0.75", "13.13", "105/8",
                                                                    "17.50")

    rows = {row.ref: row for row in worksheet.ppa2}
    assert set(rows) == {"PPA2A", "PPA2B", "PPA2C"}
    # Each PPA2 question weighs 1/3: Ya is 1 (1/3 point), C is 0 on an A-C question.
    assert (rows["PPA2A"].option, rows["PPA2A"].score_exact) == ("Ya", "1/3")
    assert (rows["PPA2B"].value, rows["PPA2B"].score) == ("0.00", "0.00")

    again = api.call("get", ASSESSMENT, assessment_id=a.id).parsed
    assert (again.total, again.total_exact, again.answered) == ("13.46", "323/24", 4)
    assert again.verdict_passed is False


def test_score_and_verdict_values(api, worksheet):
    """The numbers, read through the generated models' to_dict (typed or not yet)."""
    aid = worksheet.created.id
    score = api.call("get", SCORE, assessment_id=aid)
    assert score.status_code == 200
    tree = score.parsed.to_dict()
    assert (tree["total"]["score"], tree["total"]["score_exact"]) == ("13.46", "323/24")
    assert tree["sub_indicators"]["PPA2"]["score_exact"] == "1/3"
    assert tree["parts"]["HB"]["score_exact"] == "105/8"

    verdict = api.call("get", VERDICT, assessment_id=aid)
    assert verdict.status_code == 200
    v = verdict.parsed.to_dict()
    assert (v["target"], v["passed"]) == ("WBK", False)
    # WBK asks IPAK (HBA) >= 15.75 of its 17.50: 13.125 misses it by 2.625 -> 2.63.
    ipak = next(c for c in v["checks"] if c["code"] == "ipak")
    assert (ipak["value"], ipak["threshold"], ipak["missing"], ipak["passed"]) == (
        "13.13", "15.75", "2.63", False)


def test_score_and_verdict_are_typed(api, worksheet):
    aid = worksheet.created.id
    score = api.call("get", SCORE, assessment_id=aid).parsed
    # Attribute access on generated models, not a free-form mapping.
    assert (score.total.score, score.total.score_exact) == ("13.46", "323/24")
    assert score.total.answered == 4
    assert score.sub_indicators["PPA2"].score_exact == "1/3"
    assert score.parts["HB"].score_exact == "105/8"
    assert score.additional_properties == {}

    verdict = api.call("get", VERDICT, assessment_id=aid).parsed
    assert verdict.passed is False and verdict.target == "WBK"
    ipak = next(c for c in verdict.checks if c.code == "ipak")
    assert (ipak.value, ipak.threshold, ipak.missing, ipak.passed) == (
        "13.13", "15.75", "2.63", False)
    assert verdict.additional_properties == {}


# --- surveys: a campaign, a batch sent twice, the results ----------------------------------

CAMPAIGNS = "/api/v1/units/{unit_id}/survey-campaigns"
BATCH = "/api/v1/survey-campaigns/{campaign_id}/responses/batch"
RESPONSES = "/api/v1/survey-campaigns/{campaign_id}/responses"
RESULTS = "/api/v1/survey-campaigns/{campaign_id}/results"


def _this_semester(today: date) -> dict:
    """A semester campaign open today (the unit's day, Asia/Jakarta), its label agreeing
    with its dates."""
    if today.month <= 6:
        return {"period_label": f"{today.year}-S1", "opens_on": f"{today.year}-01-01",
                "closes_on": f"{today.year}-06-30"}
    return {"period_label": f"{today.year}-S2", "opens_on": f"{today.year}-07-01",
            "closes_on": f"{today.year}-12-31"}


def _ikm(value: int) -> dict:
    return {IKM: {f"U{n}": value for n in range(1, 10)}}


#: Two respondents: every element 4 (Sangat baik) and every element 3 (Baik).
BATCH_BODY = {"items": [
    {"idempotency_key": "loket-1-000001", "answers": _ikm(4)},
    {"idempotency_key": "loket-1-000002", "answers": _ikm(3)},
]}


@dataclass
class Batches:
    campaign: Any
    first: Any
    second: Any


@pytest.fixture(scope="module")
def batches(api, seed) -> Batches:
    created = api.call("post", CAMPAIGNS, unit_id=seed.unit_id, body={
        "title": "Survei Kepuasan Masyarakat", "instruments": [IKM], "period_kind": "semester",
        "population": 400, **_this_semester(datetime.now(ZoneInfo("Asia/Jakarta")).date())})
    assert created.status_code == 201, created.content[:500]
    cid = created.parsed.id
    first = api.call("post", BATCH, campaign_id=cid, body=BATCH_BODY)
    assert first.status_code == 200, first.content[:500]
    # The same batch again (a retry after a timeout): the same keys.
    second = api.call("post", BATCH, campaign_id=cid, body=BATCH_BODY)
    assert second.status_code == 200, second.content[:500]
    return Batches(campaign=created.parsed, first=first.parsed, second=second.parsed)


def test_survey_batch_twice_with_the_same_keys(api, batches):
    first, second = batches.first, batches.second
    assert type(first).__name__ == "BatchOut"
    assert (first.created, first.duplicates) == (2, 0)
    assert [item.duplicate for item in first.items] == [False, False]
    # Nothing stored twice: the same two responses come back, marked as duplicates.
    assert (second.created, second.duplicates) == (0, 2)
    assert [item.duplicate for item in second.items] == [True, True]
    assert [item.id for item in second.items] == [item.id for item in first.items]
    assert {item.campaign_id for item in first.items + second.items} == {batches.campaign.id}

    listed = api.call("get", RESPONSES, campaign_id=batches.campaign.id).parsed
    assert listed.total == 2
    assert sorted(r.id for r in listed.items) == sorted(item.id for item in first.items)


def test_survey_results_are_typed(api, batches):
    results = api.call("get", RESULTS, campaign_id=batches.campaign.id)
    assert results.status_code == 200
    res = results.parsed
    assert (res.respondents, res.stored, res.campaign.id) == (2, 2, batches.campaign.id)
    ikm = next(r for r in res.instruments if r.code == IKM)
    # Every element's NRR is (4 + 3)/2 = 7/2; IKM = 25 x 7/2 = 175/2 = 87.50, which is
    # grade B "Baik" (76.61-88.30, PermenPANRB 14/2017).
    assert (ikm.value.exact, ikm.value.rounded) == ("175/2", "87.50")
    assert (ikm.value_1_4.exact, ikm.value_1_4.rounded) == ("7/2", "3.50")
    assert (ikm.grade.letter, ikm.grade.label) == ("B", "Baik")
    assert len(ikm.elements) == 9
    assert {(e.nrr.exact, e.answers) for e in ikm.elements} == {("7/2", 2)}


def test_timestamps_carry_an_offset_and_repeat_identically(api, worksheet, batches):
    stamps = [worksheet.created.created_at, worksheet.created.updated_at,
              worksheet.hba1a.updated_at,
              *(item.submitted_at for item in batches.first.items + batches.second.items)]
    assert all(s.tzinfo is not None and s.utcoffset().total_seconds() == 0 for s in stamps)
    # A duplicate returns the moment the response was first stored, the same way written.
    raw_first = [i["submitted_at"] for i in json.loads(_raw_batch(api, batches))["items"]]
    assert all(s.endswith("Z") for s in raw_first)
    assert [i.submitted_at for i in batches.second.items] == \
        [i.submitted_at for i in batches.first.items]


def _raw_batch(api, batches) -> bytes:
    """The batch sent a third time; the raw body as the server wrote it."""
    again = api.call("post", BATCH, campaign_id=batches.campaign.id, body=BATCH_BODY)
    assert again.status_code == 200
    return again.content


# --- refusals: parsed problem objects ------------------------------------------------------


def _problem(api, response, status: int):
    assert response.status_code == status, response.content[:500]
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.parsed
    assert isinstance(problem, api.model("Problem")), type(problem)
    assert problem.status == status and problem.title and problem.detail
    return problem


def test_a_refused_answer_is_a_parsed_problem(api, worksheet):
    aid = worksheet.created.id
    # "Z" is no option of PPA2A (Ya/Tidak): a service refusal.
    refused = api.call("put", ANSWER, assessment_id=aid, ref="PPA2A", body={"option": "Z"})
    problem = _problem(api, refused, 422)
    assert problem.errors and all(e.message and e.message_en for e in problem.errors)
    # Nothing stored: PPA2A is still Ya.
    kept = api.call("get", ANSWER, assessment_id=aid, ref="PPA2A").parsed
    assert (kept.option, kept.revision) == ("Ya", 1)

    # Request validation: a year that is not a number (the generated model does not check
    # types, the server does).
    invalid = api.call("post", ASSESSMENTS, unit_id=worksheet.created.unit_id,
                       body={"year": "dua ribu", "target": "WBK"})
    problem = _problem(api, invalid, 422)
    year = next(e for e in problem.errors if e.field == "year")
    assert year.location == "body" and year.code and year.message and year.message_en

    # Without a token: 401; an id that does not exist: 404. Problems too.
    anonymous = api.call("get", ASSESSMENT, client=api.anonymous, assessment_id=aid)
    _problem(api, anonymous, 401)
    _problem(api, api.call("get", ASSESSMENT, assessment_id=aid + 10**6), 404)


def test_a_missing_scope_is_named(api, seed, worksheet):
    reader = api.package.AuthenticatedClient(base_url=api.client._base_url,
                                             token=seed.read_token)
    refused = api.call("put", ANSWER, client=reader, assessment_id=worksheet.created.id,
                       ref="PPA2A", body={"option": "Tidak"})
    problem = _problem(api, refused, 403)
    assert problem.permission == "write:indicators"


def test_every_survey_problem_is_reported_at_once(api, batches):
    # U1 out of the 1-4 range and U2 a string: both reported, nothing stored.
    bad = {"items": [{"idempotency_key": "loket-1-000003",
                      "answers": {IKM: {**_ikm(4)[IKM], "U1": 5, "U2": "3"}}}]}
    refused = api.call("post", BATCH, campaign_id=batches.campaign.id, body=bad)
    problem = _problem(api, refused, 422)
    fields = [e.field for e in problem.errors]
    assert any(f.endswith("U1") for f in fields) and any(f.endswith("U2") for f in fields)
    listed = api.call("get", RESPONSES, campaign_id=batches.campaign.id).parsed
    assert listed.total == 2


def test_a_retried_create_returns_the_first_answer(api, seed):
    """A create sent again with its Idempotency-Key (the answer was lost) creates nothing:
    the same status and body come back. The same key with another body is refused."""
    create = api.op("post", ASSESSMENTS)
    assert "idempotency_key" in inspect.signature(create.sync_detailed).parameters
    body = {"year": 2027, "target": "WBK"}
    first = api.call("post", ASSESSMENTS, unit_id=seed.unit_id, body=body,
                     idempotency_key="rencana-lke-2027")
    again = api.call("post", ASSESSMENTS, unit_id=seed.unit_id, body=body,
                     idempotency_key="rencana-lke-2027")
    assert first.status_code == again.status_code == 201
    assert again.parsed.id == first.parsed.id and again.content == first.content
    listed = api.call("get", ASSESSMENTS, unit_id=seed.unit_id).parsed
    assert [a.year for a in listed].count(2027) == 1
    other = api.call("post", ASSESSMENTS, unit_id=seed.unit_id,
                     body={"year": 2028, "target": "WBK"}, idempotency_key="rencana-lke-2027")
    _problem(api, other, 422)
    listed = api.call("get", ASSESSMENTS, unit_id=seed.unit_id).parsed
    assert 2028 not in [a.year for a in listed]


# --- the contract's names ------------------------------------------------------------------


def test_operation_ids_are_readable(api):
    """`assessments_put_answer`, not `put_answer_api_v1_assessments_..._put`: the names an
    integrator's generated functions get."""
    for path, item in api.contract["paths"].items():
        for method, operation in item.items():
            op_id, tags = operation["operationId"], operation.get("tags") or []
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", op_id), (method, path, op_id)
            assert "api_v1" not in op_id, (method, path, op_id)
            assert tags and op_id.startswith(tags[0].replace("-", "_") + "_"), (
                method, path, op_id, tags)
