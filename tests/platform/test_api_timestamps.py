"""Every moment the API returns is RFC 3339 in UTC with a `Z`, on SQLite (which hands back
naive datetimes) as on PostgreSQL (aware ones), on the first answer as on a read-back or a
repeat, and it is the true instant: a value written a moment ago reads as "now" in UTC, and a
kiosk's +07:00 time comes back as the same instant in UTC.

Run on both databases (ZONA_TEST_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import issue_token, login

API = "/api/v1"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
LOOKS_LIKE_A_MOMENT = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
U = [f"U{n}" for n in range(1, 10)]


def stamps(body, path: str = "$") -> dict[str, str]:
    """Every string in a JSON body that holds a moment, by its path."""
    found: dict[str, str] = {}
    if isinstance(body, dict):
        for key, value in body.items():
            found.update(stamps(value, f"{path}.{key}"))
    elif isinstance(body, list):
        for n, value in enumerate(body):
            found.update(stamps(value, f"{path}[{n}]"))
    elif isinstance(body, str) and LOOKS_LIKE_A_MOMENT.match(body):
        found[path] = body
    return found


def checked(response, *must_have: str, status: int = 200) -> dict[str, str]:
    """The body's moments, each RFC 3339 UTC with Z; ``must_have`` path endings present."""
    assert response.status_code == status, response.text
    found = stamps(response.json())
    wrong = {path: value for path, value in found.items() if not STAMP.match(value)}
    assert not wrong, f"{response.request.method} {response.request.url.path}: {wrong}"
    for ending in must_have:
        assert any(path.endswith(ending) for path in found), (ending, found)
    return found


@pytest.fixture
def framework_row(db):
    from app.services.lke import frameworks

    frameworks.sync_bundled(db)
    return frameworks.latest(db)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def just_now(text: str, since: datetime) -> None:
    """The instant is the real one: between ``since`` and now (an instant labelled UTC but
    written in another zone would be hours off)."""
    assert since - timedelta(seconds=1) <= moment(text) <= datetime.now(UTC), (text, since)


@pytest.fixture
def started() -> datetime:
    """The moment the test began, before the fixtures after it wrote anything (the unit's
    audit trail holds what the organisation's fixture wrote, a second or more before the
    test's own first line on a loaded machine)."""
    return datetime.now(UTC)


async def test_lke_tokens_audit_evidence_programme_on_this_database(
    started, client, world, framework_row
):
    since = datetime.now(UTC)
    csrf = await login(client, "coord_a1")
    h = {"X-CSRF-Token": csrf}
    unit = world.unit("UNIT-A1")

    created = await client.post(f"{API}/units/{unit}/assessments",
                                json={"year": 2024, "target": "WBK"}, headers=h)
    first = checked(created, "$.created_at", "$.updated_at", "$.framework.loaded_at",
                    status=201)
    just_now(first["$.created_at"], since)
    aid = created.json()["id"]
    again = checked(await client.get(f"{API}/assessments/{aid}"), "$.created_at")
    assert again["$.created_at"] == first["$.created_at"]  # read back from the database

    answer = await client.put(f"{API}/assessments/{aid}/answers/PPA2A", json={"option": "Ya"},
                              headers=h)
    just_now(checked(answer, "$.updated_at")["$.updated_at"], since)
    revisions = checked(await client.get(f"{API}/assessments/{aid}/revisions"), "[0].at")
    just_now(revisions["$[0].at"], since)
    checked(await client.get(f"{API}/frameworks/{framework_row.id}"), "$.loaded_at")
    checked(await client.get(f"{API}/frameworks"), "[0].loaded_at")

    token = await client.post(f"{API}/units/{unit}/tokens",
                              json={"name": "Portal", "scopes": ["read"],
                                    "expires_in_days": 30}, headers=h)
    issued = checked(token, "$.created_at", "$.expires_at", status=201)
    just_now(issued["$.created_at"], since)
    # Thirty days after the issue, to the minute.
    lifetime = moment(issued["$.expires_at"]) - moment(issued["$.created_at"])
    assert abs(lifetime - timedelta(days=30)) < timedelta(minutes=1)
    listed = checked(await client.get(f"{API}/units/{unit}/tokens"), "[0].created_at")
    assert issued["$.created_at"] in listed.values()

    link = await client.post(f"{API}/units/{unit}/evidence/links",
                             json={"url": "https://contoh.go.id/sk.pdf", "title": "SK Tim"},
                             headers=h)
    uploaded = checked(link, "$.uploaded_at", status=201)["$.uploaded_at"]
    just_now(uploaded, since)
    read = checked(await client.get(f"{API}/evidence/{link.json()['id']}"), "$.uploaded_at")
    assert read["$.uploaded_at"] == uploaded

    pillar = await client.post(f"{API}/units/{unit}/pillars", json={"name": "Layanan digital"},
                               headers=h)
    stamped = checked(pillar, "$.created_at", status=201)["$.created_at"]
    just_now(stamped, since)
    page = checked(await client.get(f"{API}/units/{unit}/pillars"), "items[0].created_at")
    assert page["$.items[0].created_at"] == stamped

    # The records, and the moments inside their before/after snapshots, written alike.
    audit = checked(await client.get(f"{API}/units/{unit}/audit"), "items[0].at",
                    "after.created_at", "after.expires_at")
    for path, text in audit.items():
        if path.endswith((".at", ".created_at")):
            just_now(text, started)


def ikm(value: int) -> dict:
    return {"ikm-2017": dict.fromkeys(U, value)}


async def test_survey_answers_first_and_repeated_on_this_database(
    client, db, world, make_campaign
):
    campaign = make_campaign()
    secret = issue_token(db, world, "UNIT-A1", ["read", "write:surveys"])
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"{API}/survey-campaigns/{campaign.id}/responses"
    since = datetime.now(UTC)

    first = await client.post(url, json={"answers": ikm(4)},
                              headers={**headers, "Idempotency-Key": "kiosk-1"})
    submitted = checked(first, "$.submitted_at", status=201)["$.submitted_at"]
    just_now(submitted, since)
    repeat = await client.post(url, json={"answers": ikm(4)},
                               headers={**headers, "Idempotency-Key": "kiosk-1"})
    assert repeat.json()["duplicate"] is True
    # The repeat is read from the database: the same instant, written the same way.
    assert checked(repeat, "$.submitted_at")["$.submitted_at"] == submitted

    # An offline kiosk in Jakarta: 10:15 at +07:00 is 03:15 UTC; a time without an offset is
    # taken as UTC. The first answer, the repeat and the listing all say so.
    batch = {"items": [
        {"idempotency_key": "jkt-1", "answers": ikm(3),
         "submitted_at": "2026-11-30T10:15:00+07:00"},
        {"idempotency_key": "jkt-2", "answers": ikm(3), "submitted_at": "2026-11-30T03:20:00"},
    ]}
    for attempt in range(2):
        sent = await client.post(f"{url}/batch", json=batch, headers=headers)
        body = sent.json()
        assert (body["created"], body["duplicates"]) == ((2, 0) if attempt == 0 else (0, 2))
        assert checked(sent, "items[1].submitted_at") == {
            "$.items[0].submitted_at": "2026-11-30T03:15:00Z",
            "$.items[1].submitted_at": "2026-11-30T03:20:00Z",
        }
    listed = checked(await client.get(url, headers=headers), "items[0].submitted_at")
    assert sorted(listed.values()) == sorted(["2026-11-30T03:15:00Z", "2026-11-30T03:20:00Z",
                                              submitted])
