"""Programme tests build the shared world often; cheap argon2 parameters keep them quick.

Only the cost of hashing changes (the parameters travel inside each hash), so sign-in is
exercised exactly as in production.
"""

import pytest
from argon2 import PasswordHasher

import app.security.passwords as passwords


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
