"""The governance pages: a facility applies and follows its enrollment; the committee votes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.factories import make_facility, make_person
from tests.support.web import UserClient, app_for, post_login, session_csrf

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.domain.facility import RegistryRoleName, Role
from printreg.platform import Platform
from printreg.settings import Settings

REG = "3dp"
FACILITY_ADMIN = "facility.admin@demo.printreg.org"
DATA_MANAGER = "data.manager@demo.printreg.org"
Sign = Callable[[str], UserClient]


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Return the test database's settings with a committee quorum of one."""
    monkeypatch.setenv("PRINTREG_DATABASE_URL", database_url)
    return Settings(database_url=database_url, data_dir=str(tmp_path / "data"), committee_quorum=1)


@pytest.fixture
def sign_in(settings: Settings, seeded: Platform) -> Iterator[Sign]:
    """Return a function signing a person in; F0300 (in gsae only) has an administrator and
    the 3dp committee has one member (quorum 1)."""
    ensure_demo_accounts(seeded, REG, ("F0001", "F0002"))
    make_facility(seeded, "F0300", name="Riverside", kind="community", registries=("gsae",))
    make_person(seeded, "admin@f0300.example.org", name="Admin",
                roles={"gsae": {"F0300": Role.FACILITY_ADMIN}})  # fmt: skip
    make_person(seeded, "member@committee.example.org", name="Member",
                registry_roles={REG: RegistryRoleName.COMMITTEE})  # fmt: skip
    app = app_for(settings, seeded)
    with ExitStack() as stack:

        def make(email: str) -> UserClient:
            http = stack.enter_context(TestClient(app, base_url="http://testserver"))
            assert post_login(http, email, DEMO_PASSWORD).status_code == 303
            return UserClient(http, email, session_csrf(seeded, http))

        yield make


def test_a_facility_applies_and_the_committee_votes_it_in(sign_in: Sign) -> None:
    admin = sign_in("admin@f0300.example.org")
    page = admin.get("/facilities/F0300/enrollment")
    assert page.status_code == 200
    assert 'id="enrollment-3dp"' in page.text
    assert "Apply to 3dp" in page.text
    assert "Withdraw from gsae" in page.text

    form = {"contact_name": "Dana Lee", "contact_email": "dana@example.org", "statement": "Hi"}
    stale = admin.http.post("/facilities/F0300/enrollment/3dp/apply", data=form)
    assert stale.status_code == 403  # no CSRF token
    empty = admin.http.post(
        "/facilities/F0300/enrollment/3dp/apply",
        data={"csrf_token": admin.csrf, "contact_email": "x"},
    )
    assert empty.status_code == 422
    assert "give the name" in empty.text
    sent = admin.http.post(
        "/facilities/F0300/enrollment/3dp/apply",
        data={**form, "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "Application submitted" in admin.get(sent.headers["location"]).text

    member = sign_in("member@committee.example.org")
    agenda = member.get(f"/registries/{REG}/committee")
    assert agenda.status_code == 200
    assert "Riverside (F0300)" in agenda.text
    assert "Dana Lee" in agenda.text
    application = agenda.text.split('id="application-')[1].split('"')[0]
    vote = {"subject_type": "enrollment", "subject_id": application, "choice": "approve"}
    assert member.http.post(f"/registries/{REG}/committee/votes", data=vote).status_code == 403
    cast = member.http.post(
        f"/registries/{REG}/committee/votes",
        data={**vote, "csrf_token": member.csrf},
        follow_redirects=False,
    )
    assert cast.status_code == 303
    after = member.get(cast.headers["location"]).text
    assert "Vote recorded" in after
    assert "No open applications" in after  # quorum 1: decided

    status = admin.get("/facilities/F0300/enrollment").text
    assert 'data-status="approved"' in status
    assert "committee (1 approve, 0 decline)" in status


def test_a_vote_to_decline_asks_first_and_keeps_its_reason(sign_in: Sign) -> None:
    admin = sign_in("admin@f0300.example.org")
    form = {"contact_name": "Dana Lee", "contact_email": "dana@example.org", "statement": "Hi",
            "csrf_token": admin.csrf}  # fmt: skip
    assert admin.http.post("/facilities/F0300/enrollment/3dp/apply", data=form).status_code == 200
    member = sign_in("member@committee.example.org")
    agenda = member.get(f"/registries/{REG}/committee").text
    assert 'value="decline" class="secondary">Decline…</button>' in agenda
    application = agenda.split('id="application-')[1].split('"')[0]
    vote = {"subject_type": "enrollment", "subject_id": application, "choice": "decline",
            "csrf_token": member.csrf}  # fmt: skip
    url = f"/registries/{REG}/committee/votes"
    asked = member.http.post(url, data=vote)
    assert asked.status_code == 200
    assert 'id="confirmation"' in asked.text
    assert "must apply again" in asked.text
    assert "Riverside (F0300)" in member.get(f"/registries/{REG}/committee").text  # still open
    blank = member.http.post(url, data={**vote, "confirmed": "yes", "reason": ""})
    assert blank.status_code == 422
    cast = member.http.post(url, data={**vote, "confirmed": "yes", "reason": "no imaging lab"})
    assert cast.status_code == 200
    assert "No open applications" in cast.text  # quorum 1: declined
    assert 'data-status="declined"' in admin.get("/facilities/F0300/enrollment").text


def test_facility_people_have_no_committee_page(sign_in: Sign) -> None:
    for email in (FACILITY_ADMIN, DATA_MANAGER):
        person = sign_in(email)
        assert person.get(f"/registries/{REG}/committee").status_code == 403
        vote = {
            "subject_type": "enrollment",
            "subject_id": "1",
            "choice": "approve",
            "csrf_token": person.csrf,
        }
        refused = person.http.post(f"/registries/{REG}/committee/votes", data=vote)
        assert refused.status_code == 403
    other = sign_in(DATA_MANAGER).get("/facilities/F0300/enrollment")
    assert other.status_code == 404


def test_the_registry_administrator_records_the_agreement_on_the_committee_page(
    sign_in: Sign,
) -> None:
    admin = sign_in("admin@f0300.example.org")
    form = {
        "contact_name": "Dana Lee",
        "contact_email": "dana@example.org",
        "csrf_token": admin.csrf,
    }
    assert admin.http.post("/facilities/F0300/enrollment/3dp/apply", data=form).status_code == 200
    member = sign_in("member@committee.example.org")
    agenda = member.get(f"/registries/{REG}/committee").text
    application = agenda.split('id="application-')[1].split('"')[0]
    vote = {"subject_type": "enrollment", "subject_id": application, "choice": "approve"}
    member.http.post(f"/registries/{REG}/committee/votes", data={**vote, "csrf_token": member.csrf})
    assert 'id="agreement-F0300"' not in member.get(f"/registries/{REG}/committee").text

    registry_admin = sign_in("registry.admin@demo.printreg.org")
    page = registry_admin.get(f"/registries/{REG}/committee")
    assert 'id="agreement-F0300"' in page.text
    url = f"/registries/{REG}/enrollments/F0300/agreement"
    undated = registry_admin.http.post(url, data={"csrf_token": registry_admin.csrf})
    assert undated.status_code == 422
    assert "agreement was signed" in undated.text
    refused = member.http.post(
        url, data={"agreement_date": "2026-03-01", "csrf_token": member.csrf}
    )
    assert refused.status_code == 403
    done = registry_admin.http.post(
        url,
        data={"agreement_date": "2026-03-01", "csrf_token": registry_admin.csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = registry_admin.get(done.headers["location"]).text
    assert "Agreement recorded: F0300 is active in 3dp" in after
    assert 'id="agreement-F0300"' not in after
    status = admin.get("/facilities/F0300/enrollment").text
    assert status.count('data-status="active"') == 2  # in gsae already, and now in 3dp


def test_facility_roles_are_given_per_registry_on_the_users_page(
    sign_in: Sign, seeded: Platform
) -> None:
    # F0300's administrator holds the role in gsae only, yet manages the facility's people in
    # every registry: here, a 3dp role for a new colleague.
    admin = sign_in("admin@f0300.example.org")
    page = admin.get("/facilities/F0300/users")
    assert page.status_code == 200
    assert "Role in 3dp" in page.text
    assert "Role in gsae" in page.text
    added = admin.http.post(
        "/facilities/F0300/users",
        data={
            "csrf_token": admin.csrf,
            "email": "tech@f0300.example.org",
            "name": "Tech",
            "password": "long-enough-password",
            "role": "viewer",
            "registry": "gsae",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    operator = Actor.operator("test")
    accounts = AccountService(seeded)
    tech = accounts.user_by_email(operator, "tech@f0300.example.org")
    assert tech.memberships == {"gsae": {"F0300": "viewer"}}
    changed = admin.http.post(
        f"/facilities/F0300/users/{tech.id}/role",
        data={"csrf_token": admin.csrf, "role": "data_manager", "registry": "3dp"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert accounts.user_by_email(operator, "tech@f0300.example.org").memberships == {
        "3dp": {"F0300": "data_manager"},
        "gsae": {"F0300": "viewer"},
    }
    listing = admin.get("/facilities/F0300/users").text
    assert f'id="role-{tech.id}-3dp"' in listing
    # Another facility's administrator gives no role at F0300, in any registry.
    stranger = sign_in(FACILITY_ADMIN)
    other = stranger.http.post(
        f"/facilities/F0300/users/{tech.id}/role",
        data={"csrf_token": stranger.csrf, "role": "viewer", "registry": "gsae"},
    )
    assert other.status_code == 404


def test_only_the_registry_administrator_moves_the_lifecycle(sign_in: Sign) -> None:
    member = sign_in("member@committee.example.org")
    page = member.get(f"/registries/{REG}/committee")
    assert page.status_code == 200
    assert 'id="lifecycle-form"' not in page.text  # a member sees no lifecycle controls
    move = {"state": "closed", "reason": "end", "csrf_token": member.csrf}
    assert member.http.post(f"/registries/{REG}/lifecycle", data=move).status_code == 403

    registry_admin = sign_in("registry.admin@demo.printreg.org")
    page = registry_admin.get(f"/registries/{REG}/committee")
    assert "is <strong>active</strong>" in page.text
    assert '<option value="closed">closed (final)</option>' in page.text
    assert '<option value="" selected>' in page.text  # no move is preselected
    wrong = registry_admin.http.post(
        f"/registries/{REG}/lifecycle",
        data={"state": "pilot", "reason": "back", "csrf_token": registry_admin.csrf},
    )
    assert wrong.status_code == 409
    assert "cannot become pilot: it may become closed" in wrong.text
    assert "is <strong>active</strong>" in registry_admin.get(f"/registries/{REG}/committee").text


def test_new_case_is_offered_only_where_the_person_may_enter_cases(
    sign_in: Sign, seeded: Platform
) -> None:
    make_person(seeded, "gsae.admin@example.org", name="GSAE admin",
                registry_roles={"gsae": RegistryRoleName.REGISTRY_ADMIN})  # fmt: skip
    admin = sign_in("gsae.admin@example.org")
    own = admin.get("/registries/gsae/home?facility=F0300")
    assert own.status_code == 200
    assert "/registries/gsae/cases/new?facility=F0300" in own.text
    other = admin.get(f"/registries/{REG}/home?facility=F0300")
    assert "/cases/new" not in other.text
    assert f"/registries/{REG}/analytics" not in other.text
    assert "/registries/gsae/analytics" in own.text
