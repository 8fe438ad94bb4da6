"""Attack: sign in with a stolen password, replay a code, reuse a recovery code, guess codes, or
use the registry with a registry-level role and no second factor when one is required.

Codes are computed with pyotp from the secret the enrolment page shows; time is moved with
``Platform.clock`` so that each sign-in falls in a known 30-second step.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.accounts.models import RecoveryCode, SecondFactor, User
from printreg.accounts.service import AccountService
from printreg.cli.app import app as cli
from printreg.demo.service import DEMO_PASSWORD
from printreg.domain.facility import Role
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import SESSION_COOKIE
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
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    SPONSOR,
    UserClient,
    post_login,
    session_csrf,
)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_sign_in_needs_the_code_after_the_password(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock, api_platform: Platform
) -> None:
    secret, _ = enrol(dm, clock)
    http = new_client()
    page = password_step(http, DATA_MANAGER)
    # Half signed in is not signed in.
    assert http.get("/api/v1/users/me").status_code == 401
    wrong = f"{(int(code(secret, clock)) + 1) % 1_000_000:06d}"
    assert code_step(http, page, wrong).status_code == 401
    page = password_step(http, DATA_MANAGER)
    done = code_step(http, page, code(secret, clock))
    assert done.status_code == 303
    assert http.get("/api/v1/users/me").json()["email"] == DATA_MANAGER
    # The secret is never shown again, and is not stored in the clear.
    assert secret not in dm.get(ENROL).text
    assert secret not in dm.get("/account").text
    with api_platform.sessions() as session:
        sealed = session.scalars(select(SecondFactor.secret_sealed)).one()
    assert secret not in sealed


def test_a_code_is_refused_the_second_time(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock
) -> None:
    secret, _ = enrol(dm, clock)
    first = new_client()
    assert (
        code_step(first, password_step(first, DATA_MANAGER), code(secret, clock)).status_code == 303
    )
    replay = new_client()
    refused = code_step(replay, password_step(replay, DATA_MANAGER), code(secret, clock))
    assert refused.status_code == 401
    assert SESSION_COOKIE not in replay.cookies
    clock.advance(STEP)
    assert (
        code_step(replay, password_step(replay, DATA_MANAGER), code(secret, clock)).status_code
        == 303
    )


def test_a_recovery_code_works_once_and_is_stored_hashed(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock, api_platform: Platform
) -> None:
    _, codes = enrol(dm, clock)
    with api_platform.sessions() as session:
        stored = set(session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & stored
    http = new_client()
    assert code_step(http, password_step(http, DATA_MANAGER), codes[3]).status_code == 303
    again = new_client()
    assert code_step(again, password_step(again, DATA_MANAGER), codes[3]).status_code == 401
    # Spaces and case do not matter; another code still works.
    typed = codes[4].upper().replace("-", " ")
    assert code_step(again, password_step(again, DATA_MANAGER), typed).status_code == 303


def test_wrong_codes_are_throttled_like_wrong_passwords(
    dm: UserClient,
    app: FastAPI,
    clock: Clock,
    settings: Settings,
) -> None:
    secret, _ = enrol(dm, clock)
    with TestClient(app, client=("203.0.113.5", 1)) as thief:  # knows the password
        page = password_step(thief, DATA_MANAGER)
        right = code(secret, clock)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for _ in range(settings.login_failures_before_lockout):
            page = code_step(thief, page, wrong)  # each answer carries a fresh form token
            assert page.status_code == 401
        held = code_step(thief, page, right)
        assert held.status_code == 429
        assert int(held.headers["retry-after"]) > 0
        # The password step is held too: the pair waits.
        assert post_login(thief, DATA_MANAGER, DEMO_PASSWORD).status_code == 429
    with TestClient(app, client=("198.51.100.7", 1)) as owner:
        page = password_step(owner, DATA_MANAGER)
        assert code_step(owner, page, right).status_code == 303


def test_the_half_signed_in_step_cannot_be_forged_or_carried_elsewhere(
    app: FastAPI,
    dm: UserClient,
    new_client: Callable[[], TestClient],
    clock: Clock,
    api_platform: Platform,
) -> None:
    secret, _ = enrol(dm, clock)
    http = new_client()
    page = post_login(http, "nobody@example.org", "whatever-at-all")  # no step cookie given
    page = code_step(http, page, code(secret, clock))
    assert page.status_code == 401
    forged = URLSafeTimedSerializer("another-key-" * 4, salt="printreg-signin-step")
    http.cookies.set(
        "printreg_signin_step", forged.dumps({"user": dm_id(api_platform)}), path="/login"
    )
    refused = code_step(http, page, code(secret, clock))
    assert refused.status_code == 401
    assert SESSION_COOKIE not in http.cookies
    # A genuine step cookie carried to another address is worth nothing either.
    with TestClient(app, client=("198.51.100.7", 1)) as owner:
        password_step(owner, DATA_MANAGER)
        stolen = owner.cookies["printreg_signin_step"]
    http.cookies.set("printreg_signin_step", stolen, path="/login")
    refused = code_step(http, refused, code(secret, clock))
    assert refused.status_code == 401
    assert SESSION_COOKIE not in http.cookies


def dm_id(platform: Platform) -> int:
    """Return the data manager's user id."""
    with platform.sessions() as session:
        found = session.scalar(select(User.id).where(User.email == DATA_MANAGER))
    assert found is not None
    return found


@pytest.fixture
def strict(settings: Settings, api_platform: Platform) -> Iterator[tuple[FastAPI, Platform]]:
    """Return an app (and its platform) that requires a second factor for registry roles."""
    del api_platform  # the demo accounts exist
    required = Settings(**{**settings.model_dump(),
                           "require_second_factor_for_registry_roles": True})  # fmt: skip
    platform = Platform.from_settings(required)
    yield create_app(required, platform), platform
    platform.close()


def _sign_in(http: TestClient, platform: Platform, email: str) -> UserClient:
    assert post_login(http, email, DEMO_PASSWORD).status_code == 303
    return UserClient(http, email, session_csrf(platform, http))


def test_a_registry_administrator_must_enrol_before_any_page_or_api(
    strict: tuple[FastAPI, Platform],
) -> None:
    app, platform = strict
    clock = Clock()
    platform.clock = clock
    with TestClient(app) as http:
        _registry_admin_must_enrol(_sign_in(http, platform, REGISTRY_ADMIN), clock)
    # Researchers and committee members too; people without a registry-level role are not
    # asked (sponsors see aggregates only).
    for email in (RESEARCHER, "committee.1@demo.printreg.org"):
        with TestClient(app) as http:
            person = _sign_in(http, platform, email)
            assert person.get("/api/v1/users/me").status_code == 403, email
            assert person.get("/", follow_redirects=False).headers["location"] == ENROL, email
    for email in (DATA_MANAGER, SPONSOR):
        with TestClient(app) as http:
            person = _sign_in(http, platform, email)
            assert person.get("/api/v1/users/me").status_code == 200, email
            assert person.get("/account", follow_redirects=False).status_code == 200, email


def test_a_token_of_a_registry_role_holder_is_refused_while_they_lack_a_second_factor(
    strict: tuple[FastAPI, Platform],
) -> None:
    """Each request reads the requirement afresh with the token: refused without a confirmed
    second factor, served once one is confirmed, refused again on the very next request after
    it is reset; a data manager's token is never asked."""
    app, platform = strict
    accounts = AccountService(platform)
    admin_id = _user_id(platform, REGISTRY_ADMIN)
    accounts.set_membership(Actor.operator("test"), admin_id, REG, HOME, Role.VIEWER)
    tokens = {email: accounts.create_token(accounts.actor_for(_user_id(platform, email)), HOME,
                                           "t", ["cases:read"], 1)[0]
              for email in (REGISTRY_ADMIN, DATA_MANAGER)}  # fmt: skip

    def answer(email: str) -> int:
        with TestClient(app) as http:
            headers = {"Authorization": f"Bearer {tokens[email]}"}
            return http.get(f"{API}/cases", params={"facility": HOME}, headers=headers).status_code

    assert (answer(REGISTRY_ADMIN), answer(DATA_MANAGER)) == (403, 200)
    with platform.sessions() as session, session.begin():  # pending: does not count
        session.add(SecondFactor(user_id=admin_id, secret_sealed="x"))  # noqa: S106 - unused
    assert answer(REGISTRY_ADMIN) == 403
    with platform.sessions() as session, session.begin():
        session.execute(update(SecondFactor).values(confirmed_at=dt.datetime.now(dt.UTC)))
    assert answer(REGISTRY_ADMIN) == 200
    with platform.sessions() as session, session.begin():
        session.execute(delete(SecondFactor))
    assert answer(REGISTRY_ADMIN) == 403


def _user_id(platform: Platform, email: str) -> int:
    with platform.sessions() as session:
        found = session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def _registry_admin_must_enrol(admin: UserClient, clock: Clock) -> None:
    for path in ("/", "/registries/3dp/home", "/account", "/registries/3dp/analytics"):
        response = admin.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == ENROL, path
    assert admin.get("/api/v1/users/me").status_code == 403
    assert admin.get("/api/v1/registries/3dp/cases").status_code == 403
    tokens = admin.post("/api/v1/tokens", json={"name": "x", "facility": "F0001",
                                                "scopes": ["cases:read"]})  # fmt: skip
    assert tokens.status_code == 403
    assert "second factor" in tokens.json()["detail"]
    page = admin.get(ENROL)
    assert page.status_code == 200
    assert 'id="second-factor-required"' in page.text
    secret, _ = enrol(admin, clock)
    assert admin.get("/api/v1/users/me").status_code == 200
    assert admin.get("/registries/3dp/home", follow_redirects=False).status_code == 200
    # Required means it cannot be turned off.
    off = admin.post(f"{ENROL}/disable", data={"csrf_token": admin.csrf, "password": DEMO_PASSWORD,
                                               "code": code(secret, clock)})  # fmt: skip
    assert off.status_code == 409


def test_an_administrator_resets_a_lost_second_factor_from_the_cli(
    dm: UserClient, new_client: Callable[[], TestClient], clock: Clock, api_platform: Platform
) -> None:
    enrol(dm, clock)
    password_step(new_client(), DATA_MANAGER)
    result = CliRunner().invoke(cli, ["user", "reset-2fa", DATA_MANAGER, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"email": DATA_MANAGER, "had_second_factor": True}
    http = new_client()
    assert post_login(http, DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    with api_platform.sessions() as session:
        assert session.scalars(select(RecoveryCode)).all() == []
    unknown = CliRunner().invoke(cli, ["user", "reset-2fa", "nobody@example.org"])
    assert unknown.exit_code == 1
