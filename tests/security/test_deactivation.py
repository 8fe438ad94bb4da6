"""Attack: keep using an account after it was deactivated, or deactivate someone else's people.

A deactivated person's open session and API token are refused from the very next request, and
signing in answers exactly as a wrong password does (nobody learns the account exists but is
off). A facility administrator reaches only the people whose every role is at their facilities:
another facility's person is "no such person" (as an id that exists nowhere), someone who also
works elsewhere or holds a registry role is refused, and nobody deactivates themselves. Tokens
never deactivate anyone. Every refused attempt leaves the account as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.demo.service import DEMO_PASSWORD
from printreg.domain.facility import Role
from printreg.platform import Platform
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
    post_login,
)

Sign = Callable[[str], UserClient]
CASES = f"/api/v1/registries/{REG}/cases"
TOKEN = re.compile(r"[A-Za-z0-9_-]{40,}")


def _user(platform: Platform, email: str) -> User:
    with platform.sessions() as session:
        return session.scalars(select(User).where(User.email == email)).one()


def _deactivate(client: UserClient, user_id: int, reason: str = "left the lab") -> int:
    return client.post(f"/api/v1/users/{user_id}/deactivate", json={"reason": reason}).status_code


def test_a_deactivated_person_loses_session_token_and_sign_in_at_once(
    api_platform: Platform,
    client_for: Sign,
    bearer_client: Callable[[str], TestClient],
    new_client: Callable[[], TestClient],
) -> None:
    manager = client_for(DATA_MANAGER)
    made = manager.post("/api/v1/tokens", json={"name": "etl", "facility": HOME,
                                                 "scopes": ["cases:read"]})  # fmt: skip
    assert made.status_code == 201, made.text
    token = bearer_client(made.json()["token"])
    assert token.get(CASES, params={"facility": HOME}).status_code == 200
    assert manager.get("/api/v1/users/me").status_code == 200

    admin = client_for(FACILITY_ADMIN)
    target = _user(api_platform, DATA_MANAGER).id
    assert _deactivate(admin, target) == 200
    assert not _user(api_platform, DATA_MANAGER).active
    assert manager.get("/api/v1/users/me").status_code == 401  # the open session is gone
    assert token.get(CASES, params={"facility": HOME}).status_code == 401
    off = post_login(new_client(), DATA_MANAGER, DEMO_PASSWORD)
    wrong = post_login(new_client(), DATA_MANAGER, "not-the-password")
    assert off.status_code == wrong.status_code == 401
    # the same refusal as a wrong password, word for word (each form has its own CSRF token)
    assert TOKEN.sub("", off.text) == TOKEN.sub("", wrong.text)

    back = admin.post(f"/api/v1/users/{target}/reactivate", json={})
    assert back.status_code == 200
    assert back.json()["active"] is True
    assert back.json()["memberships"] == {REG: {HOME: Role.DATA_MANAGER.value}}
    assert post_login(new_client(), DATA_MANAGER, DEMO_PASSWORD).status_code == 303
    assert token.get(CASES, params={"facility": HOME}).status_code == 200  # not revoked


def test_another_facility_person_is_no_such_person_and_stays_active(
    api_platform: Platform, client_for: Sign
) -> None:
    admin = client_for(FACILITY_ADMIN)
    foreign = _user(api_platform, OTHER_SITE).id
    refused = admin.post(f"/api/v1/users/{foreign}/deactivate", json={"reason": "x"})
    unknown = admin.post("/api/v1/users/999999/deactivate", json={"reason": "x"})
    assert refused.status_code == unknown.status_code == 404
    assert refused.content == unknown.content
    assert _user(api_platform, OTHER_SITE).active


def test_someone_who_also_works_elsewhere_is_a_registry_administrators_call(
    api_platform: Platform, client_for: Sign
) -> None:
    viewer = _user(api_platform, VIEWER).id
    AccountService(api_platform).set_membership(Actor.operator(), viewer, REG, OTHER, Role.VIEWER)
    admin = client_for(FACILITY_ADMIN)
    assert _deactivate(admin, viewer) == 403
    assert _user(api_platform, VIEWER).active
    assert _deactivate(client_for(REGISTRY_ADMIN), viewer) == 200
    assert not _user(api_platform, VIEWER).active


def test_nobody_deactivates_themselves_and_members_deactivate_nobody(
    api_platform: Platform, client_for: Sign
) -> None:
    admin = client_for(FACILITY_ADMIN)
    assert _deactivate(admin, _user(api_platform, FACILITY_ADMIN).id) == 409
    manager = client_for(DATA_MANAGER)
    assert _deactivate(manager, _user(api_platform, VIEWER).id) == 404  # out of their sight
    assert _deactivate(manager, _user(api_platform, DATA_MANAGER).id) == 409
    assert all(_user(api_platform, e).active for e in (FACILITY_ADMIN, DATA_MANAGER, VIEWER))


def test_a_deactivation_needs_a_reason_and_a_token_cannot_deactivate(
    api_platform: Platform, client_for: Sign, bearer_client: Callable[[str], TestClient]
) -> None:
    admin = client_for(FACILITY_ADMIN)
    target = _user(api_platform, VIEWER).id
    assert _deactivate(admin, target, reason="  ") == 422
    made = admin.post("/api/v1/tokens", json={"name": "t", "facility": HOME,
                                               "scopes": ["cases:read", "cases:write"]})  # fmt: skip
    token = bearer_client(made.json()["token"])
    by_token = token.post(f"/api/v1/users/{target}/deactivate", json={"reason": "x"})
    assert by_token.status_code in {403, 404}
    assert _user(api_platform, VIEWER).active


def test_retiring_another_facility_printer_answers_like_an_unknown_one(
    api_platform: Platform, client_for: Sign
) -> None:
    from printreg.facilities.service import FacilityService  # noqa: PLC0415

    foreign = FacilityService(api_platform, Actor.operator()).printers(OTHER)[0]
    admin = client_for(FACILITY_ADMIN)
    body = {"active": False, "reason": "x"}
    answers = [
        admin.request("PATCH", f"/api/v1/facilities/{code}/printers/{printer_id}", json=body)
        for code, printer_id in ((OTHER, foreign.id), (HOME, foreign.id), (HOME, 999999))
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert FacilityService(api_platform, Actor.operator()).printers(OTHER)[0].active
