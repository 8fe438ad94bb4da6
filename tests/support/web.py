"""The web app under test: the app on the test database, demo people, signed-in clients.

Shared by the API, page and security tests: conftest files import the fixtures from here (so a
folder's tests use them without importing another test module), tests import the helpers.

Every person of ``services.demo`` exists (password ``DEMO_PASSWORD``): a registry administrator,
at F0001 a facility administrator, a data manager and a viewer, at F0002 a data manager, and a
researcher and a sponsor of the 3dp registry. ``client_for(email)`` signs one in through the
login page, as a browser would, and returns a client carrying the session cookie and its CSRF
token; ``bearer_client(secret)`` returns a cookieless client that sends an API token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import CSRF_HEADER, SESSION_COOKIE, signer
from printreg.web.pages.common import PRE_CSRF_COOKIE
from tests.support.records import records

REG = "3dp"
API = f"/api/v1/registries/{REG}"
HOME, OTHER = "F0001", "F0002"

REGISTRY_ADMIN = "registry.admin@demo.printreg.org"
FACILITY_ADMIN = "facility.admin@demo.printreg.org"
DATA_MANAGER = "data.manager@demo.printreg.org"
VIEWER = "viewer@demo.printreg.org"
OTHER_SITE = "other.site@demo.printreg.org"
RESEARCHER = "researcher@demo.printreg.org"
SPONSOR = "sponsor@demo.printreg.org"

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class UserClient:
    """A test client signed in as one person, with the session's CSRF token."""

    http: TestClient
    email: str
    csrf: str

    def _headers(self, extra: dict[str, str] | None, *, csrf: bool) -> dict[str, str]:
        headers = {CSRF_HEADER: self.csrf} if csrf and self.csrf else {}
        return {**headers, **(extra or {})}

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(url, headers=self._headers(kwargs.pop("headers", None), csrf=False),
                             **kwargs)  # fmt: skip

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request; writes carry the CSRF token unless ``csrf=False``."""
        csrf = kwargs.pop("csrf", True)
        headers = self._headers(kwargs.pop("headers", None), csrf=csrf)
        return self.http.request(method, url, headers=headers, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


def login_form_token(http: TestClient) -> str:
    """GET /login and return the pre-sign-in CSRF token of its form (also set as a cookie)."""
    page = http.get("/login")
    assert page.status_code == 200
    found = _CSRF_FIELD.search(page.text)
    assert found is not None
    assert http.cookies.get(PRE_CSRF_COOKIE) == found.group(1)
    return found.group(1)


def post_login(http: TestClient, email: str, password: str) -> httpx.Response:
    """Sign in through the form as a browser does: GET /login, then POST it with its token."""
    token = login_form_token(http)
    return http.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def session_csrf(platform: Platform, http: TestClient) -> str:
    """Return the CSRF token of the client's session (what the pages put in hx-headers)."""
    cookie = http.cookies.get(SESSION_COOKIE)
    assert cookie, "no session cookie"
    found = AccountService(platform).session(signer(platform).loads(cookie))
    assert found is not None
    return found[1]


@pytest.fixture
def api_platform(seeded: Platform) -> Platform:
    """Return the seeded platform with one demo account per role."""
    ensure_demo_accounts(seeded, REG, (HOME, OTHER))
    return seeded


_APPS: dict[tuple[tuple[str, str], ...], FastAPI] = {}
_PER_DATABASE = frozenset({"database_url", "data_dir"})


def _settings_key(settings: Settings) -> tuple[tuple[str, str], ...]:
    """Return what tells two settings apart, but for the test's database and data folder
    (secrets by value: their dump is masked)."""
    values = []
    for name in sorted(type(settings).model_fields):
        if name in _PER_DATABASE:
            continue
        value = getattr(settings, name)
        shown = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        values.append((name, repr(shown)))
    return tuple(values)


def app_for(settings: Settings, platform: Platform) -> FastAPI:
    """Return the web application for ``settings`` serving ``platform``'s database.

    FastAPI builds each route's state at an application's first request (~0.4 s for printreg's
    routes), so a fresh application per test would spend most of the suite there. One
    application is kept per distinct settings (but for the database and data folder, which
    only the platform uses) and pointed at the test's platform: the application reads its
    platform from ``app.state`` on every request and keeps no other state of its own.
    """
    key = _settings_key(settings)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings, platform)
    app.state.platform = platform
    return app


@pytest.fixture
def app(settings: Settings, api_platform: Platform) -> FastAPI:
    """Return the web application on the test database."""
    return app_for(settings, api_platform)


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """Return a factory of fresh, cookieless test clients (closed after the test)."""
    with ExitStack() as stack:

        def make() -> TestClient:
            return stack.enter_context(TestClient(app, base_url="http://testserver"))

        yield make


@pytest.fixture
def anon(new_client: Callable[[], TestClient]) -> TestClient:
    """Return a client that is not signed in."""
    return new_client()


@pytest.fixture
def client_for(
    api_platform: Platform, new_client: Callable[[], TestClient]
) -> Callable[[str], UserClient]:
    """Return a function that signs a demo person in and returns their client."""

    def sign_in(email: str) -> UserClient:
        http = new_client()
        response = post_login(http, email, DEMO_PASSWORD)
        assert response.status_code == 303, response.text
        return UserClient(http, email, session_csrf(api_platform, http))

    return sign_in


@pytest.fixture
def bearer_client(new_client: Callable[[], TestClient]) -> Callable[[str], TestClient]:
    """Return a function giving a cookieless client that sends a bearer token."""

    def make(secret: str) -> TestClient:
        http = new_client()
        http.headers["Authorization"] = f"Bearer {secret}"
        return http

    return make


@pytest.fixture
def dm(client_for: Callable[[str], UserClient]) -> UserClient:
    """Return the data manager of F0001, signed in."""
    return client_for(DATA_MANAGER)


def store_case(platform: Platform, facility: str, record: dict[str, Any]) -> str:
    """Store a case through the service (as the operator); return its id."""
    saved = CaseService(platform, Actor.operator("test")).create(REG, facility, record)
    return str(saved.id)


@pytest.fixture
def case_ids(api_platform: Platform) -> dict[str, str]:
    """Store one case at each facility; return {facility code: case id}."""
    return {code: store_case(api_platform, code, records(code, 1)[0]) for code in (HOME, OTHER)}
