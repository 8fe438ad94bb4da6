"""A clinician answers a case's user assessment from the e-mailed link, in a real browser.

The facility's data manager sends the section from the case page; the message arrives at a real
SMTP server on loopback; a clinician in a fresh browser context (no account, no cookie) opens
the link in the message, answers and sends; the case page shows the link answered and the
history names the sending; the facility's share of assessed cases, computed by the dashboard
service before and after, moves by that one case.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.support.assessment_links import (
    CLINICIAN,
    LINK,
    assessed_share,
    fill_section,
    unassessed_case,
)
from tests.support.browser import DATA_MANAGER, sign_in
from tests.support.records import records
from tests.support.smtp import SmtpSink, mailing

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.settings import Settings

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

REG, HOME = "3dp", "F0001"


@pytest.fixture
def settings(
    settings: Settings, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Return the test settings sending e-mail to the loopback SMTP server."""
    return mailing(settings, smtp_server, monkeypatch)


def test_a_clinician_answers_by_the_emailed_link(
    page: Page, browser: Browser, live_server: LiveServer, smtp_server: SmtpSink
) -> None:
    platform = live_server.platform
    # links in e-mails start with the public address: the live server's
    platform.settings = platform.settings.model_copy(update={"public_url": live_server.url})
    CaseService(platform, Actor.operator("test")).create_many(
        REG, [(HOME, r) for r in records(HOME, 12)]
    )
    case_id, _ = unassessed_case(platform, HOME)
    before = assessed_share(platform, HOME)
    assert before["n"] >= platform.settings.min_cases, before

    sign_in(page, live_server, DATA_MANAGER)
    page.goto(live_server.at(f"/registries/{REG}/cases/{case_id}"))
    page.locator("#assessment-email").fill(CLINICIAN)
    page.locator("#send-assessment-button").click()
    expect(page.locator("#assessment-sent")).to_be_visible()
    expect(page.locator('#assessment-links tr[data-status="sent"]')).to_have_count(1)

    [message] = smtp_server.wait_for(1)
    found = LINK.search(message.text())
    assert found is not None
    link = found.group(0)
    assert link.startswith(live_server.url)

    context = browser.new_context(locale="en-US")  # the clinician: another browser, no cookie
    try:
        clinician = context.new_page()
        clinician.goto(link)
        expect(clinician.locator("#assessment-form")).to_be_visible()
        assert fill_section(clinician, platform.registry(REG).current)
        clinician.locator("#send-assessment").click()
        expect(clinician.locator("#thanks")).to_be_visible()
        clinician.goto(link)  # single use
        expect(clinician.locator("h1")).to_have_text("This link is not valid")
        assert context.cookies() == []  # nothing was signed in
    finally:
        context.close()

    page.reload()
    expect(page.locator('#assessment-links tr[data-status="answered"]')).to_have_count(1)
    expect(page.locator("#history")).to_contain_text(re.compile(r"clinician by link [0-9a-f-]+"))

    after = assessed_share(platform, HOME)
    assert after["n"] == before["n"]
    assert after["x"] == before["x"] + 1
    assert after["p"] > before["p"]
