"""Every screen from 360 px up: at a phone's 390 px each role's main pages fit the screen (no
page wider than the viewport), the navigation folds into a keyboard-operable menu that lists
only pages the role can open, and without JavaScript the links wrap instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.support.browser import main_links, open_menu, sign_in
from tests.support.records import records
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    OTHER_SITE,
    REGISTRY_ADMIN,
    RESEARCHER,
    SPONSOR,
    VIEWER,
)

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

# Layout, focus and contrast do not depend on the database: these run on SQLite only (the
# case pages themselves run on both databases in the functional and other browser tests).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.browser import LiveServer

PHONE = {"width": 390, "height": 844}
SMALLEST = {"width": 360, "height": 740}
REG = "3dp"
COMMITTEE = "committee.1@demo.printreg.org"
CASES = 12  # enough for the dashboard's figures and charts
# Pages a role reaches from a page rather than from the menu: {role: [(name, path)]}; "{case}"
# is one of F0001's cases.
CASE_PAGES = [("case page", f"/registries/{REG}/cases/{{case}}")]
EXTRA: dict[str, list[tuple[str, str]]] = {
    DATA_MANAGER: [*CASE_PAGES, ("case form", f"/registries/{REG}/cases/{{case}}/edit")],
    FACILITY_ADMIN: CASE_PAGES,
    VIEWER: CASE_PAGES,
    REGISTRY_ADMIN: [
        *CASE_PAGES,
        ("a facility's home", f"/registries/{REG}/home?facility=F0001"),
        ("a facility's dashboard", f"/registries/{REG}/dashboard?facility=F0001"),
    ],
    RESEARCHER: [("request form", f"/registries/{REG}/requests/new")],
}
ROLES = [DATA_MANAGER, FACILITY_ADMIN, VIEWER, OTHER_SITE, REGISTRY_ADMIN, COMMITTEE, RESEARCHER,
         SPONSOR]  # fmt: skip
# What overflows, for the failure message: elements sticking out of the page, not out of a box
# that scrolls them.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    let scroller = false;
    for (let a = e.parentElement; a && !scroller; a = a.parentElement) {
      scroller = getComputedStyle(a).overflowX !== "visible";
    }
    const right = e.getBoundingClientRect().right;
    if (!scroller && right > width + 1) out.push(`${e.tagName.toLowerCase()}#${e.id} ${right}px`);
    if (out.length === 5) break;
  }
  return out;
}"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """Yield a page the size of a phone (390 × 844 CSS pixels)."""
    context = browser.new_context(viewport=PHONE, locale="en-US", has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _cases(server: LiveServer) -> str:
    """Store F0001's cases; return the id of one (the case page and form to visit)."""
    service = CaseService(server.platform, Actor.operator("test"))
    first, *rest = records("F0001", CASES)
    saved = service.create(REG, "F0001", first)
    service.create_many(REG, [("F0001", r) for r in rest])
    return str(saved.id)


def _width_problem(page: Page, name: str) -> str | None:
    """Return why the page is wider than the screen, or None when it fits."""
    page.wait_for_load_state("networkidle")
    document, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if document <= viewport:
        return None
    return f"{name} ({page.url}): {document} px wide on a {viewport} px screen, {page.evaluate(OVERFLOWING)}"


@pytest.mark.parametrize("email", ROLES, ids=lambda e: e.split("@")[0])
def test_every_main_page_fits_a_phone_and_every_menu_link_opens(
    phone: Page, live_server: LiveServer, email: str
) -> None:
    case = _cases(live_server)
    sign_in(phone, live_server, email)
    links = main_links(phone)
    assert ("Account", "/account") in links
    problems: list[str] = []
    for name, href in links:
        response = phone.goto(live_server.at(href))
        assert response is not None
        # navigation shows only what the role can open: no link ends on a refusal
        assert response.status == 200, f"{email}: the menu's {name} answers {response.status}"
        assert phone.locator("#no-access").count() == 0, f"{email}: the menu's {name} has no access"
        problems.append(_width_problem(phone, name) or "")
    for name, path in EXTRA.get(email, []):
        response = phone.goto(live_server.at(path.format(case=case)))
        assert response is not None
        assert response.status == 200, f"{email}: {name} answers {response.status}"
        problems.append(_width_problem(phone, name) or "")
    assert [p for p in problems if p] == []


def test_pages_without_sign_in_fit_a_phone(phone: Page, live_server: LiveServer) -> None:
    _cases(live_server)
    problems = []
    for name, path in [("sign-in", "/login"), ("public report", f"/public/{REG}")]:
        phone.goto(live_server.at(path))
        problems.append(_width_problem(phone, name))
    assert [p for p in problems if p] == []


def test_committee_members_are_not_offered_cases(phone: Page, live_server: LiveServer) -> None:
    sign_in(phone, live_server, COMMITTEE)
    labels = [name for name, _ in main_links(phone)]
    assert "Cases" not in labels
    assert {"Home", "Requests", "Committee", "Account"} <= set(labels)
    # their home page says what the role is for and links the pages it opens, not "no access"
    home = phone.locator("#role-home")
    expect(home.get_by_role("link", name="Committee")).to_be_visible()
    expect(home.get_by_role("link", name="Requests")).to_be_visible()


def test_the_menu_is_a_keyboard_operable_button_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    sign_in(phone, live_server, DATA_MANAGER)
    toggle = phone.locator("#menu-toggle")
    menu = phone.locator("#main-nav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    # skip link, brand, then the menu button
    for _ in range(3):
        phone.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    phone.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Home")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    # Space opens it too, and a link of the open menu is followed
    phone.keyboard.press("Space")
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="Cases").click()
    expect(phone.locator("#case-list")).to_be_visible()
    assert _width_problem(phone, "case list") is None


def test_on_a_wide_screen_the_links_show_without_a_menu(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, DATA_MANAGER)
    expect(page.locator("#menu-toggle")).to_be_hidden()
    expect(page.locator("#main-nav").get_by_role("link", name="Dashboard")).to_be_visible()


def test_without_javascript_the_links_wrap_on_the_smallest_screen(
    browser: Browser, live_server: LiveServer
) -> None:
    case = _cases(live_server)
    context = browser.new_context(viewport=SMALLEST, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, DATA_MANAGER)
        expect(page.locator("#menu-toggle")).to_be_hidden()
        for name, _ in main_links(page):
            expect(
                page.locator("#main-nav").get_by_role("link", name=name, exact=True)
            ).to_be_visible()
        problems = [_width_problem(page, "home")]
        for name, path in [
            ("case list", f"/registries/{REG}/cases"),
            ("case form", f"/registries/{REG}/cases/{case}/edit"),
            ("dashboard", f"/registries/{REG}/dashboard?facility=F0001"),
        ]:
            page.goto(live_server.at(path))
            problems.append(_width_problem(page, name))
        assert [p for p in problems if p] == []
    finally:
        context.close()


def test_every_page_fits_the_smallest_screen(browser: Browser, live_server: LiveServer) -> None:
    case = _cases(live_server)
    context = browser.new_context(viewport=SMALLEST)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, DATA_MANAGER)
        open_menu(page)
        problems = []
        for name, href in [*main_links(page), ("case page", f"/registries/{REG}/cases/{case}")]:
            page.goto(live_server.at(href))
            problems.append(_width_problem(page, name))
        assert [p for p in problems if p] == []
    finally:
        context.close()
