"""Actions that cannot be undone ask first, without JavaScript: the first post answers a page
that says what will happen and asks for a reason; only the confirmed post with a reason acts,
and the reason is in the audit log. Nothing destructive is preselected or the primary button."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.pages import (  # noqa: F401 - fixtures for these tests
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    VIEWER,
    Client,
    login,
    new_client,
    people,
    sign_in,
    store,
)
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.accounts.models import ApiToken, User
from printreg.cases.service import CaseService
from printreg.governance.enrollment_decisions import SUBJECT
from printreg.platform import Platform
from printreg.registries.service import RegistryService
from printreg.requests.service import DataRequestService, RequestDraft
from printreg.storage.audit_log import AuditEntry

Sign = Callable[[str], Client]
CONFIRMED = {"confirmed": "yes"}


def _last_audit(platform: Platform, entity_type: str, action: str) -> AuditEntry:
    with platform.sessions() as session:
        found = session.scalar(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.action == action)
            .order_by(AuditEntry.id.desc())
        )
    assert found is not None, f"no {action} of a {entity_type} in the audit log"
    return found


def _asks(response_text: str, consequence: str) -> None:
    """Check that a page is the confirmation: its consequence, a required reason, and a danger
    button beside a Cancel link (no primary button on it)."""
    assert 'id="confirmation"' in response_text
    assert consequence in re.sub(r"\s+", " ", response_text)
    assert re.search(r'<textarea id="confirm-reason" name="reason" required', response_text)
    assert re.search(r'<button type="submit" class="danger" id="confirm-submit">', response_text)
    assert 'id="confirm-cancel"' in response_text


def _status(platform: Platform, facility: str = HOME) -> str | None:
    from printreg.governance.enrollment import EnrollmentService  # noqa: PLC0415

    views = EnrollmentService(platform, Actor.operator()).of_facility(facility)
    return next(v.status for v in views if v.registry == REG)


def test_withdrawing_a_facility_says_what_rejoining_takes_and_needs_a_reason(
    sign_in: Sign, people: Platform
) -> None:
    http, csrf = sign_in(FACILITY_ADMIN)
    page = http.get(f"/facilities/{HOME}/enrollment").text
    assert re.search(rf'<button type="submit" class="secondary" id="withdraw-{REG}"', page)
    url = f"/facilities/{HOME}/enrollment/{REG}/withdraw"
    asked = http.post(url, data={"csrf_token": csrf})
    assert asked.status_code == 200
    _asks(asked.text, "rejoining takes a new application and a committee vote")
    assert _status(people) == "active"
    blank = http.post(url, data={"csrf_token": csrf, **CONFIRMED, "reason": "   "})
    assert blank.status_code == 422
    assert 'id="confirm-error"' in blank.text
    assert 'id="confirmation"' in blank.text  # the refusal is shown where the reason is typed
    assert _status(people) == "active"
    done = http.post(url, data={"csrf_token": csrf, **CONFIRMED, "reason": "lab closing"})
    assert done.status_code == 200
    assert 'id="flash"' in done.text
    assert _status(people) == "withdrawn"
    entry = _last_audit(people, SUBJECT, "withdraw")
    assert entry.after is not None
    assert entry.after["reason"] == "lab closing"


def test_a_data_manager_is_not_even_asked_to_withdraw(sign_in: Sign, people: Platform) -> None:
    http, csrf = sign_in(DATA_MANAGER)
    url = f"/facilities/{HOME}/enrollment/{REG}/withdraw"
    for data in ({"csrf_token": csrf}, {"csrf_token": csrf, **CONFIRMED, "reason": "x"}):
        refused = http.post(url, data=data)
        assert refused.status_code == 403
        assert 'id="confirmation"' not in refused.text
    assert _status(people) == "active"


def test_closing_the_registry_is_never_preselected_and_asks_first(
    sign_in: Sign, people: Platform
) -> None:
    http, csrf = sign_in(REGISTRY_ADMIN)
    page = http.get(f"/registries/{REG}/committee").text
    form = page[page.index('id="lifecycle-form"') :]
    assert '<option value="" selected>' in form
    assert not re.search(r'<option value="closed"[^>]*selected', form)
    assert re.search(r'<button type="submit" class="secondary" id="lifecycle-move"', form)
    url = f"/registries/{REG}/lifecycle"
    asked = http.post(url, data={"csrf_token": csrf, "state": "closed", "reason": "typed first"})
    assert asked.status_code == 200
    _asks(asked.text, "Closing is final")
    assert ">typed first</textarea>" in asked.text  # the reason typed on the form is carried
    assert RegistryService(people, Actor.operator()).info(REG).lifecycle == "active"
    data = {"csrf_token": csrf, "state": "closed", **CONFIRMED, "reason": "study over"}
    assert http.post(url, data=data).status_code == 200
    assert RegistryService(people, Actor.operator()).info(REG).lifecycle == "closed"
    assert _last_audit(people, "registry", "lifecycle").after == {
        "lifecycle": "closed",
        "reason": "study over",
    }


def test_deleting_a_case_asks_for_a_reason_and_audits_it(sign_in: Sign, people: Platform) -> None:
    http, csrf = sign_in(DATA_MANAGER)
    case_id = store(people, HOME, records(HOME, 1)[0])
    detail = http.get(f"/registries/{REG}/cases/{case_id}").text
    assert re.search(r'<button type="submit" id="delete-case" class="secondary">', detail)
    url = f"/registries/{REG}/cases/{case_id}/delete"
    asked = http.post(url, data={"csrf_token": csrf})
    _asks(asked.text, "can restore it from its page")
    case = CaseService(people, Actor.operator()).get(REG, uuid.UUID(case_id))
    assert case.deleted_at is None
    assert http.post(url, data={"csrf_token": csrf, **CONFIRMED}).status_code == 422
    done = http.post(url, data={"csrf_token": csrf, **CONFIRMED, "reason": "entered twice"})
    assert 'id="restore-case"' in done.text
    entry = _last_audit(people, "case", "delete")
    assert entry.after is not None
    assert entry.after["reason"] == "entered twice"


def test_a_viewer_is_refused_before_any_confirmation_of_a_delete(
    sign_in: Sign, people: Platform
) -> None:
    http, csrf = sign_in(VIEWER)
    case_id = store(people, HOME, records(HOME, 1)[0])
    refused = http.post(f"/registries/{REG}/cases/{case_id}/delete", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert 'id="confirmation"' not in refused.text


def test_revoking_a_token_asks_first_and_keeps_the_reason(sign_in: Sign, people: Platform) -> None:
    http, csrf = sign_in(DATA_MANAGER)
    made = http.post("/account/tokens", data={"csrf_token": csrf, "name": "nightly",
                                              "facility": HOME, "scopes": ["cases:read"],
                                              "days": "30"})  # fmt: skip
    assert made.status_code == 200
    with people.sessions() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.name == "nightly")).one()
    url = f"/account/tokens/{token.id}/revoke"
    asked = http.post(url, data={"csrf_token": csrf})
    _asks(asked.text, "cannot be turned back on")
    with people.sessions() as session:
        assert session.get(ApiToken, token.id).revoked_at is None  # type: ignore[union-attr]
    done = http.post(url, data={"csrf_token": csrf, **CONFIRMED, "reason": "leaked in a log"})
    assert done.status_code == 200
    assert "Token revoked" in done.text
    with people.sessions() as session:
        assert session.get(ApiToken, token.id).revoked_at is not None  # type: ignore[union-attr]
    assert _last_audit(people, "api_token", "revoke").after == {"reason": "leaked in a log"}


def test_declining_a_data_request_asks_for_the_reason_the_requester_reads(
    sign_in: Sign, people: Platform
) -> None:
    draft = RequestDraft("probe", "aims", ["organ_system"])
    request = DataRequestService(people, Actor.operator()).submit(REG, draft, RESEARCHER)
    http, csrf = sign_in(REGISTRY_ADMIN)
    url = f"/requests/{request.id}/decide"
    asked = http.post(url, data={"csrf_token": csrf, "decision": "decline"})
    _asks(asked.text, "The decision is final")
    service = DataRequestService(people, Actor.operator())
    assert service.get(request.id).status == "submitted"
    done = http.post(url, data={"csrf_token": csrf, "decision": "decline", **CONFIRMED,
                                "reason": "aims too broad"})  # fmt: skip
    assert done.status_code == 200
    declined = service.get(request.id)
    assert declined.status == "declined"


def test_deactivating_a_person_asks_first_and_reactivating_gives_access_back(
    sign_in: Sign, people: Platform, new_client: Callable[[], TestClient]
) -> None:
    http, csrf = sign_in(FACILITY_ADMIN)
    with people.sessions() as session:
        target = session.scalars(select(User).where(User.email == VIEWER)).one().id
        me = session.scalars(select(User).where(User.email == FACILITY_ADMIN)).one().id
    users = http.get(f"/facilities/{HOME}/users").text
    assert f'id="deactivate-{target}"' in users
    assert f'id="deactivate-{me}"' not in users  # nobody is offered to switch themselves off
    url = f"/facilities/{HOME}/users/{target}/deactivate"
    asked = http.post(url, data={"csrf_token": csrf})
    _asks(asked.text, "can no longer sign in")
    assert login(new_client(), VIEWER).status_code == 303  # still active
    done = http.post(url, data={"csrf_token": csrf, **CONFIRMED, "reason": "left the lab"})
    assert done.status_code == 200
    assert "Deactivated: they can no longer sign in" in done.text
    assert f'id="reactivate-{target}"' in done.text
    assert login(new_client(), VIEWER).status_code == 401
    entry = _last_audit(people, "user", "deactivate")
    assert entry.after == {"active": False, "reason": "left the lab"}
    back = http.post(f"/facilities/{HOME}/users/{target}/reactivate", data={"csrf_token": csrf})
    assert "Reactivated" in back.text
    assert login(new_client(), VIEWER).status_code == 303
