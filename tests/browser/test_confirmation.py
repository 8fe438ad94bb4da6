"""An action that cannot be undone asks first, in a real browser and with JavaScript off: a
facility administrator withdraws their facility from a registry only after a page that says
rejoining takes a new application and a committee vote, and only with a reason, which the
audit log keeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Browser, expect
from sqlalchemy import select
from tests.support.browser import sign_in

from printreg.accounts.actor import Actor
from printreg.governance.enrollment import EnrollmentService
from printreg.governance.enrollment_decisions import SUBJECT
from printreg.storage.audit_log import AuditEntry

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

ADMIN = "facility.admin@demo.printreg.org"
HOME, REGISTRY = "F0001", "3dp"


def _status(server: LiveServer) -> str | None:
    views = EnrollmentService(server.platform, Actor.operator()).of_facility(HOME)
    return next(v.status for v in views if v.registry == REGISTRY)


def test_withdrawing_asks_first_and_needs_a_reason_without_javascript(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1366,
                                                                        "height": 768})  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, server, ADMIN)
        page.goto(server.at(f"/facilities/{HOME}/enrollment"))
        withdraw = page.locator(f"#withdraw-{REGISTRY}")
        expect(withdraw).to_have_class("secondary")  # never the primary action
        withdraw.click()
        expect(page.locator("#confirm-title")).to_have_text(f"Withdraw {HOME} from registry 3dp?")
        expect(page.locator("#consequence")).to_contain_text(
            "rejoining takes a new application and a committee vote"
        )
        assert _status(server) == "active"  # the first click only asked

        # the reason is required: the browser will not send the form without one
        page.locator("#confirm-submit").click()
        expect(page.locator("#confirm-title")).to_be_visible()
        assert page.locator("#confirm-reason").evaluate("e => e.validity.valueMissing")
        assert _status(server) == "active"

        page.locator("#confirm-reason").fill("The lab closes at the end of the year")
        page.locator("#confirm-submit").click()
        expect(page.locator("#flash")).to_have_text("Withdrawn")
        expect(page.locator(f"#enrollment-{REGISTRY} .status")).to_have_text("withdrawn")
        assert _status(server) == "withdrawn"
    finally:
        context.close()
    with server.platform.sessions() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == SUBJECT, AuditEntry.action == "withdraw")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None
    assert entry.actor == ADMIN
    assert entry.after is not None
    assert entry.after["reason"] == "The lab closes at the end of the year"
