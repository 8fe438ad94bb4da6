"""The sign-in back-off and the client address behind proxies."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.requests import Request

from printreg.accounts.signin_throttle import SignInThrottle, backoff
from printreg.settings import Settings
from printreg.web.client import client_address

CAP = dt.timedelta(minutes=1)


def test_backoff_is_free_then_doubles_up_to_its_cap() -> None:
    waits = [backoff(n, 5, CAP).total_seconds() for n in range(3, 13)]
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(10_000, 5, CAP) == CAP


def test_keys_do_not_depend_on_the_case_of_the_email_and_hide_both_values() -> None:
    throttle = SignInThrottle(Settings(database_url="sqlite://"))
    one = throttle.keys("Dana@Example.org ", "203.0.113.5")
    assert one == throttle.keys("dana@example.org", "203.0.113.5")
    assert one.pair != throttle.keys("dana@example.org", "203.0.113.6").pair
    assert one.account == throttle.keys("dana@example.org", "203.0.113.6").account
    for key in (one.address, one.pair, one.account):  # HMAC-SHA256 hex digests, nothing else
        assert len(key) == 64
        assert set(key) <= set("0123456789abcdef")


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: the header is ignored
        ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.2", "198.51.100.1"),  # right-most untrusted
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "10.0.0.3", "10.0.0.3"),  # only proxies: the first hop
    ],
)
def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    peer: str, forwarded: str | None, expected: str
) -> None:
    settings = Settings(database_url="sqlite://", trusted_proxies="10.0.0.0/24")
    assert client_address(_request(peer, forwarded), settings) == expected


def test_a_trusted_proxy_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(database_url="sqlite://", trusted_proxies="proxy.example.org")
