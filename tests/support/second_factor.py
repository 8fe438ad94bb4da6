"""Second-factor helpers: a hand-moved clock, TOTP codes, enrolment and the two sign-in steps.

Codes are computed with pyotp from the secret the enrolment page shows; time is moved with
``Platform.clock`` so that each sign-in falls in a known 30-second step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient

from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.web.deps import SESSION_COOKIE
from tests.support.clock import Clock
from tests.support.web import UserClient, post_login

ENROL = "/account/second-factor"
SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CODES = re.compile(r"<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code></li>")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STEP = 30


@pytest.fixture
def clock(api_platform: Platform) -> Iterator[Clock]:
    """Give the platform a hand-moved clock."""
    clock, original = Clock(), api_platform.clock
    api_platform.clock = clock
    yield clock
    api_platform.clock = original


def code(secret: str, clock: Clock) -> str:
    """Return the TOTP code of the clock's current step."""
    return pyotp.TOTP(secret).at(clock.now)


def enrol(user: UserClient, clock: Clock) -> tuple[str, list[str]]:
    """Set up a second factor through the Account page; return (secret, recovery codes)."""
    started = user.post(f"{ENROL}/start", data={"csrf_token": user.csrf})
    assert started.status_code == 200, started.text
    found = SECRET.search(started.text)
    assert found is not None
    secret = found.group(1)
    assert "otpauth://totp/" in started.text
    confirmed = user.post(
        f"{ENROL}/confirm", data={"csrf_token": user.csrf, "code": code(secret, clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = CODES.findall(confirmed.text)
    assert len(codes) == 10
    clock.advance(STEP)  # the confirming code's step is spent
    return secret, codes


def password_step(http: TestClient, email: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    """Sign in with the password; assert that the code form came back instead of a session."""
    response = post_login(http, email, password)
    assert response.status_code == 200, response.text
    assert 'action="/login/code"' in response.text
    assert SESSION_COOKIE not in http.cookies
    return response


def code_step(http: TestClient, page: httpx.Response, value: str) -> httpx.Response:
    """Post a code into the code form of ``page``."""
    found = _CSRF.search(page.text)
    assert found is not None
    return http.post(
        "/login/code",
        data={"code": value, "csrf_token": found.group(1), "next": "/"},
        follow_redirects=False,
    )
