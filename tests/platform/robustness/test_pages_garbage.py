"""Every HTML form POST route, fed garbage by a signed-in coordinator (valid CSRF token):
never a 5xx, a readable Indonesian message, and nothing changed in any table.

The fields of each form are harvested from the pages themselves (every GET page of the demo
unit, with real ids), so a new form is walked without editing this test. Each route then
gets: an empty body, every field empty / not a number / huge / negative / out of the int4
range / with a NUL byte / 5,000 characters long, and unknown ids in its path. The public
survey form (/s/...) is walked by its own tests.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from app.services.accounts import tokens
from app.services.surveys import catalogue as survey_catalogue
from tests.factories import login
from tests.support.routes import fill_path

GARBAGE = {
    "empty": "",
    "text": "abc",
    "huge": "99999999999999999999",
    "negative": "-1",
    "int4": "2147483648",
    "nan": "NaN",
    "nul": "x\x00y",
    "long": "x" * 5000,
}
# Path ids that address nothing: unknown, zero, past PostgreSQL's int4 and past int8.
BAD_IDS = ["999999", "0", "2147483648", "99999999999999999999"]

# Routes that a coordinator may legitimately complete whatever the form says (they take no
# input but the target): toggling, deleting, signing out. Only their unknown ids are walked.
NO_INPUT = re.compile(
    r"(/delete|/revoke|/unlink|/active|/carry-over|^/logout|/tokens)$"
)
# The words of app.errors' last-resort handlers: a service should have said it first.
NET = re.compile(r"bertentangan dengan data yang sudah ada|ada nilai yang terlalu panjang")
# English that must never reach a page as an error message.
ENGLISH = re.compile(
    r"Field required|Input should|value is not|Traceback|Internal Server Error|"
    r"validation error|Expecting value|not a valid", re.IGNORECASE,
)


class _Forms(HTMLParser):
    """(action, field names, file field names) of every POST form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str], set[str]]] = []
        self._current: tuple[str, set[str], set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = (attrs.get("action") or "", set(), set())
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current and attrs.get("name"):
            if attrs.get("type") == "file":
                self._current[2].add(attrs["name"])
            else:
                self._current[1].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _routes(app, methods: set[str]):
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path.startswith(("/api", "/s/")):
            continue
        for method in sorted((context.methods or set()) & methods):
            yield method, context.path


def _pattern(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


async def _harvest(app, client, demo) -> dict[str, tuple[set[str], set[str]]]:
    """POST route path -> (fields, file fields) seen in forms on the GET pages."""
    posts = [path for _m, path in _routes(app, {"POST"})]
    patterns = [(path, _pattern(path)) for path in posts]
    found: dict[str, tuple[set[str], set[str]]] = {}
    for _method, path in _routes(app, {"GET"}):
        response = await client.get(fill_path(path, demo))
        if response.status_code != 200 or "text/html" not in response.headers.get(
                "content-type", ""):
            continue
        parser = _Forms()
        parser.feed(response.text)
        for action, names, files in parser.forms:
            action = action.split("?")[0]
            for post, pattern in patterns:
                if pattern.match(action):
                    fields, file_fields = found.setdefault(post, (set(), set()))
                    fields |= names - {"csrf_token"}
                    file_fields |= files
    return found


def _readable(response) -> str | None:
    """Why this refusal is not a readable Indonesian message (None when it is)."""
    body = response.text
    if ENGLISH.search(body):
        return "English or technical text: " + ENGLISH.search(body).group(0)
    if response.status_code in (303, 302):
        return None  # back to the page, which shows the flash
    if 'role="alert"' not in body and "flash-error" not in body and "<h1>4" not in body:
        return "no error message on the page"
    return None


@pytest.fixture
def more_rows(db, demo_data):
    """A token and a survey source, so their routes address real rows too."""
    demo_data.ids["token_id"] = tokens.create(
        db, actor=None, unit_id=demo_data.unit_id, name="walk", scopes=["read"]
    ).token.id
    demo_data.ids["source_id"] = survey_catalogue.create_source(
        db, actor=None, campaign_id=demo_data.ids["campaign_id"], tag="loket-1", label="Loket 1"
    ).id
    return demo_data


@pytest.mark.slow
async def test_every_form_refuses_garbage_and_changes_nothing(
        app, client, engine, row_counts, more_rows):
    demo = more_rows
    csrf = await login(client, "koordinator", "zona-demo-2026")
    forms = await _harvest(app, client, demo)
    failures: list[str] = []
    walked = 0

    async def send(path: str, url: str, label: str, data: dict, files: dict | None) -> None:
        nonlocal walked
        sent_text = bool(data)
        before = row_counts(engine)
        try:
            response = await client.post(
                url, data={**data, "csrf_token": csrf}, files=files or None,
            )
        except Exception as exc:  # noqa: BLE001 - the app raised: a 500 in production
            failures.append(f"POST {path} [{label}]: {type(exc).__name__}: {str(exc)[:150]}")
            return
        walked += 1
        after = row_counts(engine)
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        status = response.status_code
        where = f"POST {path} [{label}] -> {status}"
        if status >= 500:
            failures.append(f"{where}: server error")
            return
        must_refuse = label.startswith("id ") or (label == "field nul" and sent_text)
        if status < 400:
            if must_refuse:
                failures.append(f"{where}: accepted; changed {changed}")
            # Otherwise the garbage may be a valid value ("abc" is a fine name): accepted.
            return
        problem = _readable(response)
        if problem:
            failures.append(f"{where}: {problem}")
        if NET.search(response.text):
            failures.append(f"{where}: refused only by the database safety net")
        if changed:
            failures.append(f"{where}: refused but changed {changed}")

    for _method, path in _routes(app, {"POST"}):
        if path in ("/login", "/logout"):
            continue
        fields, file_fields = forms.get(path, (set(), set()))
        url = fill_path(path, demo)
        if not NO_INPUT.search(path):
            await send(path, url, "field empty body", {}, None)
        for label, junk in GARBAGE.items():
            data = dict.fromkeys(fields, junk)
            files = {
                name: (junk[:50] or "kosong.pdf", junk.encode(), "application/pdf")
                for name in file_fields
            }
            await send(path, url, f"field {label}", data, files)
        if "{" in path.replace("{unit_id}", ""):
            for bad in BAD_IDS:
                data = dict.fromkeys(fields, "1")
                await send(path, fill_path(path, demo, bad), f"id {bad}", data, None)

    assert walked > 300, walked
    assert not failures, "\n".join(failures)
