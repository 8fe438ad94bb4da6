"""Date and list inputs in a real browser: what a person types is stored; the format shows.

Issue 14: the help said YYYY-MM-DD, Chromium's date picker showed mm/dd/yyyy, and typing
2026-11-02 as told gave 02/02/61102. Date inputs are now text inputs with a visible format.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.browser import DATA_MANAGER, nav, sign_in

from printreg.accounts.actor import Actor
from printreg.facilities.service import FacilityService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

LOCAL_ID = "BRW-DATE-001"


def test_typing_an_iso_date_keeps_it_and_every_date_input_shows_its_format(
    live_server: LiveServer, page: Page
) -> None:
    sign_in(page, live_server, DATA_MANAGER)
    nav(page, "New case")
    date = page.locator("#f-request_date")
    hint = page.locator("#fmt-f-request_date")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("YYYY-MM-DD")
    described = date.get_attribute("aria-describedby") or ""
    assert "fmt-f-request_date" in described.split()

    date.click()
    page.keyboard.type("2026-11-02")  # key by key, as the person in the issue did
    expect(date).to_have_value("2026-11-02")
    assert date.evaluate("e => e.validity.patternMismatch") is False
    date.fill("")
    page.keyboard.type("2026-1102")  # a dash missed: marked invalid at once, not scrambled
    expect(date).to_have_value("2026-1102")
    assert date.evaluate("e => e.validity.patternMismatch") is True
    date.fill("")
    page.keyboard.type("2026-11-02")

    icd = page.locator("#f-indication_icd10")  # the one separator, said beside the input
    expect(page.locator("#fmt-f-indication_icd10")).to_contain_text("separate them with ;")
    assert "fmt-f-indication_icd10" in (icd.get_attribute("aria-describedby") or "").split()
    page.locator("#f-local_case_id").fill(LOCAL_ID)
    page.locator("#save-draft").click()
    expect(page.locator("h1")).to_have_text(LOCAL_ID)
    expect(page.locator("main")).to_contain_text("2026-11-02")

    nav(page, "Cases")
    for field in ("#filter-from", "#filter-to"):
        expect(page.locator(field)).to_have_attribute("type", "text")
        hint_id = f"#fmt-{field[1:]}"
        expect(page.locator(hint_id)).to_be_visible()
        expect(page.locator(hint_id)).to_contain_text("YYYY-MM-DD")
    page.locator("#filter-from").click()
    page.keyboard.type("2026-11-01")
    page.locator("#case-filter button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"from=2026-11-01"))
    expect(page.locator("#filter-from")).to_have_value("2026-11-01")
    expect(page.locator("#case-list")).to_contain_text(LOCAL_ID)


def test_a_facility_that_declares_its_order_sees_it_in_the_hint_and_may_type_it(
    live_server: LiveServer, page: Page
) -> None:
    FacilityService(live_server.platform, Actor.operator("test")).set_date_order("F0001", "DMY")
    sign_in(page, live_server, DATA_MANAGER)
    nav(page, "New case")
    expect(page.locator("#fmt-f-request_date")).to_contain_text("YYYY-MM-DD or DD/MM/YYYY")
    page.locator("#f-request_date").click()
    page.keyboard.type("02/11/2026")
    assert page.locator("#f-request_date").evaluate("e => e.validity.patternMismatch") is False
    page.locator("#f-local_case_id").fill("BRW-DATE-002")
    page.locator("#save-draft").click()
    expect(page.locator("h1")).to_have_text("BRW-DATE-002")
    expect(page.locator("main")).to_contain_text("2026-11-02")  # 2 November, stored as ISO
