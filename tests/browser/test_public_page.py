"""The public page in a real phone-sized browser: labels, not codes, and no sideways page scroll."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

CASES = 24


def test_the_public_page_fits_a_390_px_screen_and_shows_labels(
    page: Page, live_server: LiveServer
) -> None:
    service = CaseService(live_server.platform, Actor.operator("test"))
    for code in ("F0001", "F0002"):
        service.create_many("3dp", [(code, r) for r in records(code, CASES)])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.at("/public/3dp"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("public figures")
    table = page.locator("#cases-by-stratum")
    expect(table).to_be_visible()
    expect(table.locator("thead th").nth(1)).not_to_contain_text("_")  # a label, not a code
    expect(page.locator("main")).to_contain_text("Anatomic model")
    expect(page.locator("table.mix th").first).not_to_have_text("anatomic_model")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at 390 px"
