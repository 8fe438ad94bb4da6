"""A registry's lifecycle in a real browser: its administrator takes a newly published draft
registry to pilot and then to active, each move with a reason, each audited; a closed registry
would be final, so active offers only 'closed'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.support.browser import sign_in

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.dictionary import shipped_definition_paths
from printreg.domain.facility import RegistryRoleName
from printreg.registries.service import RegistryService
from printreg.storage.audit_log import AuditEntry

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

NEW = "gsl"
ADMIN = "gsl.admin@example.org"


def _draft(server: LiveServer) -> None:
    """Publish a copy of the gsae definition as the draft registry NEW, with an administrator."""
    operator = Actor.operator("test")
    path = next(p for p in shipped_definition_paths() if p.parent.name == "gsae")
    text = path.read_text("utf-8").replace("  code: gsae", f"  code: {NEW}", 1)
    assert RegistryService(server.platform, operator).publish(NEW, text, dry_run=False).published
    AccountService(server.platform).create_user(
        operator, ADMIN, "GSL admin", server.password,
        registry_roles={NEW: RegistryRoleName.REGISTRY_ADMIN},
    )  # fmt: skip


def _move(page: Page, state: str, reason: str) -> None:
    page.locator("#lifecycle-target").select_option(value=state)
    page.locator("#lifecycle-reason").fill(reason)
    page.locator("#lifecycle-move").click()
    expect(page.locator("#flash")).to_have_text(f"Registry {NEW} is now {state}")


def test_a_draft_registry_goes_to_pilot_then_active(page: Page, live_server: LiveServer) -> None:
    server = live_server
    _draft(server)
    sign_in(page, server, ADMIN)
    page.goto(server.at(f"/registries/{NEW}/committee"))
    expect(page.locator("#lifecycle-state")).to_contain_text("is draft")
    options = page.locator("#lifecycle-target option")
    expect(options).to_have_text(["— choose —", "closed (final)", "pilot"])  # none preselected

    _move(page, "pilot", "Six pilot sites from April")
    expect(page.locator("#lifecycle-state")).to_contain_text("is pilot")
    _move(page, "active", "Pilot report accepted by the committee")
    expect(page.locator("#lifecycle-state")).to_contain_text("is active")
    expect(options).to_have_text(["— choose —", "closed (final)"])

    with server.platform.sessions() as session:
        moves = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "registry", AuditEntry.action == "lifecycle")
            .where(AuditEntry.entity_id == NEW)
            .order_by(AuditEntry.id)
        ).all()
    assert [(m.before, m.after) for m in moves] == [
        ({"lifecycle": "draft"}, {"lifecycle": "pilot", "reason": "Six pilot sites from April"}),
        (
            {"lifecycle": "pilot"},
            {"lifecycle": "active", "reason": "Pilot report accepted by the committee"},
        ),
    ]
    assert moves[0].actor == ADMIN
