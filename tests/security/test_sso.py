"""Attack: sign in through single sign-on with a forged, foreign or stale answer, or as someone
the provider did not vouch for; sign in with a password where passwords are turned off.

The provider is a real, certified one (node-oidc-provider, tests/support/oidc_provider.py) on
loopback; its token endpoint is fronted, for five of its clients, by an attacker who edits the
ID token (signature), or re-signs it for another audience, expired, with another nonce or naming
another issuer. None may sign
anyone in, the refusals are fixed sentences, and the server's log never holds a code, state,
e-mail address or the client secret. One database (SQLite): the storage is the password
sign-in's, whose tests run on both.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from printreg.accounts import sso
from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.accounts.signin_pages import NO_PASSWORDS
from printreg.accounts.sso_pages import FLOW_COOKIE
from printreg.cli.app import app as cli
from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.audit_log import AuditEntry
from printreg.web.app import create_app
from printreg.web.deps import SESSION_COOKIE
from printreg.web.pages.common import PRE_CSRF_COOKIE
from tests.support.clock import Clock
from tests.support.logs import json_logs  # noqa: F401 - fixture
from tests.support.oidc_provider import (  # noqa: F401 - fixture
    SECRET,
    STRANGER,
    OidcProvider,
    oidc_provider,
    sign_in_at_provider,
)
from tests.support.second_factor import clock, code, code_step, enrol  # noqa: F401 - fixture
from tests.support.servers import free_port
from tests.support.web import DATA_MANAGER, HOME, VIEWER, UserClient

SsoApp = Callable[..., TestClient]


@pytest.fixture
def sso_client(
    settings: Settings, api_platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SsoApp]:
    """Return a function that gives the platform the test settings changed as asked and
    returns a fresh client of an app on them (the demo people and the clock stay)."""
    with ExitStack() as stack:

        def make(**changed: object) -> TestClient:
            configured = Settings.model_validate({**settings.model_dump(), **changed})
            monkeypatch.setattr(api_platform, "settings", configured)
            app = create_app(configured, api_platform)
            return stack.enter_context(TestClient(app, base_url="http://testserver"))

        yield make


def _start(http: TestClient, next_url: str = "/cases") -> str:
    """Start a single sign-on; return the provider's address the browser is sent to."""
    response = http.get("/login/sso", params={"next": next_url}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert FLOW_COOKIE in http.cookies
    return response.headers["location"]


def _back(http: TestClient, callback: str) -> httpx.Response:
    """Bring the provider's answer to printreg, as the browser would."""
    parts = urlsplit(callback)
    return http.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def _refused(response: httpx.Response, message: str, status: int = 401) -> None:
    assert response.status_code == status, response.text
    assert message in response.text.replace("&#39;", "'")
    assert SESSION_COOKIE not in response.cookies
    assert f'{FLOW_COOKIE}=""' in response.headers.get("set-cookie", "")


def _leaks(logs: io.StringIO, *secrets: str) -> list[str]:
    """Return the secrets found in the server's log lines (printreg's own loggers)."""
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]
    text = json.dumps(lines).lower()
    return [s for s in secrets if s.lower() in text]


def test_a_verified_person_signs_in_to_their_own_account_and_nothing_leaks(
    sso_client: SsoApp, oidc_provider: OidcProvider, api_platform: Platform,
    json_logs: io.StringIO,
) -> None:  # fmt: skip
    http = sso_client(**oidc_provider.settings(api_platform.settings).model_dump())
    page = http.get("/login")
    assert 'id="sso-sign-in"' in page.text
    assert "organisation&#39;s account" in page.text
    assert 'action="/login"' in page.text  # the password form stays unless turned off

    authorize = _start(http)
    asked = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{oidc_provider.issuer}/")
    assert asked["response_type"] == ["code"]
    assert asked["client_id"] == ["printreg"]
    assert asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) == 43
    assert set(asked["scope"][0].split()) == {"openid", "email"}
    assert len(asked["state"][0]) >= 43
    assert len(asked["nonce"][0]) >= 43
    flow_cookie = http.cookies[FLOW_COOKIE]

    callback = sign_in_at_provider(authorize, "dm")
    answer = _back(http, callback)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/cases"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert FLOW_COOKIE not in http.cookies  # the flow is spent
    me = http.get("/api/v1/users/me").json()
    assert me["email"] == DATA_MANAGER  # the account's roles, none from the provider
    assert me["memberships"] == {"3dp": {HOME: "data_manager"}}
    with api_platform.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "login_sso")).one()
        assert entry.entity_id == str(me["id"])
        assert entry.after == {"issuer": oidc_provider.issuer}

    # The same answer again, with the flow cookie put back (a replay): the code is spent.
    replay = TestClient(http.app, base_url="http://testserver")
    replay.cookies.set(FLOW_COOKIE, flow_cookie, path="/login/sso")
    _refused(_back(replay, callback), sso.REFUSED)

    answer_query = parse_qs(urlsplit(callback).query)
    assert not _leaks(json_logs, DATA_MANAGER, answer_query["code"][0],
                      answer_query["state"][0], SECRET)  # fmt: skip


def test_forged_foreign_expired_and_misdirected_id_tokens_sign_nobody_in(
    sso_client: SsoApp, oidc_provider: OidcProvider, api_platform: Platform,
    json_logs: io.StringIO,
) -> None:  # fmt: skip
    # Each client's ID token is altered after the provider issued it (provider.mjs): the
    # payload edited to claim the registry administrator (signature no longer matches), or
    # re-signed with the provider's own key for another audience, expired, with another
    # sign-in's nonce, or naming another issuer.
    for client_id, failure in (
        ("printreg-tampered", "bad_signature"),
        ("printreg-wrong-audience", "invalid_claim aud"),
        ("printreg-expired", "expired_token exp"),
        ("printreg-wrong-nonce", "invalid_claim nonce"),
        ("printreg-wrong-issuer", "invalid_claim iss"),
    ):
        http = sso_client(**oidc_provider.settings(api_platform.settings, client_id).model_dump())
        callback = sign_in_at_provider(_start(http), "dm")
        _refused(_back(http, callback), sso.NOT_VERIFIED)
        assert http.get("/api/v1/users/me").status_code == 401
        assert f"the ID token failed {failure}" in json_logs.getvalue(), client_id
    with api_platform.sessions() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "login_sso")) == 0
    assert not _leaks(json_logs, DATA_MANAGER, "registry.admin@", SECRET)


def test_unverified_unknown_and_misrouted_answers_sign_nobody_in(
    sso_client: SsoApp, oidc_provider: OidcProvider, api_platform: Platform,
    json_logs: io.StringIO,
) -> None:  # fmt: skip
    http = sso_client(**oidc_provider.settings(api_platform.settings).model_dump())
    with api_platform.sessions() as session:
        people = session.scalar(select(func.count()).select_from(User))

    # The provider vouches for the viewer's address, but has not verified it.
    _refused(_back(http, sign_in_at_provider(_start(http), "unverified")), sso.UNVERIFIED_EMAIL)
    # A verified address without an account: refused, and no account is made.
    _refused(_back(http, sign_in_at_provider(_start(http), "stranger")), sso.NO_ACCOUNT)
    with api_platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == people

    # Someone else's answer (login CSRF) in a browser that started no flow, and an answer
    # whose state is not the flow's: neither is redeemed.
    callback = sign_in_at_provider(_start(http), "dm")
    stranger = TestClient(http.app, base_url="http://testserver")
    _refused(_back(stranger, callback), sso.AGAIN)
    _start(http)  # a new flow in this browser; the earlier answer carries the old state
    _refused(_back(http, callback), sso.AGAIN)
    # The provider's own refusal (the person cancelled there).
    state = parse_qs(urlsplit(_start(http)).query)["state"][0]
    _refused(http.get("/login/sso/callback", params={"error": "access_denied", "state": state},
                      follow_redirects=False), sso.REFUSED)  # fmt: skip
    assert http.get("/api/v1/users/me").status_code == 401
    assert not _leaks(json_logs, VIEWER, STRANGER, DATA_MANAGER, SECRET)


def test_the_second_factor_is_still_asked_after_single_sign_on(
    sso_client: SsoApp, oidc_provider: OidcProvider, api_platform: Platform,
    dm: UserClient, clock: Clock,
) -> None:  # fmt: skip
    secret, _ = enrol(dm, clock)
    http = sso_client(**oidc_provider.settings(api_platform.settings).model_dump())
    page = _back(http, sign_in_at_provider(_start(http), "dm"))
    assert page.status_code == 200
    assert 'action="/login/code"' in page.text
    assert SESSION_COOKIE not in http.cookies
    assert http.get("/api/v1/users/me").status_code == 401
    done = code_step(http, page, code(secret, clock))
    assert done.status_code == 303
    assert SESSION_COOKIE in http.cookies
    assert http.get("/api/v1/users/me").json()["email"] == DATA_MANAGER


def test_password_sign_in_turned_off_leaves_single_sign_on_tokens_and_the_cli(
    sso_client: SsoApp, api_platform: Platform, dm: UserClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = AccountService(api_platform)
    me = dm.get("/api/v1/users/me").json()
    token, _ = accounts.create_token(accounts.actor_for(me["id"]), HOME, "t", ["cases:read"], 1)
    off = {"oidc_issuer": f"http://127.0.0.1:{free_port()}", "oidc_client_id": "printreg",
           "oidc_client_secret": SECRET, "password_sign_in": False,
           "oidc_button_label": "Hospital account"}  # fmt: skip
    http = sso_client(**off)
    page = http.get("/login")
    assert "Hospital account" in page.text
    assert 'action="/login"' not in page.text
    # The form is gone; a password posted anyway is refused with a clear message.
    form = {"email": DATA_MANAGER, "password": DEMO_PASSWORD,
            "csrf_token": http.cookies[PRE_CSRF_COOKIE]}  # fmt: skip
    refused = http.post("/login", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert NO_PASSWORDS in refused.text
    assert SESSION_COOKIE not in http.cookies
    # A provider that cannot be reached (nothing listens there): a message, no flow.
    down = http.get("/login/sso", follow_redirects=False)
    assert down.status_code == 502
    assert sso.UNAVAILABLE in down.text
    assert FLOW_COOKIE not in http.cookies
    # API tokens, sessions opened before, and the operator's command line are not affected.
    http.headers["Authorization"] = f"Bearer {token}"
    assert http.get("/api/v1/users/me").json()["email"] == DATA_MANAGER
    assert dm.get("/api/v1/users/me").status_code == 200
    for name, value in off.items():
        monkeypatch.setenv(f"PRINTREG_{name.upper()}", str(value).lower())
    shown = CliRunner().invoke(cli, ["user", "show", DATA_MANAGER, "--json"])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["email"] == DATA_MANAGER


def test_without_single_sign_on_its_routes_are_not_found(anon: TestClient) -> None:
    assert 'id="sso-sign-in"' not in anon.get("/login").text
    assert anon.get("/login/sso", follow_redirects=False).status_code == 404
    assert anon.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_failed_answers_are_throttled_per_client_address(sso_client: SsoApp) -> None:
    http = sso_client(oidc_issuer="http://127.0.0.1:9", oidc_client_id="printreg",
                      oidc_client_secret=SECRET, signin_address_failures=3)  # fmt: skip
    for _ in range(3):  # forged answers: no flow in this browser
        _refused(http.get("/login/sso/callback?code=x&state=y", follow_redirects=False), sso.AGAIN)
    throttled = http.get("/login/sso/callback?code=x&state=y", follow_redirects=False)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "too many failed sign-ins from your network address" in throttled.text
