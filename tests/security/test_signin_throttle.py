"""Attack: lock out a known account, or guess passwords, by failing sign-ins.

Failures are throttled per client address and per (account, address) pair, never by locking the
account: an attacker's failures slow and then refuse the attacker's address, while the owner
signing in from another address gets in at once. Unknown and known e-mail addresses are answered
alike. The counters live in the database, so a second process serving the same registry sees
them. Time is moved with ``Platform.clock``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from printreg.accounts import service as accounts
from printreg.accounts.models import SignInCounter
from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import SESSION_COOKIE
from tests.support.clock import Clock
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    VIEWER,
    post_login,
)

WRONG = "not-the-password-at-all"
ATTACKER, OWNER, PROXY = "203.0.113.5", "198.51.100.7", "10.0.0.1"


@pytest.fixture
def clock(api_platform: Platform) -> Iterator[Clock]:
    """Give the platform a hand-moved clock."""
    clock, original = Clock(), api_platform.clock
    api_platform.clock = clock
    yield clock
    api_platform.clock = original


@pytest.fixture
def from_address(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """Return a factory of clients connecting from a given address."""
    made: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(app, base_url="http://testserver", client=(address, 50000))
        made.append(client.__enter__())
        return client

    yield make
    for client in made:
        client.__exit__(None, None, None)


def _message(response: httpx.Response) -> str:
    marker = 'id="login-error">'
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index("</p>", start)]


def test_an_attackers_failures_do_not_stop_the_owner_signing_in_from_another_address(
    from_address: Callable[[str], TestClient], settings: Settings
) -> None:
    attacker = from_address(ATTACKER)
    answers = [post_login(attacker, DATA_MANAGER, WRONG).status_code for _ in range(10)]
    limit = settings.login_failures_before_lockout
    assert answers[:limit] == [401] * limit
    assert set(answers[limit:]) == {429}  # the attacker's address waits for this account
    # Even the right password is refused from the attacker's address now...
    assert post_login(attacker, DATA_MANAGER, DEMO_PASSWORD).status_code == 429
    # ...but the owner, from their own address, gets in at once.
    owner = from_address(OWNER)
    assert post_login(owner, DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    assert owner.cookies.get(SESSION_COOKIE)


def test_the_attackers_address_is_slowed_then_refused_for_every_account(
    from_address: Callable[[str], TestClient], settings: Settings, clock: Clock
) -> None:
    attacker = from_address(ATTACKER)
    limit = settings.login_failures_before_lockout
    # Spray: one guess per account, so that no (account, address) pair reaches its limit.
    for n in range(limit):
        assert post_login(attacker, f"person{n}@example.org", WRONG).status_code == 401
    slowed = post_login(attacker, "another@example.org", WRONG)
    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) >= 1
    clock.advance(61)  # the back-off between attempts is at most a minute
    assert post_login(attacker, "another@example.org", WRONG).status_code == 401
    for n in range(limit + 1, settings.signin_address_failures):
        clock.advance(61)
        assert post_login(attacker, f"person{n}@example.org", WRONG).status_code == 401, n
    clock.advance(61)
    refused = post_login(attacker, FACILITY_ADMIN, DEMO_PASSWORD)
    assert refused.status_code == 429
    assert "network address" in _message(refused)
    assert int(refused.headers["retry-after"]) > 60 * (settings.lockout_minutes - 2)
    # Other addresses are untouched; the attacker's address waits out lockout_minutes.
    assert post_login(from_address(OWNER), FACILITY_ADMIN, DEMO_PASSWORD).status_code == 303
    clock.advance(settings.lockout_minutes * 60 + 1)
    assert post_login(attacker, FACILITY_ADMIN, DEMO_PASSWORD).status_code == 303


def test_a_distributed_attack_slows_the_attacking_addresses_but_never_the_owner(
    from_address: Callable[[str], TestClient], settings: Settings, clock: Clock
) -> None:
    bots = [from_address(f"192.0.2.{n}") for n in range(1, settings.signin_account_failures + 3)]
    for bot in bots:
        assert post_login(bot, DATA_MANAGER, WRONG).status_code == 401
    # The account has seen more failures than signin_account_failures: an address that already
    # failed on it must now wait before its next guess...
    again = post_login(bots[0], DATA_MANAGER, WRONG)
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) >= 2
    # ...while an address with no failure on it (the owner's) is never slowed.
    assert post_login(from_address(OWNER), DATA_MANAGER, DEMO_PASSWORD).status_code == 303


def test_unknown_account_and_wrong_password_get_the_same_answer_and_cost(
    from_address: Callable[[str], TestClient],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verified: list[str] = []
    real = accounts._check

    def spy(hashed: str, password: str) -> bool:
        verified.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(accounts, "_check", spy)
    known, unknown = from_address(ATTACKER), from_address(OWNER)
    wrong = post_login(known, VIEWER, WRONG)
    missing = post_login(unknown, "nobody.here@demo.printreg.org", WRONG)
    assert wrong.status_code == missing.status_code == 401
    assert _message(wrong) == _message(missing)
    assert set(wrong.headers) == set(missing.headers)
    # Each costs exactly one argon2 verification: the unknown one against a dummy hash.
    assert len(verified) == 2
    assert verified[0].startswith("$argon2id$")
    assert verified[1].startswith("$argon2id$")
    # Throttling does not tell them apart either.
    limit = settings.login_failures_before_lockout
    for _ in range(limit):
        post_login(known, VIEWER, WRONG)
        post_login(unknown, "nobody.here@demo.printreg.org", WRONG)
    held = post_login(known, VIEWER, WRONG)
    held_unknown = post_login(unknown, "nobody.here@demo.printreg.org", WRONG)
    assert held.status_code == held_unknown.status_code == 429
    assert _message(held) == _message(held_unknown)


def test_the_counters_are_shared_by_two_app_instances_on_one_database(
    settings: Settings, api_platform: Platform, from_address: Callable[[str], TestClient]
) -> None:
    first = from_address(ATTACKER)
    for _ in range(settings.login_failures_before_lockout):
        assert post_login(first, DATA_MANAGER, WRONG).status_code == 401
    other_platform = Platform.from_settings(settings)  # another process: its own engine
    try:
        with TestClient(create_app(settings, other_platform), client=(ATTACKER, 50001)) as second:
            assert post_login(second, DATA_MANAGER, DEMO_PASSWORD).status_code == 429
        with TestClient(create_app(settings, other_platform), client=(OWNER, 50002)) as owner:
            assert post_login(owner, DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    finally:
        other_platform.close()
    with api_platform.sessions() as session:
        rows = session.scalars(select(SignInCounter)).all()
    assert {r.scope for r in rows} == {"address", "pair", "account"}
    # Only keyed digests are stored, never the e-mail or the address.
    assert all(len(r.key_hash) == 64 and ATTACKER not in r.key_hash for r in rows)


def test_a_successful_sign_in_writes_no_counter(
    from_address: Callable[[str], TestClient], api_platform: Platform
) -> None:
    assert post_login(from_address(OWNER), DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    with api_platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SignInCounter)) == 0


@pytest.fixture
def proxied_app(settings: Settings, api_platform: Platform) -> Iterator[FastAPI]:
    """Return the app behind a trusted reverse proxy at 10.0.0.1 (on the demo database)."""
    del api_platform  # the demo accounts exist
    behind = Settings(**{**settings.model_dump(), "trusted_proxies": f"{PROXY}/32"})
    platform = Platform.from_settings(behind)
    yield create_app(behind, platform)
    platform.close()


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    proxied_app: FastAPI, settings: Settings
) -> None:
    limit = settings.login_failures_before_lockout
    with TestClient(proxied_app, client=(PROXY, 443)) as proxy:
        for _ in range(limit):
            proxy.headers["X-Forwarded-For"] = f"{ATTACKER}, {PROXY}"
            assert post_login(proxy, DATA_MANAGER, WRONG).status_code == 401
        assert post_login(proxy, DATA_MANAGER, DEMO_PASSWORD).status_code == 429
        # Another client behind the same proxy is another address.
        proxy.headers["X-Forwarded-For"] = OWNER
        assert post_login(proxy, DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    # A client that is not a trusted proxy cannot pick its address with the header.
    with TestClient(proxied_app, client=("203.0.113.77", 1)) as spoofer:
        for n in range(limit):
            spoofer.headers["X-Forwarded-For"] = f"198.18.0.{n}"
            assert post_login(spoofer, VIEWER, WRONG).status_code == 401
        spoofer.headers["X-Forwarded-For"] = "198.18.0.200"
        assert post_login(spoofer, VIEWER, DEMO_PASSWORD).status_code == 429


def test_the_sign_in_form_cookie_is_secure_in_production(
    settings: Settings, api_platform: Platform
) -> None:
    del api_platform  # the demo accounts exist
    production = Settings(**{**settings.model_dump(), "environment": "production",
                             "secret_key": "s" * 40, "dicom_uid_salt": "u" * 32})  # fmt: skip
    platform = Platform.from_settings(production)
    try:
        with TestClient(create_app(production, platform)) as http:
            cookies = http.get("/login").headers.get_list("set-cookie")
    finally:
        platform.close()
    assert cookies
    for cookie in cookies:
        assert "secure" in [a.strip().lower() for a in cookie.split(";")], cookie
