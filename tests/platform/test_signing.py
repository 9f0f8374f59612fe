"""app.security.signing writes and reads itsdangerous's token format, and refuses forgeries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from app.security.signing import TokenSigner

SECRET = "signing-test-secret-" + "k" * 30


@pytest.mark.parametrize("payload", [
    {"d": "Xq3-device_id", "a": [7, 12]},
    {"d": "ünïcode", "a": []},
    "ABC123",
    [1, 2, 3],
])
def test_untimed_tokens_are_the_same_bytes_as_itsdangerous(payload):
    ours = TokenSigner(SECRET, salt="zona-survey-device")
    theirs = URLSafeSerializer(SECRET, salt="zona-survey-device")
    assert ours.dumps(payload) == theirs.dumps(payload)
    assert ours.loads(theirs.dumps(payload)) == payload
    assert theirs.loads(ours.dumps(payload)) == payload


def test_a_compressed_itsdangerous_payload_is_read():
    big = {"d": "device", "a": list(range(1, 60))}  # long enough for itsdangerous to compress
    token = URLSafeSerializer(SECRET, salt="s").dumps(big)
    assert token.startswith(".")  # so the compressed branch is really taken
    assert TokenSigner(SECRET, salt="s").loads(token) == big


def test_timed_tokens_match_itsdangerous_and_carry_the_signing_time():
    ours = TokenSigner(SECRET, salt="zona-survey-form")
    theirs = URLSafeTimedSerializer(SECRET, salt="zona-survey-form")
    # 2026-12-02 03:00:00 UTC = 1796180400 s since the epoch.
    token = ours.dumps_timed("ABC123", now=1796180400)
    payload, stamp = theirs.loads(token, return_timestamp=True)
    assert payload == "ABC123"
    assert stamp == datetime(2026, 12, 2, 3, 0, 0, tzinfo=UTC)
    assert ours.loads_timed(token) == ("ABC123", datetime(2026, 12, 2, 3, 0, 0, tzinfo=UTC))
    issued = theirs.dumps("ABC123")
    code, when = ours.loads_timed(issued)
    assert code == "ABC123" and abs((datetime.now(UTC) - when).total_seconds()) < 5


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),   # signature changed
    lambda t: "x" + t,                                    # payload changed
    lambda t: t.replace(".", "", 1),                      # structure broken
    lambda t: t + "é",                                    # not ASCII
    lambda t: "",
    lambda t: "no-dot-at-all",
])
def test_tampered_tokens_are_refused(mangle):
    signer = TokenSigner(SECRET, salt="zona-survey-device")
    token = signer.dumps({"d": "dev", "a": [1]})
    with pytest.raises(ValueError):
        signer.loads(mangle(token))
    timed = signer.dumps_timed("ABC123")
    with pytest.raises(ValueError):
        signer.loads_timed(mangle(timed))


def test_another_secret_or_salt_does_not_verify():
    token = TokenSigner(SECRET, salt="zona-survey-device").dumps({"d": "dev", "a": []})
    with pytest.raises(ValueError):
        TokenSigner("another-secret-" + "z" * 30, salt="zona-survey-device").loads(token)
    with pytest.raises(ValueError):
        TokenSigner(SECRET, salt="zona-survey-form").loads(token)


def test_a_validly_signed_token_with_garbage_inside_is_refused():
    # Someone holding the key could sign anything; the reader still only accepts JSON.
    signer = TokenSigner(SECRET, salt="s")
    value = b"%%%not-base64"
    forged = (value + b"." + signer._signature(value)).decode()
    with pytest.raises(ValueError):
        signer.loads(forged)
