"""Every GET route of both faces, on the demo data, answers `Cache-Control: no-store`
(or a route's own `private` value): nothing a signed-in person sees is kept by a cache.
The one exception is the public survey results page, the same for everyone by design."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts

from tests.factories import login
from tests.support.routes import fill_path

#: Pages the same for everyone, signed in or not, kept by shared caches on purpose (counts and
#: indices only, no cookie set: tests/surveys/test_public_results.py).
SHARED = {"/hasil/{unit_code}"}


async def test_every_get_route_forbids_storing_its_answer(app, client, demo_data):
    await login(client, "admin", "zona-demo-2026")
    failures, answered = [], 0
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or \
                "GET" not in (context.methods or set()):
            continue
        url = fill_path(context.path, demo_data)
        response = await client.get(url)
        answered += response.status_code == 200
        value = response.headers.get("cache-control", "")
        if context.path in SHARED:
            if response.status_code != 200 or not value.startswith("public, max-age="):
                failures.append(f"GET {url} -> {response.status_code}: {value!r} (shared)")
            continue
        if "no-store" not in value and not value.startswith("private"):
            failures.append(f"GET {url} -> {response.status_code}: {value!r}")
    assert answered > 90, answered  # real pages, exports and API answers, not just errors
    assert not failures, "\n".join(failures)
