"""The page tests' clients: demo people, a sign-in through the form, the pages' CSRF token.

Page tests carry (client, CSRF token) pairs rather than tests/support/web.py's ``UserClient``;
modules that use these fixtures import them from here (their names are those of the API
fixtures, so the two sets are never in one conftest).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.pages.common import PRE_CSRF_COOKIE
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    VIEWER,
    app_for,
)

__all__ = ["DATA_MANAGER", "FACILITY_ADMIN", "HOME", "OTHER", "REG", "REGISTRY_ADMIN",
           "RESEARCHER", "VIEWER"]  # fmt: skip
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Client = tuple[TestClient, str]  # a signed-in client and its session's CSRF token


@pytest.fixture
def people(seeded: Platform) -> Platform:
    """Return the seeded platform with the demo people (one per role)."""
    ensure_demo_accounts(seeded, REG, (HOME, OTHER))
    return seeded


@pytest.fixture
def new_client(settings: Settings, people: Platform) -> Iterator[Callable[[], TestClient]]:
    """Return a factory of fresh, cookieless clients of the application."""
    app = app_for(settings, people)
    with ExitStack() as stack:
        yield lambda: stack.enter_context(TestClient(app, base_url="http://testserver"))


def login(http: TestClient, email: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    """Sign in through the form, with the pre-sign-in CSRF token of its cookie."""
    http.get("/login")
    token = http.cookies.get(PRE_CSRF_COOKIE)
    assert token
    return http.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture
def sign_in(new_client: Callable[[], TestClient]) -> Callable[[str], Client]:
    """Return a function that signs a demo person in: (client, CSRF token of their pages)."""

    def make(email: str) -> Client:
        http = new_client()
        assert login(http, email).status_code == 303
        found = CSRF.search(http.get("/account").text)
        assert found is not None
        return http, found.group(1)

    return make


@pytest.fixture
def dm(sign_in: Callable[[str], Client]) -> Client:
    """Return the data manager of F0001, signed in."""
    return sign_in(DATA_MANAGER)


def store(platform: Platform, facility: str, record: dict[str, Any]) -> str:
    """Store a case as the operator; return its id."""
    return str(CaseService(platform, Actor.operator("test")).create(REG, facility, record).id)
