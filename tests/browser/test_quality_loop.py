"""The whole data-quality loop in a real browser.

Twenty cases of a facility have their procedure long past and no user assessment, so the
"assessment missing" rule finds them. The registry coordinator raises a query on each of them
from the rule's findings in one action; the facility's data manager answers two in the case form,
one by filling in the assessment (a change of the queried value) and one by confirming it with a
reason, then sends the assessment of a third case to the clinician; the clinician, in a fresh
browser context, opens the link of the received e-mail and answers. The dashboard's assessed
share, computed by its service before and after, moves by exactly that one case.
"""

from __future__ import annotations

import datetime as dt
import uuid
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
from tests.support.browser import DATA_MANAGER, sign_in, sign_out
from tests.support.records import records
from tests.support.smtp import mailing
from tests.support.web import HOME, REG, REGISTRY_ADMIN

from printreg.accounts.actor import Actor
from printreg.platform import Platform
from printreg.quality.rules import MissingAssessmentRule
from printreg.quality.service import QualityService
from printreg.queries.service import QueryService
from printreg.settings import Settings

if TYPE_CHECKING:
    from tests.support.browser import LiveServer
    from tests.support.smtp import SmtpSink

RULE = "assessment_missing"
QUERIED = 20
# the loop, end to end on each database (other browser tests run on SQLite only)
pytestmark = pytest.mark.both_databases


@pytest.fixture
def settings(
    settings: Settings, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Return the test settings sending e-mail to the loopback SMTP server."""
    return mailing(settings, smtp_server, monkeypatch)


def _overdue(platform: Platform) -> list[int]:
    """Return the positions (from 1) of the first QUERIED synthetic records of the facility
    whose procedure is past the rule's days: stored without assessment, the rule finds them."""
    spec = QualityService(platform, Actor.operator("test")).spec(REG)
    rule = next(r for r in spec.rules if r.id == RULE)
    assert isinstance(rule, MissingAssessmentRule)
    due = (platform.clock() - dt.timedelta(days=rule.days)).date().isoformat()
    dates = [r.get(rule.date) for r in records(HOME, 3 * QUERIED)]
    overdue = [n for n, day in enumerate(dates, start=1) if day is not None and day < due]
    assert len(overdue) >= QUERIED
    return overdue[:QUERIED]


def _statuses(server: LiveServer, ids: list[str]) -> dict[str, str]:
    """Return the status of each case's query, by case id, from the queries service."""
    queries = QueryService(server.platform, Actor.operator("test")).list(REG)
    return {str(q.case_id): q.status for q in queries if str(q.case_id) in ids}


def _raise_on_findings(page: Page, server: LiveServer, ids: list[str]) -> None:
    """As the coordinator, raise a query on every finding of the rule in one action."""
    sign_in(page, server, REGISTRY_ADMIN)
    page.goto(server.at(f"/registries/{REG}/quality/facilities/{HOME}"))
    findings = page.locator(f"#findings-{RULE}")
    boxes = findings.locator('input[name="case_ids"]')
    expect(boxes).to_have_count(QUERIED)
    assert sorted(boxes.evaluate_all("els => els.map(e => e.value)")) == sorted(ids)
    findings.locator(f"#text-{RULE}").fill("The assessment is missing: please add it")
    findings.locator(f"#raise-button-{RULE}").click()
    expect(page.locator("#flash")).to_contain_text("The queries were raised")
    sign_out(page)


def _answer_two(page: Page, server: LiveServer, fixed: str, confirmed: str) -> None:
    """As the data manager, answer one query by filling in the assessment in the case form
    and confirm the other with a reason beside the field."""
    page.goto(server.at(f"/registries/{REG}/cases/{fixed}/edit"))
    assert fill_section(page, server.platform.registry(REG).current)
    page.locator("#save-case").click()
    expect(page.locator("#flash")).to_contain_text("Case saved")

    page.goto(server.at(f"/registries/{REG}/cases/{confirmed}/edit"))
    box = page.locator(".query-box[data-query-status]")
    expect(box).to_have_count(1)
    box.locator("textarea").fill("The surgeon has left: the assessment cannot be had")
    box.get_by_role("button", name="Confirm the value").click()
    expect(box).to_have_attribute("data-query-status", "answered")


def _clinician_answers(browser: Browser, server: LiveServer, link: str) -> None:
    """As the clinician, in another browser without any cookie, answer by the link."""
    context = browser.new_context(locale="en-US")
    try:
        clinician = context.new_page()
        clinician.goto(link)
        expect(clinician.locator("#assessment-form")).to_be_visible()
        assert fill_section(clinician, server.platform.registry(REG).current)
        clinician.locator("#send-assessment").click()
        expect(clinician.locator("#thanks")).to_be_visible()
        assert context.cookies() == []
    finally:
        context.close()


def test_the_data_quality_loop(
    page: Page, browser: Browser, live_server: LiveServer, smtp_server: SmtpSink
) -> None:
    server = live_server
    platform = server.platform
    # links in e-mails start with the public address: the live server's
    platform.settings = platform.settings.model_copy(update={"public_url": server.url})
    ids = [unassessed_case(platform, HOME, n)[0] for n in _overdue(platform)]
    QualityService(platform, Actor.operator("test")).evaluate(REG)
    start = assessed_share(platform, HOME)
    assert start["n"] >= platform.settings.min_cases, start

    _raise_on_findings(page, server, ids)
    assert _statuses(server, ids) == dict.fromkeys(ids, "open")

    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"/registries/{REG}/home"))
    expect(page.locator("#open-query-count")).to_have_attribute("data-open-queries", str(QUERIED))
    fixed, confirmed, linked = ids[:3]
    _answer_two(page, server, fixed, confirmed)
    statuses = _statuses(server, ids)
    assert statuses[fixed] == statuses[confirmed] == "answered"
    assert list(statuses.values()).count("open") == QUERIED - 2
    queries = QueryService(platform, Actor.operator("test"))
    history = {case: [e.action for q in queries.for_case(REG, uuid.UUID(case)) for e in q.history]
               for case in (fixed, confirmed)}  # fmt: skip
    assert history == {fixed: ["raise", "change"], confirmed: ["raise", "confirm"]}
    assert assessed_share(platform, HOME)["x"] == start["x"] + 1  # the fix filled one in

    # the data manager sends the assessment of a third case to the clinician who used the print
    before = assessed_share(platform, HOME)
    page.goto(server.at(f"/registries/{REG}/cases/{linked}"))
    page.locator("#assessment-email").fill(CLINICIAN)
    page.locator("#send-assessment-button").click()
    expect(page.locator("#assessment-sent")).to_be_visible()
    # the queries raised above were e-mailed to the facility's staff; the clinician gets one
    [message] = smtp_server.wait_to(CLINICIAN)
    assert message.recipients == [CLINICIAN]
    found = LINK.search(message.text())
    assert found is not None
    assert found.group(0).startswith(server.url)
    _clinician_answers(browser, server, found.group(0))

    after = assessed_share(platform, HOME)
    assert after["n"] == before["n"]
    assert after["x"] == before["x"] + 1
    assert after["p"] > before["p"]
