"""The benchmark dashboard in a real browser: tables, charts drawn by vega-embed, the PDF link."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.browser import DATA_MANAGER, OTHER_SITE, nav, sign_in
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

CASES = 15


def test_dashboard_draws_charts_and_keeps_facilities_apart(
    page: Page, live_server: LiveServer
) -> None:
    service = CaseService(live_server.platform, Actor.operator("test"))
    service.create_many("3dp", [("F0001", r) for r in records("F0001", CASES)])
    sign_in(page, live_server, DATA_MANAGER)
    nav(page, "Dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("benchmarks")
    expect(page.locator("p.help").first).to_contain_text(f"{CASES} reportable cases")
    parts = page.locator('#continuous tr[data-measure="parts_per_case"] td').nth(0)
    expect(parts).to_have_text(str(CASES))  # every case has a part count
    # vega-embed turns the embedded Vega-Lite specs into SVG charts
    placement = page.locator("#chart-placement")
    expect(placement).to_have_attribute("data-rendered", "true", timeout=20_000)
    expect(placement.locator("svg").first).to_be_visible()
    expect(page.locator("#chart-forest svg").first).to_be_visible()
    expect(page.locator("#report-pdf")).to_have_attribute("href", re.compile(r"report\.pdf"))
    # the object-type filter narrows every figure, and the page says so in the definition's words
    page.locator("#stratum-object_type").select_option("anatomic_model")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"object_type=anatomic_model"))
    expect(page.locator("#dashboard-scope")).to_contain_text("Object type: Anatomic model")
    expect(page.locator("#dashboard-scope")).not_to_contain_text("anatomic_model")

    # another facility's people cannot open F0001's dashboard by URL
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, live_server, OTHER_SITE)
    page.goto(live_server.at("/registries/3dp/dashboard?facility=F0001"))
    expect(page.locator("main")).to_contain_text("no such facility")
    expect(page.locator("main")).not_to_contain_text(live_server.facility_names["F0001"])


def test_dashboard_opens_with_headlines_and_details_are_one_click_away(
    page: Page, live_server: LiveServer
) -> None:
    service = CaseService(live_server.platform, Actor.operator("test"))
    service.create_many("3dp", [("F0001", r) for r in records("F0001", CASES)])
    sign_in(page, live_server, DATA_MANAGER)
    nav(page, "Dashboard")
    # the headline section is the first section of the page and the first thing below the title
    first = page.locator("main section").first
    expect(first).to_have_attribute("id", "headlines")
    expect(first.get_by_role("heading", level=2)).to_have_text("At a glance")
    headline_top = first.bounding_box()
    table_of_contents = page.get_by_role("navigation", name="Sections of the dashboard")
    contents_top = table_of_contents.bounding_box()
    assert headline_top is not None
    assert contents_top is not None
    assert headline_top["y"] < contents_top["y"]
    turnaround = first.locator('li[data-measure="turnaround"]')
    expect(turnaround).to_contain_text("Turnaround")
    # the detailed figures are closed; a headline's "details" link opens them at its row
    row = page.locator('#continuous tr[data-measure="turnaround"]')
    expect(row).to_be_hidden()
    turnaround.get_by_role("link", name="details").click()
    expect(row).to_be_visible()
    # the table of contents reaches every section
    table_of_contents.get_by_role("link", name="Data completeness").click()
    expect(page).to_have_url(re.compile(r"#completeness-section$"))
