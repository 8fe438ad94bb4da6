"""The second factor on the Account page: set up, a wrong confirmation, new recovery codes, off."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
from fastapi.testclient import TestClient
from tests.support.clock import Clock
from tests.support.second_factor import (  # noqa: F401 - the clock fixture
    CODES,
    ENROL,
    SECRET,
    STEP,
    clock,
    code,
    code_step,
    enrol,
    password_step,
)
from tests.support.web import (  # noqa: F401 - fixtures used by these tests
    DATA_MANAGER,
    UserClient,
    api_platform,
    app,
    client_for,
    dm,
    new_client,
    post_login,
)

from printreg.demo.service import DEMO_PASSWORD
from printreg.web.deps import SESSION_COOKIE


def _other(secret: str, clock: Clock) -> str:
    return f"{(int(code(secret, clock)) + 1) % 1_000_000:06d}"


def test_the_account_page_offers_to_set_it_up_and_says_when_it_is_on(
    dm: UserClient, clock: Clock
) -> None:
    assert "Set up" in dm.get("/account").text
    assert 'id="start-second-factor"' in dm.get(ENROL).text
    enrol(dm, clock)
    assert "On: signing in asks for a code" in dm.get("/account").text
    page = dm.get(ENROL)
    assert 'id="second-factor-on"' in page.text
    assert '<span id="recovery-left">10</span>' in page.text


def test_a_wrong_confirmation_code_keeps_the_same_pending_secret(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock
) -> None:
    started = dm.post(f"{ENROL}/start", data={"csrf_token": dm.csrf})
    found = SECRET.search(started.text)
    assert found is not None
    secret = found.group(1)
    wrong = dm.post(f"{ENROL}/confirm", data={"csrf_token": dm.csrf,
                                               "code": _other(secret, clock)})  # fmt: skip
    assert wrong.status_code == 409
    assert f'id="totp-secret">{secret}<' in wrong.text
    # Still off: the password alone signs in.
    assert post_login(new_client(), DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    right = dm.post(f"{ENROL}/confirm", data={"csrf_token": dm.csrf,
                                               "code": pyotp.TOTP(secret).at(clock.now)})  # fmt: skip
    assert right.status_code == 200
    assert 'id="recovery-codes"' in right.text
    assert right.headers["cache-control"] == "no-store"


def test_new_recovery_codes_replace_the_old_ones(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock
) -> None:
    secret, old = enrol(dm, clock)
    refused = dm.post(f"{ENROL}/recovery-codes", data={"csrf_token": dm.csrf,
                                                        "code": _other(secret, clock)})  # fmt: skip
    assert refused.status_code == 401
    fresh = dm.post(f"{ENROL}/recovery-codes", data={"csrf_token": dm.csrf,
                                                      "code": code(secret, clock)})  # fmt: skip
    assert fresh.status_code == 200
    new = CODES.findall(fresh.text)
    assert len(new) == 10
    assert not set(new) & set(old)
    http = new_client()
    assert code_step(http, password_step(http, DATA_MANAGER), old[0]).status_code == 401
    assert code_step(http, password_step(http, DATA_MANAGER), new[0]).status_code == 303


def test_turning_it_off_needs_the_password_and_a_code(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock
) -> None:
    secret, _ = enrol(dm, clock)
    wrong = dm.post(f"{ENROL}/disable", data={"csrf_token": dm.csrf, "password": "not-it-at-all",
                                              "code": code(secret, clock)})  # fmt: skip
    assert wrong.status_code == 401
    assert 'id="second-factor-on"' in dm.get(ENROL).text
    clock.advance(STEP)
    off = dm.post(f"{ENROL}/disable", data={"csrf_token": dm.csrf, "password": DEMO_PASSWORD,
                                            "code": code(secret, clock)})  # fmt: skip
    assert off.status_code == 200
    assert 'id="second-factor-off"' in off.text
    http = new_client()
    assert post_login(http, DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    assert http.cookies.get(SESSION_COOKIE)
