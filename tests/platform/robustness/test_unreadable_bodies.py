"""Bodies the app cannot read: bytes that are not UTF-8, a broken multipart body, a body
over the limit sent without a Content-Length. Each is refused like every other bad input
(422 or 413, in Indonesian, a page on the page face and problem details (RFC 9457) under /api),
never the framework's English 400, and nothing is stored."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from tests.factories import issue_token, login
from tests.support.problems import PROBLEM_MEDIA_TYPE, problem

BODY_MESSAGE = (
    "Isi permintaan tidak dapat dibaca: kirim JSON atau formulir yang sah, dengan teks "
    "UTF-8. Tidak ada yang diubah."
)
ENGLISH = re.compile(r"error parsing|Traceback|Internal Server Error|boundary|Invalid", re.I)
FORM = "application/x-www-form-urlencoded"
ALL_SCOPES = ["read", "write:indicators", "write:surveys", "write:programme"]


def _fill(path: str, unit_id: int) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path.replace("{unit_id}", str(unit_id)))


def _routes(app, *, api: bool):
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path.startswith("/api/") != api:
            continue
        for method in sorted((context.methods or set()) & {"POST", "PUT", "PATCH"}):
            yield method, context.path, route


def _oversized(size: int, start: bytes = b""):
    """A body sent in chunks, with no Content-Length to refuse it up front."""

    async def chunks():
        yield start
        sent = len(start)
        while sent <= size:
            yield b"x" * 65536
            sent += 65536

    return chunks()


def _page_message(response) -> str:
    """The message of the error page (its lead paragraph)."""
    found = re.search(r'<p class="lead">(.*?)</p>', response.text, re.S)
    return found.group(1).strip() if found else ""


# --- the page face ----------------------------------------------------------------------------

@pytest.mark.parametrize("label,content_type,body", [
    ("raw bytes that are not UTF-8", FORM, b"name=Pilar\xff\xfe&csrf_token={csrf}"),
    ("raw UTF-8, not percent-encoded", FORM, "name=Pilar \u00e9&csrf_token={csrf}".encode()),
    ("percent-encoded bytes that are not UTF-8", FORM, b"name=%ff%fe&csrf_token={csrf}"),
    ("multipart without a boundary", "multipart/form-data", b"--x\r\ncsrf_token={csrf}"),
])
async def test_every_form_refuses_a_body_it_cannot_read(
        app, client, world, engine, row_counts, label, content_type, body):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    before = row_counts(engine)
    failures, walked = [], 0
    for method, path, _route in _routes(app, api=False):
        if path == "/login":
            continue
        url = _fill(path, unit_id)
        response = await client.request(
            method, url, content=body.replace(b"{csrf}", csrf.encode()),
            headers={"Content-Type": content_type},
        )
        walked += 1
        where = f"{method} {url} [{label}] -> {response.status_code}"
        if response.status_code != 422:
            failures.append(where)
        elif _page_message(response) != BODY_MESSAGE or ENGLISH.search(response.text):
            failures.append(f"{where}: {_page_message(response)!r}")
        elif "text/html" not in response.headers["content-type"]:
            failures.append(f"{where}: not a page")
    assert walked > 40, walked
    assert not failures, "\n".join(failures)
    assert row_counts(engine) == before


async def test_a_page_body_over_the_limit_without_a_length_is_413_in_indonesian(
        client, world, settings, engine, row_counts):
    csrf = await login(client, "coord_a1")
    unit_id = world.unit("UNIT-A1")
    before = row_counts(engine)
    limit = settings.max_json_kb * 1024
    for lang, words in (("id", "Data yang dikirim terlalu besar (batas 1 MB)."),
                        ("en", "The data sent is too large (limit 1 MB).")):
        response = await client.post(
            f"/units/{unit_id}/pillars?lang={lang}", content=_oversized(limit),
            headers={"Content-Type": FORM, "X-CSRF-Token": csrf},
        )
        assert response.status_code == 413
        assert "Content-Length" not in response.request.headers
        assert "text/html" in response.headers["content-type"]
        assert _page_message(response) == words
    assert row_counts(engine) == before


async def test_the_public_pages_refuse_unreadable_forms_too(client, make_campaign, engine,
                                                            row_counts):
    """The sign-in form and the survey submit (the fast lane), read before any session."""
    code = make_campaign().public_code
    await client.get("/login")
    csrf = client.cookies.get("zona_csrf")
    before = row_counts(engine)
    for url in ("/login", f"/s/{code}"):
        response = await client.post(
            url, content=f"username=a\xff&csrf_token={csrf}".encode("latin-1"),
            headers={"Content-Type": FORM},
        )
        assert response.status_code == 422, url
        assert _page_message(response) == BODY_MESSAGE, url
        oversized = await client.post(url, content=_oversized(1024 * 1024),
                                      headers={"Content-Type": FORM})
        assert oversized.status_code == 413, url
        assert "terlalu besar" in oversized.text
    assert row_counts(engine) == before


# --- the API face -----------------------------------------------------------------------------

@pytest.mark.parametrize("label,content_type,body", [
    ("JSON whose bytes are not UTF-8", "application/json", b'{"name": "Pilar \xff\xfe"}'),
    ("JSON in Latin-1", "application/json", '{"name": "Pilar \u00e9"}'.encode("latin-1")),
    ("multipart without a boundary", "multipart/form-data", b"--x\r\nname=1"),
    ("a form that is not UTF-8", FORM, b"name=%ff"),
])
async def test_every_api_write_refuses_a_body_it_cannot_read(
        app, client, db, world, engine, row_counts, label, content_type, body):
    token = issue_token(db, world, "UNIT-A1", ALL_SCOPES)
    unit_id = world.unit("UNIT-A1")
    before = row_counts(engine)
    failures, walked = [], 0
    for method, path, route in _routes(app, api=True):
        if not route.dependant.body_params:
            continue  # reads no body
        url = _fill(path, unit_id)
        response = await client.request(method, url, content=body, headers={
            "Content-Type": content_type, "Authorization": f"Bearer {token}"})
        walked += 1
        where = f"{method} {url} [{label}] -> {response.status_code}"
        is_problem = response.headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE)
        if response.status_code != 422 or not is_problem:
            failures.append(f"{where}: {response.text[:120]}")
        elif not problem(response)["errors"]:
            failures.append(f"{where}: no errors named: {response.text[:120]}")
    assert walked > 40, walked
    assert not failures, "\n".join(failures)
    assert row_counts(engine) == before


async def test_the_api_names_the_unreadable_body_in_indonesian(client, db, world):
    """Not the framework's English 400 ("There was an error parsing the body")."""
    token = issue_token(db, world, "UNIT-A1", ALL_SCOPES)
    auth = {"Authorization": f"Bearer {token}"}
    unit_id = world.unit("UNIT-A1")
    bad_json = await client.post(f"/api/v1/units/{unit_id}/pillars", content=b'{"name": "\xff"}',
                                 headers={**auth, "Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert problem(bad_json)["detail"] == BODY_MESSAGE
    assert [(e["location"], e["code"]) for e in problem(bad_json)["errors"]] == [
        ("body", "body_unreadable")]
    upload = await client.post(f"/api/v1/units/{unit_id}/evidence", content=b"--x\r\n",
                               headers={**auth, "Content-Type": "multipart/form-data"})
    assert (upload.status_code, problem(upload)["detail"]) == (422, BODY_MESSAGE)


async def test_an_api_body_over_the_limit_without_a_length_is_413_in_json(
        client, db, world, settings, engine, row_counts):
    token = issue_token(db, world, "UNIT-A1", ALL_SCOPES)
    unit_id = world.unit("UNIT-A1")
    before = row_counts(engine)
    response = await client.post(
        f"/api/v1/units/{unit_id}/pillars", content=_oversized(settings.max_json_kb * 1024),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert problem(response) == {
        "type": "about:blank", "title": "Data terlalu besar", "status": 413,
        "detail": "Data yang dikirim terlalu besar (batas 1 MB).",
        "detail_en": "The data sent is too large (limit 1 MB).", "errors": [],
    }
    upload_limit = (settings.max_upload_mb + 1) * 1024 * 1024
    upload = await client.post(
        f"/api/v1/units/{unit_id}/evidence", content=_oversized(upload_limit, start=(
            b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n")),
        headers={"Authorization": f"Bearer {token}",
                 "Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert upload.status_code == 413
    assert "terlalu besar" in problem(upload)["detail"]
    assert row_counts(engine) == before
