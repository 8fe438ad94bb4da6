"""A facility enrolling in a second registry, in a real browser: its administrator applies, the
committee votes it in, the registry administrator records the agreement, the facility gives its
data manager a role in that registry, and the data manager submits the first case there."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.browser import nav, set_value, sign_in, sign_out

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.demo.service import ensure_demo_accounts
from printreg.domain.facility import Role
from printreg.facilities.schemas import FacilityProfile
from printreg.facilities.service import FacilityService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

REGISTRY = "gsae"
FACILITY = "F0300"
ADMIN = "admin@f0300.example.org"
MANAGER = "dm@f0300.example.org"
REGISTRY_ADMIN = "registry.admin@demo.printreg.org"


def _newcomer(server: LiveServer) -> int:
    """Add F0300, active in 3dp only, with an administrator and a data manager there; give the
    demo people their gsae roles (the committee among them). Return the data manager's id."""
    operator = Actor.operator("test")
    profile = FacilityProfile(FACILITY, "Riverside", "community", "rural", "midwest", "surgery")
    FacilityService(server.platform, operator).add(profile, registries=("3dp",))
    accounts = AccountService(server.platform)
    for email, role in ((ADMIN, Role.FACILITY_ADMIN), (MANAGER, Role.DATA_MANAGER)):
        accounts.create_user(
            operator, email, email.split("@")[0], server.password, {"3dp": {FACILITY: role}}
        )
    committee = [a.email for a in ensure_demo_accounts(server.platform, REGISTRY, ("F0001", "F0002"))
                 if a.role == "committee"]  # fmt: skip
    assert len(committee) == server.platform.settings.committee_quorum
    return accounts.user_by_email(operator, MANAGER).id


def _committee_votes_it_in(page: Page, server: LiveServer) -> None:
    """Every demo committee member of gsae approves F0300's application; the last vote decides."""
    members = [f"committee.{n}@demo.printreg.org" for n in range(1, 4)]
    for n, email in enumerate(members, start=1):
        sign_in(page, server, email)
        page.goto(server.at(f"/registries/{REGISTRY}/committee"))
        card = page.locator('section[id^="application-"]', has_text=f"({FACILITY})")
        expect(card).to_contain_text("Contact")
        card.get_by_role("button", name="Approve").click()
        expect(page.locator("#flash")).to_have_text("Vote recorded")
        if n < len(members):
            expect(page.locator("main")).to_contain_text(f"{n} approve, 0 decline")
        else:
            expect(page.locator("#no-applications")).to_be_visible()
        sign_out(page)


def _fill_gsae_case(page: Page) -> None:
    set_value(page, "#f-local_case_id", "RIV-GS-001")
    set_value(page, "#f-patient_age_years", "58")
    set_value(page, "#f-procedure_date", "2026-03-02")
    set_value(page, "#f-report_date", "2026-03-09")
    set_value(page, "#f-guide_type", "drilling")
    set_value(page, "#f-anatomic_region", "spine")
    set_value(page, "#f-sterilization_method", "steam")
    set_value(page, "#f-guides-1-material", "pa12")
    set_value(page, "#f-guides-1-sterilization_cycles", "1")
    set_value(page, "#f-guide_fit", "5")
    set_value(page, "#f-guide_fracture", "false")
    set_value(page, "#f-guide_event", "false")


def test_a_facility_enrolls_through_the_committee_and_submits(
    page: Page, live_server: LiveServer
) -> None:
    server = live_server
    manager_id = _newcomer(server)

    # The facility's administrator applies to gsae from the facility's enrollment page.
    sign_in(page, server, ADMIN)
    nav(page, "Enrollment")
    section = page.locator(f"#enrollment-{REGISTRY}")
    expect(section.locator(".status")).to_have_text("not enrolled")
    section.get_by_label("Contact name").fill("Dana Lee")
    section.get_by_label("Contact e-mail").fill("dana.lee@riverside.example.org")
    section.get_by_label("Statement").fill("About 40 guided spine cases a year.")
    section.get_by_role("button", name=f"Apply to {REGISTRY}").click()
    expect(page.locator("#flash")).to_contain_text("Application submitted")
    expect(section.locator(".status")).to_have_text("applied")
    sign_out(page)

    _committee_votes_it_in(page, server)

    # Approved is not yet active: the registry administrator records the agreement.
    sign_in(page, server, REGISTRY_ADMIN)
    page.goto(server.at(f"/registries/{REGISTRY}/committee"))
    agreement = page.locator(f"#agreement-{FACILITY}")
    agreement.get_by_label("Agreement signed on").fill("2026-03-01")
    agreement.get_by_role("button", name="Record the agreement").click()
    expect(page.locator("#flash")).to_contain_text(f"{FACILITY} is active in {REGISTRY}")
    expect(page.locator(f"#agreement-{FACILITY}")).to_have_count(0)
    sign_out(page)

    # Roles are per registry: the data manager has none in gsae yet, so the form is not found.
    sign_in(page, server, MANAGER)
    new_case = server.at(f"/registries/{REGISTRY}/cases/new?facility={FACILITY}")
    response = page.goto(new_case)
    assert response is not None
    assert response.status == 404
    sign_out(page)

    # The facility's administrator sees every step and gives the data manager a gsae role.
    sign_in(page, server, ADMIN)
    nav(page, "Enrollment")
    expect(section.locator(".status")).to_have_text("active")
    expect(section).to_contain_text("committee (3 approve, 0 decline)")
    expect(section).to_contain_text("Application fee: waived")
    nav(page, "Users")
    page.locator(f"#role-{manager_id}-{REGISTRY}").select_option(value="data_manager")
    page.locator(f"#change-{manager_id}-{REGISTRY}").click()
    expect(page.locator("#flash")).to_have_text("Role changed")
    expect(page.locator(f"#role-{manager_id}-{REGISTRY}")).to_have_value("data_manager")
    sign_out(page)

    # The data manager submits the facility's first gsae case.
    sign_in(page, server, MANAGER)
    page.goto(new_case)
    _fill_gsae_case(page)
    page.locator("#submit-complete").click()
    expect(page.locator("#flash")).to_contain_text("Case saved")
    expect(page.locator("h1")).to_have_text("RIV-GS-001")
    page.goto(server.at(f"/registries/{REGISTRY}/cases"))
    expect(page.locator("#case-list")).to_contain_text("RIV-GS-001")
    expect(page.locator("#filter-guide-type")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/registries/{REGISTRY}/cases$"))
