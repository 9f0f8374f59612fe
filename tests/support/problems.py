"""Reading the API's problem details (RFC 9457) in tests."""

from __future__ import annotations

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem(response) -> dict:
    """The problem details of an API error answer, checked to have the promised shape."""
    assert response.headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE), (
        response.status_code, response.headers.get("content-type"), response.text[:300],
    )
    body = response.json()
    assert body["status"] == response.status_code, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    for item in body.get("errors", []):
        assert set(item) == {"location", "field", "code", "message", "message_en"}, item
    return body


def messages(response) -> list[str]:
    """The problem's detail and then each error's (Indonesian) message."""
    body = problem(response)
    return [body["detail"], *(item["message"] for item in body.get("errors", []))]


def text(response) -> str:
    """`messages` joined: for a test that looks for words anywhere in the answer."""
    return " ".join(messages(response))


def error_messages(response) -> list[str]:
    """Each named error's (Indonesian) message: the lines a page lists under its message."""
    return [item["message"] for item in problem(response).get("errors", [])]
