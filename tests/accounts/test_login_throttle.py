"""The sign-in throttle counts failures per account: per account and address (5 in 15
minutes, the test settings' defaults) and per account from all addresses (20). An address
where only other accounts failed is not locked out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models.accounts import LoginAttempt
from app.models.base import utcnow
from app.security.passwords import sha256_hex
from app.services.accounts import users as accounts
from app.services.errors import TooManyAttempts
from tests.factories import PASSWORD, page_csrf


async def _sign_in(client, username: str, password: str):
    csrf = await page_csrf(client)
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf}
    )


def _fail(db, username: str, ip: str, times: int = 1) -> None:
    for _ in range(times):
        assert accounts.authenticate(db, username=username, password="wrong", ip=ip) is None


def test_the_limits_the_app_uses(settings):
    assert (settings.login_max_failures, settings.login_account_max_failures,
            settings.login_window_minutes) == (5, 20, 15)


async def test_failures_of_other_accounts_do_not_lock_out_an_address(make_client, world):
    """One office, one address: colleagues mistyped their own passwords (and a stranger
    tried names that do not exist); the coordinator's right password still works."""
    office = make_client("10.9.8.7")
    for i in range(5):
        assert (await _sign_in(office, f"nobody{i}", "x")).status_code == 401
    for _ in range(4):
        assert (await _sign_in(office, "member_a1", "typo")).status_code == 401
    for _ in range(4):
        assert (await _sign_in(office, "viewer_a1", "typo")).status_code == 401
    signed_in = await _sign_in(office, "coord_a1", PASSWORD)
    assert signed_in.status_code == 303
    assert "zona_session" in office.cookies


async def test_guessing_one_account_from_one_address_stops_at_five(make_client, world):
    guesser = make_client("203.0.113.5")
    for _ in range(5):
        assert (await _sign_in(guesser, "coord_a1", "guess")).status_code == 401
    refused = await _sign_in(guesser, "coord_a1", PASSWORD)
    assert refused.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60 + 1
    # The same account from the owner's own address is still open (5 < 20 overall) ...
    owner = make_client("10.1.1.1")
    assert (await _sign_in(owner, "coord_a1", PASSWORD)).status_code == 303
    # ... and so is another account from the guesser's address.
    assert (await _sign_in(guesser, "member_a1", PASSWORD)).status_code == 303


async def test_rotating_addresses_stop_at_the_account_limit(db, make_client, world):
    # Twenty addresses, one failure each: no address reaches 5, the account reaches 20.
    for n in range(20):
        _fail(db, "coord_a1", f"198.51.100.{n}")
    fresh = make_client("198.51.100.200")
    refused = await _sign_in(fresh, "coord_a1", PASSWORD)
    assert refused.status_code == 429
    assert "zona_session" not in fresh.cookies
    # Another account is not touched by it.
    assert (await _sign_in(fresh, "member_a1", PASSWORD)).status_code == 303
    # Refused attempts are not recorded: the count stays at 20, not 21.
    failures = db.exec(select(LoginAttempt).where(LoginAttempt.username == "coord_a1",
                                                  LoginAttempt.succeeded == False)).all()  # noqa: E712
    assert len(failures) == 20


def test_nineteen_failures_across_addresses_still_let_the_owner_in(db, world):
    for n in range(19):
        _fail(db, "coord_a1", f"198.51.100.{n}")
    user = accounts.authenticate(db, username="coord_a1", password=PASSWORD, ip="10.1.1.1")
    assert user is not None and user.username == "coord_a1"


def _record(db, *, username: str, ip: str, minutes_ago: list[float]) -> None:
    now = utcnow()
    for ago in minutes_ago:
        db.add(LoginAttempt(username=username, ip_hash=sha256_hex(ip), succeeded=False,
                            at=now - timedelta(minutes=ago)))
    db.commit()


def test_failures_older_than_the_window_do_not_count(db, world):
    _record(db, username="coord_a1", ip="10.2.2.2", minutes_ago=[16, 17, 18, 19, 20, 21])
    assert accounts.authenticate(db, username="coord_a1", password=PASSWORD,
                                 ip="10.2.2.2") is not None


def test_retry_after_is_when_the_count_falls_below_the_limit(db, world):
    """Six failures 14, 13, 10, 9, 8 and 7 minutes ago (five is the limit). When the one of
    14 minutes expires, five remain; only when the one of 13 minutes expires (in 2 minutes)
    is the count four. So Retry-After is 2 minutes (+1 s), not 1."""
    _record(db, username="coord_a1", ip="10.3.3.3", minutes_ago=[14, 13, 10, 9, 8, 7])
    with pytest.raises(TooManyAttempts) as refused:
        accounts.authenticate(db, username="coord_a1", password=PASSWORD, ip="10.3.3.3")
    assert 110 <= refused.value.retry_after <= 121
    assert refused.value.message == "Terlalu banyak percobaan masuk yang gagal. Coba lagi nanti."


def test_the_account_limit_retry_after(db, world):
    """20 failures from 20 addresses, every half minute from 12 minutes ago to 2.5 minutes
    ago: the 20th most recent is the oldest, which leaves the 15-minute window in 3 minutes."""
    minutes_ago = [12 - n * 0.5 for n in range(20)]
    for n, ago in enumerate(minutes_ago):
        _record(db, username="coord_a1", ip=f"198.51.100.{n}", minutes_ago=[ago])
    with pytest.raises(TooManyAttempts) as refused:
        accounts.authenticate(db, username="coord_a1", password=PASSWORD, ip="10.4.4.4")
    assert 170 <= refused.value.retry_after <= 181
