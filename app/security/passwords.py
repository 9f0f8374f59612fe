"""Password hashing with argon2 (slow on purpose) and API-token hashing with SHA-256 (fast)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash of a random password: verifying against it keeps timing equal for unknown
    users. Made on first use, not at import (an argon2 hash costs ~0.1 s on purpose)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


TOKEN_PREFIX = "zona_"


def new_api_token() -> str:
    """A long random token; only its SHA-256 is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
