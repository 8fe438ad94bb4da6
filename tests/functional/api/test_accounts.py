"""Sign-in, throttling, sessions, CSRF and API tokens through HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from tests.support.factories import make_case, make_person
from tests.support.records import records
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    OTHER,
    REG,
    UserClient,
    post_login,
)

from printreg.accounts.actor import Actor
from printreg.accounts.models import ApiToken, RegistryRole, WebSession
from printreg.accounts.service import AccountService
from printreg.demo.service import DEMO_PASSWORD
from printreg.domain.facility import Role
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.audit_log import AuditEntry
from printreg.web.deps import CSRF_HEADER, SESSION_COOKIE

WRONG = "not-the-password-at-all"
ALL_SCOPES = ["cases:read", "cases:write", "reports:read"]


def _case_count(platform: Platform) -> int:
    main = platform.registry("3dp").tables.main
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(main)) or 0


def _new_record(facility: str, local_id: str) -> dict[str, Any]:
    record = records(facility, 1)[0]
    record["local_case_id"] = local_id
    return record


def _make_token(user: UserClient, facility: str = HOME, scopes: list[str] | None = None) -> str:
    response = user.post(
        "/api/v1/tokens",
        json={"name": "script", "facility": facility, "scopes": scopes or ALL_SCOPES},
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["token"]
    return secret


# -- sign-in ------------------------------------------------------------------------------------


def test_login_success_sets_a_session_cookie_and_redirects(anon: TestClient) -> None:
    response = post_login(anon, DATA_MANAGER, DEMO_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert anon.cookies.get(SESSION_COOKIE)
    me = anon.get("/api/v1/users/me")
    assert me.status_code == 200
    assert me.json()["email"] == DATA_MANAGER
    assert me.json()["memberships"] == {REG: {HOME: "data_manager"}}


def test_session_cookie_is_httponly_and_samesite(anon: TestClient) -> None:
    response = post_login(anon, DATA_MANAGER, DEMO_PASSWORD)
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1
    attributes = [a.strip().lower() for a in cookies[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes or "samesite=strict" in attributes
    assert any(a.startswith("max-age=") for a in attributes)


def test_login_with_a_wrong_password_is_refused_with_the_unknown_email_message(
    anon: TestClient,
) -> None:
    wrong = post_login(anon, DATA_MANAGER, WRONG)
    unknown = post_login(anon, "nobody@demo.printreg.org", WRONG)
    assert wrong.status_code == unknown.status_code == 401
    assert SESSION_COOKIE not in anon.cookies
    assert "the e-mail address or password is not right" in wrong.text
    assert _error_message(wrong.text) == _error_message(unknown.text)


def test_login_without_the_form_token_is_refused(anon: TestClient) -> None:
    anon.get("/login")
    response = anon.post(
        "/login",
        data={"email": DATA_MANAGER, "password": DEMO_PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in anon.cookies


def _error_message(html: str) -> str:
    start = html.index('id="login-error">') + len('id="login-error">')
    return html[start : html.index("</p>", start)]


def test_failures_from_one_address_make_that_address_wait_even_with_the_right_password(
    anon: TestClient, settings: Settings
) -> None:
    # The (account, address) pair waits; other addresses are not affected
    # (tests/security/test_signin_throttle.py).
    limit = settings.login_failures_before_lockout
    for _ in range(limit):
        assert post_login(anon, DATA_MANAGER, WRONG).status_code == 401
    response = post_login(anon, DATA_MANAGER, DEMO_PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "too many failed sign-ins" in _error_message(response.text)
    assert SESSION_COOKIE not in anon.cookies


def test_failures_below_the_limit_do_not_lock(anon: TestClient, settings: Settings) -> None:
    for _ in range(settings.login_failures_before_lockout - 1):
        assert post_login(anon, DATA_MANAGER, WRONG).status_code == 401
    assert post_login(anon, DATA_MANAGER, DEMO_PASSWORD).status_code == 303


def test_failed_logins_are_audited(anon: TestClient, api_platform: Platform) -> None:
    post_login(anon, DATA_MANAGER, WRONG)
    with api_platform.sessions() as session:
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user"))
        )
    assert "login_failed" in actions


# -- sessions and CSRF --------------------------------------------------------------------------


def test_logout_ends_the_session(
    client_for: Callable[[str], UserClient], api_platform: Platform, anon: TestClient
) -> None:
    user = client_for(DATA_MANAGER)
    cookie = user.http.cookies[SESSION_COOKIE]
    assert user.get("/api/v1/users/me").status_code == 200
    response = user.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert user.get("/api/v1/users/me").status_code == 401
    with api_platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0
    anon.cookies.set(SESSION_COOKIE, cookie)
    replayed = anon.get("/api/v1/users/me")
    assert replayed.status_code == 401


def test_a_forged_session_cookie_is_refused(anon: TestClient) -> None:
    anon.cookies.set(SESSION_COOKIE, "forged.cookie")
    assert anon.get("/api/v1/users/me").status_code == 401


def test_api_without_credentials_answers_401_with_www_authenticate(anon: TestClient) -> None:
    response = anon.get(f"{API}/cases")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "detail" in response.json()


@pytest.mark.parametrize("csrf", [None, "wrong-token"], ids=["no-csrf", "wrong-csrf"])
def test_session_writes_need_the_csrf_header(
    dm: UserClient, api_platform: Platform, csrf: str | None
) -> None:
    headers = {CSRF_HEADER: csrf} if csrf else {}
    before = _case_count(api_platform)
    response = dm.post(
        f"{API}/cases",
        params={"facility": HOME},
        json=_new_record(HOME, "CSRF-1"),
        headers=headers,
        csrf=False,
    )
    assert response.status_code == 401
    assert _case_count(api_platform) == before
    token = dm.post(
        "/api/v1/tokens",
        json={"name": "x", "facility": HOME, "scopes": ["cases:read"]},
        headers=headers,
        csrf=False,
    )
    assert token.status_code == 401
    with api_platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    # reads need no CSRF token, and the right one lets the write through
    assert dm.get(f"{API}/cases").status_code == 200
    ok = dm.post(f"{API}/cases", params={"facility": HOME}, json=_new_record(HOME, "CSRF-1"))
    assert ok.status_code == 201
    assert _case_count(api_platform) == before + 1


# -- API tokens ---------------------------------------------------------------------------------


def test_token_secret_is_shown_once_and_only_its_hash_is_stored(
    dm: UserClient, api_platform: Platform
) -> None:
    response = dm.post(
        "/api/v1/tokens", json={"name": "nightly", "facility": HOME, "scopes": ["cases:read"]}
    )
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("prt_")
    assert body["facility"] == HOME
    assert body["scopes"] == ["cases:read"]
    assert body["revoked_at"] is None
    assert body["last_used_at"] is None
    listed = dm.get("/api/v1/tokens")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [body["id"]]
    assert "token" not in listed.json()[0]
    assert secret not in listed.text
    with api_platform.sessions() as session:
        stored = session.scalars(select(ApiToken)).all()
        assert len(stored) == 1
        assert stored[0].token_hash != secret
        assert stored[0].token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert session.scalar(select(func.count()).where(ApiToken.token_hash == secret)) == 0


def test_bearer_token_works_and_records_its_last_use(
    dm: UserClient,
    bearer_client: Callable[[str], TestClient],
    api_platform: Platform,
    case_ids: dict[str, str],
) -> None:
    secret = _make_token(dm, scopes=["cases:read"])
    client = bearer_client(secret)
    response = client.get(f"{API}/cases/{case_ids[HOME]}")
    assert response.status_code == 200
    assert response.json()["facility"] == HOME
    with api_platform.sessions() as session:
        used = session.scalar(select(ApiToken.last_used_at))
    assert used is not None
    assert dm.get("/api/v1/tokens").json()[0]["last_used_at"] is not None


def test_a_token_cannot_create_tokens(
    dm: UserClient, bearer_client: Callable[[str], TestClient]
) -> None:
    client = bearer_client(_make_token(dm))
    response = client.post(
        "/api/v1/tokens", json={"name": "child", "facility": HOME, "scopes": ["cases:read"]}
    )
    assert response.status_code == 403


def test_read_scope_cannot_write_nor_reach_another_facility(
    dm: UserClient,
    bearer_client: Callable[[str], TestClient],
    api_platform: Platform,
    case_ids: dict[str, str],
) -> None:
    client = bearer_client(_make_token(dm, scopes=["cases:read"]))
    before = _case_count(api_platform)
    created = client.post(
        f"{API}/cases", params={"facility": HOME}, json=_new_record(HOME, "SCOPE-1")
    )
    assert created.status_code == 403
    assert "cases:write" in created.json()["detail"]
    assert _case_count(api_platform) == before
    assert client.delete(f"{API}/cases/{case_ids[HOME]}").status_code == 403
    assert client.get(f"{API}/cases/{case_ids[OTHER]}").status_code == 404
    assert [c["facility"] for c in client.get(f"{API}/cases").json()["items"]] == [HOME]


def test_write_only_token_cannot_read(
    dm: UserClient, bearer_client: Callable[[str], TestClient], case_ids: dict[str, str]
) -> None:
    client = bearer_client(_make_token(dm, scopes=["cases:write"]))
    assert client.get(f"{API}/cases/{case_ids[HOME]}").status_code == 403
    assert client.get(f"{API}/cases").status_code == 403


def test_expired_token_is_refused(
    dm: UserClient,
    bearer_client: Callable[[str], TestClient],
    api_platform: Platform,
    case_ids: dict[str, str],
) -> None:
    secret = _make_token(dm)
    client = bearer_client(secret)
    assert client.get(f"{API}/cases/{case_ids[HOME]}").status_code == 200
    with api_platform.sessions() as session, session.begin():
        session.execute(
            update(ApiToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    response = client.get(f"{API}/cases/{case_ids[HOME]}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_token_is_refused(
    dm: UserClient, bearer_client: Callable[[str], TestClient], case_ids: dict[str, str]
) -> None:
    secret = _make_token(dm)
    client = bearer_client(secret)
    assert client.get(f"{API}/cases/{case_ids[HOME]}").status_code == 200
    token_id = dm.get("/api/v1/tokens").json()[0]["id"]
    revoked = dm.delete(f"/api/v1/tokens/{token_id}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get(f"{API}/cases/{case_ids[HOME]}").status_code == 401


def test_nobody_else_can_revoke_a_token(
    dm: UserClient, client_for: Callable[[str], UserClient]
) -> None:
    _make_token(dm)
    token_id = dm.get("/api/v1/tokens").json()[0]["id"]
    other = client_for("other.site@demo.printreg.org")
    assert other.delete(f"/api/v1/tokens/{token_id}").status_code == 404
    assert dm.get("/api/v1/tokens").json()[0]["revoked_at"] is None


def test_unknown_or_malformed_tokens_are_refused(
    bearer_client: Callable[[str], TestClient],
) -> None:
    assert bearer_client("prt_unknown").get(f"{API}/cases").status_code == 401
    assert bearer_client("no-prefix").get(f"{API}/cases").status_code == 401
    basic = bearer_client("x")
    basic.headers["Authorization"] = "Basic dXNlcjpwYXNz"
    assert basic.get(f"{API}/cases").status_code == 401


def test_token_dies_with_its_owners_membership(
    dm: UserClient,
    bearer_client: Callable[[str], TestClient],
    api_platform: Platform,
    case_ids: dict[str, str],
) -> None:
    client = bearer_client(_make_token(dm))
    assert client.get(f"{API}/cases/{case_ids[HOME]}").status_code == 200
    me = dm.get("/api/v1/users/me").json()
    AccountService(api_platform).set_membership(Actor.operator("test"), me["id"], REG, HOME, None)
    assert client.get(f"{API}/cases/{case_ids[HOME]}").status_code == 401
    assert client.get(f"{API}/cases").status_code == 401


def test_token_creation_refuses_a_facility_the_person_does_not_belong_to(
    dm: UserClient, api_platform: Platform
) -> None:
    response = dm.post(
        "/api/v1/tokens", json={"name": "x", "facility": OTHER, "scopes": ["cases:read"]}
    )
    assert response.status_code == 404
    bad_scope = dm.post(
        "/api/v1/tokens", json={"name": "x", "facility": HOME, "scopes": ["cases:delete"]}
    )
    assert bad_scope.status_code == 409
    with api_platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_token_reaches_only_its_own_facility_for_a_two_facility_person(
    api_platform: Platform,
    client_for: Callable[[str], UserClient],
    bearer_client: Callable[[str], TestClient],
) -> None:
    email = "two.sites@demo.printreg.org"
    make_person(
        api_platform, email, roles={REG: {HOME: Role.DATA_MANAGER, OTHER: Role.DATA_MANAGER}}
    )
    home_case, other_case = make_case(api_platform, HOME), make_case(api_platform, OTHER)
    person = client_for(email)
    # signed in, the person reaches both facilities
    assert person.get(f"{API}/cases/{other_case}").status_code == 200
    client = bearer_client(_make_token(person, HOME))
    assert client.get(f"{API}/cases/{home_case}").status_code == 200
    assert client.get(f"{API}/cases/{other_case}").status_code == 404
    assert client.get(f"{API}/cases/{other_case}/history").status_code == 404
    assert client.delete(f"{API}/cases/{other_case}").status_code == 404
    listed = client.get(f"{API}/cases").json()["items"]
    assert {c["facility"] for c in listed} == {HOME}
    assert client.get(f"{API}/cases", params={"facility": OTHER}).status_code == 404
    before = _case_count(api_platform)
    created = client.post(
        f"{API}/cases", params={"facility": OTHER}, json=_new_record(OTHER, "TWO-1")
    )
    assert created.status_code == 404
    assert _case_count(api_platform) == before
    assert client.get(f"/api/v1/facilities/{OTHER}").status_code == 404


def test_a_session_and_a_token_carry_exactly_the_roles_read_on_that_use(
    api_platform: Platform,
) -> None:
    """One statement reads a token or session with its owner's every role: each use sees the
    roles of that moment, and a person left with none is signed in with no rights at all."""
    email = make_person(api_platform, "many.roles@demo.printreg.org",
                        roles={REG: {HOME: Role.DATA_MANAGER, OTHER: Role.VIEWER}},
                        registry_roles={REG: "researcher"})  # fmt: skip
    accounts = AccountService(api_platform)
    person = accounts.user_by_email(Actor.operator(), email)
    with api_platform.sessions() as session:
        facility = dict(session.execute(select(Facility.code, Facility.id)).all())
    cookie, csrf = accounts.start_session(person.id)
    token = accounts.create_token(accounts.actor_for(person.id), OTHER, "t", ["cases:read"], 1)
    assert accounts.session(cookie) == (
        Actor(name=email, user_id=person.id,
              memberships={REG: {facility[HOME]: Role.DATA_MANAGER, facility[OTHER]: Role.VIEWER}},
              registry_roles={REG: frozenset({"researcher"})}),
        csrf,
    )  # fmt: skip
    assert accounts.token_actor(token[0]) == Actor(
        name=f"{email} (token {token[1].id})", user_id=person.id,
        memberships={REG: {facility[OTHER]: Role.VIEWER}}, scopes=frozenset({"cases:read"}),
    )  # fmt: skip
    operator = Actor.operator("test")
    accounts.set_membership(operator, person.id, REG, OTHER, None)
    assert accounts.token_actor(token[0]) is None  # no role left at the token's facility
    accounts.set_membership(operator, person.id, REG, HOME, None)
    with api_platform.sessions() as session, session.begin():
        session.execute(delete(RegistryRole).where(RegistryRole.user_id == person.id))
    assert accounts.session(cookie) == (Actor(name=email, user_id=person.id), csrf)
