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
    # the object-type filter narrows every figure
    page.locator("#stratum-object_type").select_option("anatomic_model")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"object_type=anatomic_model"))
    expect(page.locator("p.help").first).to_contain_text("object_type = anatomic_model")

    # another facility's people cannot open F0001's dashboard by URL
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, live_server, OTHER_SITE)
    page.goto(live_server.at("/registries/3dp/dashboard?facility=F0001"))
    expect(page.locator("main")).to_contain_text("no such facility")
    expect(page.locator("main")).not_to_contain_text(live_server.facility_names["F0001"])
