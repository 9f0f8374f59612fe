"""Fuzz the JSON API with schemathesis against the in-process app; report every 5xx.

Not part of the test suite (random, minutes long): run it by hand after API changes.

    /work/venv/bin/pip install schemathesis
    /work/venv/bin/python scripts/fuzz_api.py                       # SQLite, 25 cases/op
    ZONA_FUZZ_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        /work/venv/bin/python scripts/fuzz_api.py --examples 40

The app runs on a fresh database (a temporary SQLite file, or a new PostgreSQL database
that is dropped at the end) loaded with the demo data. Every operation of the OpenAPI
schema is called with cases schemathesis generates (positive: valid by the schema; negative:
violating it), path ids replaced by ids of real rows so the calls reach the services, as
three callers: a coordinator API token with every scope, the coordinator's browser session
(cookie + CSRF header) and the administrator's session. Deleting operations run last.

Exit status 1 when any response was a 5xx; each distinct failure is printed once with the
server's exception and a curl-like reproduction.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

# Path parameter -> table whose ids are real targets.
ID_TABLES = {
    "unit_id": "unit", "token_id": "api_token", "assessment_id": "assessment",
    "other_id": "assessment", "evidence_id": "evidence", "link_id": "evidence_link",
    "service_id": "survey_service", "campaign_id": "survey_campaign",
    "response_id": "survey_response", "innovation_id": "innovation",
    "impact_id": "innovation_impact", "pillar_id": "pillar", "decree_id": "team_decree",
    "member_id": "team_member", "pact_id": "integrity_pact", "activity_id": "team_activity",
    "item_id": "action_item", "partnership_id": "partnership", "milestone_id": "milestone",
    "framework_id": "lke_framework",
}


class _Capture(logging.Handler):
    """Keeps the last unhandled exception the app logged."""

    def __init__(self) -> None:
        super().__init__()
        self.last: str | None = None
        self.net: list[str] = []  # refusals only app.errors' database safety net caught

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("database refused input"):
            self.net.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.last = f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:300]}"


def _database(url_base: str | None) -> tuple[str, callable]:
    if url_base and url_base.startswith("postgresql"):
        from app.db import make_engine

        url = make_url(url_base)
        name = f"zona_fuzz_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return url.set(database=name).render_as_string(hide_password=False), drop
    folder = tempfile.mkdtemp(prefix="zona-fuzz-")
    return f"sqlite:///{folder}/fuzz.sqlite3", lambda: None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25, help="cases per operation and mode")
    parser.add_argument("--only", default="", help="substring of the path to fuzz")
    args = parser.parse_args()

    import app.web  # noqa: F401  (capabilities register their demo steps)
    from app.api.docs import build_openapi
    from app.config import Settings
    from app.main import create_app
    from app.migrate import upgrade
    from app.services import demo
    from app.services.accounts import tokens

    url, drop = _database(os.environ.get("ZONA_FUZZ_DATABASE_URL"))
    try:
        upgrade(url)
        data = Path(tempfile.mkdtemp(prefix="zona-fuzz-data-"))
        application = create_app(
            Settings(database_url=url, data_dir=data, secret_key="fuzz-" + "k" * 40,
                     upload_dir=data / "uploads", login_max_failures=10_000)
        )
        capture = _Capture()
        logging.getLogger("zona").addHandler(capture)
        logging.getLogger("zona").propagate = False
        with Session(application.state.engine, expire_on_commit=False) as session:
            result = demo.load(session)
            unit_id = result.unit_ids["KPPN-TJP"]
            secret = tokens.create(
                session, actor=None, unit_id=unit_id, name="fuzz",
                scopes=["read", "write:indicators", "write:surveys", "write:programme"],
            ).secret
        failures = run(application, build_openapi(application), unit_id, secret, args, capture)
    finally:
        drop()
    return 1 if failures else 0


def _ids(engine, unit_id: int) -> dict[str, list]:
    found: dict[str, list] = {}
    with engine.connect() as c:
        for param, table in ID_TABLES.items():
            rows = [r[0] for r in c.execute(text(f"SELECT id FROM {table} ORDER BY id"))]
            found[param] = rows[:5] or [1]
        found["unit_id"] = [unit_id]
        refs = [r[0] for r in c.execute(text("SELECT DISTINCT question_ref FROM lke_answer"))]
        found["ref"] = refs[:5] or ["1.1.1"]
    return found


def _login(client: TestClient, username: str) -> dict[str, str]:
    from app.services.demo import DEMO_PASSWORD

    page = client.get("/login")
    assert page.status_code == 200
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD,
                        "csrf_token": _page_csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    # The token is bound to the new session: read it from a page, not from a cookie.
    return {"X-CSRF-Token": _page_csrf(client.get("/login").text)}


def _page_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def run(application, spec, unit_id, secret, args, capture) -> dict:
    schema = schemathesis.openapi.from_dict(spec)
    ids = _ids(application.state.engine, unit_id)
    callers = []
    token_client = TestClient(application, raise_server_exceptions=False)
    callers.append(("token", token_client, {"Authorization": f"Bearer {secret}"}))
    for username in ("koordinator", "admin"):
        c = TestClient(application, raise_server_exceptions=False)
        callers.append((username, c, _login(c, username)))

    operations = [r.ok() for r in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", op.path))
    failures: dict[tuple, list[str]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    total = 0
    def fuzz(operation, mode, strategy) -> None:
        @settings(max_examples=args.examples, deadline=None, derandomize=True,
                  database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy, who=st.sampled_from(callers), pick=st.integers(0, 4),
               real=st.booleans())
        def call(case, who, pick, real):
            nonlocal total
            name, client, headers = who
            if case.path_parameters and (mode == GenerationMode.POSITIVE or real):
                for key in list(case.path_parameters):
                    if key in ids:
                        pool = ids[key]
                        case.path_parameters[key] = pool[pick % len(pool)]
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            for unused in ("cookies", "timeout", "allow_redirects", "verify"):
                kwargs.pop(unused, None)
            send_headers = {**(kwargs.pop("headers", None) or {}), **headers}
            if name != "token":
                send_headers.pop("Authorization", None)
            capture.last = None
            method = kwargs.pop("method")
            target = kwargs.pop("url")
            try:
                response = client.request(method, target, headers=send_headers,
                                          follow_redirects=False, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the transport itself broke
                failures[(operation.method.upper(), operation.path, "transport",
                          type(exc).__name__)].append(f"{method} {target} {exc}")
                return
            total += 1
            counts[response.status_code] += 1
            if response.status_code >= 500:
                key = (operation.method.upper(), operation.path, response.status_code,
                       (capture.last or "")[:120])
                body = kwargs.get("json", kwargs.get("data", kwargs.get("content")))
                failures[key].append(
                    f"[{name}] {method} {target} params={kwargs.get('params')} "
                    f"body={str(body)[:400]}"
                )

        call()

    for operation in operations:
        if args.only and args.only not in operation.path:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception as exc:  # noqa: BLE001 - a schema schemathesis cannot use
                print(f"skip {operation.method} {operation.path} ({mode}): {exc}")
                continue
            fuzz(operation, mode, strategy)
        print(f"{operation.method.upper():6} {operation.path}: done ({total} requests so far)",
              flush=True)

    print("\nstatus counts:", dict(sorted(counts.items())))
    print(f"{total} requests, {len(failures)} distinct 5xx failures")
    net = sorted(set(capture.net))
    print(f"{len(capture.net)} refusals by the database safety net ({len(net)} distinct):")
    for line in net[:40]:
        print("   ", line[:300])
    for (method, path, status, exc), samples in sorted(failures.items(), key=str):
        print(f"\n{status} {method} {path}\n    {exc}\n    e.g. {samples[0]}")
    return failures


if __name__ == "__main__":
    raise SystemExit(main())
