"""Signed tokens in itsdangerous's format, for the public survey form's hot path.

The survey form signs two small things on every submission: the time the form was served
(``URLSafeTimedSerializer``) and the device cookie (``URLSafeSerializer``). itsdangerous
spends about 10 us on each (a Python-level HMAC, the key derived again on every call, a zlib
attempt on every payload); these do the same work with the key derived once and one C HMAC
call, in 2 to 3 us.

The format is itsdangerous's, byte for byte, so tokens issued by either are read by the
other (tests/foundation/test_signing.py checks both ways): payload = URL-safe base64 of
compact JSON (a leading "." when zlib-compressed); signature = HMAC-SHA1 under the key
SHA1(salt + "signer" + secret), URL-safe base64, joined with "."; the timed form puts the
Unix time (big-endian, leading zero bytes dropped) between payload and signature.
The one difference: these never compress what they write (payloads here are a few dozen
bytes, where zlib would not shorten them anyway); compressed payloads are still read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import struct
import time
import zlib
from datetime import UTC, datetime
from typing import Any

__all__ = ["TokenSigner"]

_SEP = b"."
_INT64 = struct.Struct(">Q")


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


class TokenSigner:
    """Sign and read JSON payloads for one (secret, salt) pair; build once, reuse."""

    def __init__(self, secret: str, salt: str):
        self._key = hashlib.sha1(salt.encode() + b"signer" + secret.encode()).digest()

    def _signature(self, value: bytes) -> bytes:
        return _b64encode(hmac.digest(self._key, value, "sha1"))

    def _verified(self, signed: str) -> bytes | None:
        """The signed part of ``signed`` if its signature holds, else None."""
        try:
            raw = signed.encode("ascii")
        except UnicodeEncodeError:
            return None
        value, sep, signature = raw.rpartition(_SEP)
        if not sep or not hmac.compare_digest(signature, self._signature(value)):
            return None
        return value

    # --- payloads ------------------------------------------------------------------------

    @staticmethod
    def _dump(obj: Any) -> bytes:
        return _b64encode(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())

    @staticmethod
    def _load(payload: bytes) -> Any:
        """The JSON in a payload; ValueError for anything unreadable."""
        compressed = payload.startswith(_SEP)
        try:
            data = _b64decode(payload[1:] if compressed else payload)
            if compressed:
                data = zlib.decompress(data)
        except (binascii.Error, zlib.error) as exc:
            raise ValueError("unreadable payload") from exc
        return json.loads(data)  # ValueError (JSONDecodeError) when not JSON

    # --- untimed (URLSafeSerializer.dumps / loads) --------------------------------------------

    def dumps(self, obj: Any) -> str:
        value = self._dump(obj)
        return (value + _SEP + self._signature(value)).decode("ascii")

    def loads(self, signed: str) -> Any:
        """The payload of a token this signer issued; ValueError for a forged or broken one."""
        value = self._verified(signed)
        if value is None:
            raise ValueError("bad signature")
        return self._load(value)

    # --- timed (URLSafeTimedSerializer.dumps / loads with return_timestamp) -------------------

    def dumps_timed(self, obj: Any, now: float | None = None) -> str:
        stamp = _INT64.pack(int(time.time() if now is None else now)).lstrip(b"\x00")
        value = self._dump(obj) + _SEP + _b64encode(stamp)
        return (value + _SEP + self._signature(value)).decode("ascii")

    def loads_timed(self, signed: str) -> tuple[Any, datetime]:
        """The payload and the time it was signed; ValueError for a forged or broken one."""
        value = self._verified(signed)
        if value is None:
            raise ValueError("bad signature")
        payload, sep, stamp = value.rpartition(_SEP)
        if not sep:
            raise ValueError("no timestamp")
        try:
            seconds = _INT64.unpack(_b64decode(stamp).rjust(8, b"\x00"))[0]
            when = datetime.fromtimestamp(seconds, tz=UTC)
        except (binascii.Error, struct.error, ValueError, OverflowError, OSError) as exc:
            raise ValueError("unreadable timestamp") from exc
        return self._load(payload), when
