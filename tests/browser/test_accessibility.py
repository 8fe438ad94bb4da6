"""Accessibility in a real browser: axe-core finds no serious or critical violation on the main
pages of every role, every tab stop of the case form shows its focus above the sticky
Save/Submit bar, and the 3D model view is reached and worked by keyboard without taking the
mouse wheel from the page until it is focused."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.test_mesh_viewer import _case, _upload_brain
from tests.support.axe import serious_violations
from tests.support.browser import open_menu, sign_in, sign_out
from tests.support.records import records
from tests.support.web import DATA_MANAGER, FACILITY_ADMIN, REGISTRY_ADMIN, RESEARCHER

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

# Layout, focus and contrast do not depend on the database: these run on SQLite only (the
# case pages themselves run on both databases in the functional and other browser tests).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.browser import LiveServer

REG = "3dp"
COMMITTEE = "committee.1@demo.printreg.org"
PHONE = {"width": 390, "height": 844}
CASES = 12
MAX_TAB_STOPS = 600  # the guide case form has about 160; a loop that never ends is a failure
# The pages checked, by who opens them ("{case}": a F0001 case with a print and its model).
PAGES: dict[str | None, list[str]] = {
    None: ["/login", f"/public/{REG}"],
    DATA_MANAGER: [
        f"/registries/{REG}/home?facility=F0001",
        f"/registries/{REG}/cases",
        f"/registries/{REG}/cases/new?facility=F0001",
        f"/registries/{REG}/cases/{{case}}",
        f"/registries/{REG}/cases/{{case}}/edit",
        f"/registries/{REG}/import?facility=F0001",
        f"/registries/{REG}/dashboard?facility=F0001",
        "/facilities/F0001/printers",
        "/facilities/F0001/enrollment",
        "/account",
        "/notifications",
        "/notifications/preferences",
    ],
    FACILITY_ADMIN: ["/facilities/F0001/users"],
    REGISTRY_ADMIN: [
        f"/registries/{REG}/home",
        f"/registries/{REG}/analytics",
        f"/registries/{REG}/requests",
        f"/registries/{REG}/committee",
    ],
    RESEARCHER: [f"/registries/{REG}/requests/new"],
    COMMITTEE: [f"/registries/{REG}/home"],
}
# After each Tab (and, under a sticky bar, two frames for the page's own scrolling): the focused
# element, where it is, its focus ring, and the sticky bar's top.
FOCUSED = """async () => {
  const bar = document.querySelector(".form-actions");
  if (bar) await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const e = document.activeElement;
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  return {
    name: `${e.tagName.toLowerCase()}#${e.id || e.name || ""}`,
    top: r.top, bottom: r.bottom, inBar: Boolean(bar && bar.contains(e)),
    barTop: bar ? bar.getBoundingClientRect().top : window.innerHeight,
    ring: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none",
    body: e === document.body,
  };
}"""
PICTURE = "c => c.toDataURL()"


def _store_cases(server: LiveServer) -> None:
    CaseService(server.platform, Actor.operator("test")).create_many(
        REG, [("F0001", r) for r in records("F0001", CASES)]
    )


def _settle(page: Page) -> None:
    """Wait for the page's scripts: charts drawn, the 3D view loaded."""
    page.wait_for_load_state("networkidle")
    for chart in page.locator(".chart").all():
        expect(chart).to_have_attribute("data-rendered", "true", timeout=20_000)
    for viewer in page.locator(".mesh-viewer[data-model]").all():
        expect(viewer).not_to_have_attribute("data-viewer", "loading", timeout=20_000)


def test_the_main_pages_have_no_serious_axe_violation(page: Page, live_server: LiveServer) -> None:
    _store_cases(live_server)
    case = _case(live_server)
    found: list[str] = []
    for email, paths in PAGES.items():
        if email is not None:
            sign_in(page, live_server, email)
        if email == DATA_MANAGER:
            _upload_brain(page, live_server, case)  # the case page then holds the 3D view
        for path in paths:
            page.goto(live_server.at(path.format(case=case)))
            _settle(page)
            found.extend(f"{path} ({email}): {v}" for v in serious_violations(page))
        if email is not None:
            sign_out(page)
    assert not found, "\n".join(found)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """Yield a page the size of a phone (390 × 844 CSS pixels)."""
    context = browser.new_context(viewport=PHONE, locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_the_phone_layout_with_its_menu_open_has_no_serious_axe_violation(
    phone: Page, live_server: LiveServer
) -> None:
    _store_cases(live_server)
    sign_in(phone, live_server, DATA_MANAGER)
    found: list[str] = []
    for path in [f"/registries/{REG}/dashboard?facility=F0001", f"/registries/{REG}/cases/new",
                 f"/registries/{REG}/cases"]:  # fmt: skip
        phone.goto(live_server.at(path))
        _settle(phone)
        open_menu(phone)
        expect(phone.locator("#main-nav")).to_be_visible()
        found.extend(f"{path}: {v}" for v in serious_violations(phone))
    assert not found, "\n".join(found)


def _tab_through(page: Page, at_least: int = 50) -> list[str]:
    """Tab from the top of the page to its end; return each stop that is hidden under the
    sticky bar, off screen, or without a visible focus ring."""
    page.locator("body").focus()
    problems: list[str] = []
    seen = 0
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        at = page.evaluate(FOCUSED)
        if at["body"]:
            break
        seen += 1
        name = at["name"]
        if not at["ring"]:
            problems.append(f"{name}: no visible focus ring")
        if at["inBar"]:
            continue
        top, bottom, limit = at["top"], at["bottom"], at["barTop"]
        if bottom - top <= limit:  # it fits between the top of the screen and the bar: all of it
            if bottom > limit + 0.5:
                problems.append(f"{name}: under the sticky bar ({bottom:.0f} > {limit:.0f})")
            if top < -0.5:
                problems.append(f"{name}: above the screen ({top:.0f})")
        elif top >= limit or bottom <= 0:  # taller than that (a long table): part of it
            problems.append(f"{name}: out of sight ({top:.0f}..{bottom:.0f})")
    else:
        pytest.fail(f"Tab never left the page after {MAX_TAB_STOPS} stops")
    assert seen >= at_least, f"only {seen} tab stops: the page is not what it should be"
    return problems


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_tab_stop_of_the_case_form_shows_its_focus_above_the_sticky_bar(
    browser: Browser, live_server: LiveServer, size: str
) -> None:
    saved = CaseService(live_server.platform, Actor.operator("test")).create(
        REG, "F0001", records("F0001", 1)[0]
    )
    viewport = PHONE if size == "phone" else {"width": 1366, "height": 768}
    context = browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, DATA_MANAGER)
        page.goto(live_server.at(f"/registries/{REG}/cases/{saved.id}/edit"))
        expect(page.locator(".form-actions")).to_be_visible()
        problems = _tab_through(page)
        assert not problems, "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_control_of_the_main_pages_is_reached_by_tab_with_a_visible_focus_ring(
    browser: Browser, live_server: LiveServer, size: str
) -> None:
    _store_cases(live_server)
    case = _case(live_server)
    viewport = PHONE if size == "phone" else {"width": 1366, "height": 768}
    context = browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, DATA_MANAGER)
        _upload_brain(page, live_server, case)
        problems: list[str] = []
        # the case form's own test below walks its ~160 stops, at both sizes
        for path in [p for p in PAGES[DATA_MANAGER] if "/new" not in p and "/edit" not in p]:
            page.goto(live_server.at(path.format(case=case)))
            _settle(page)
            open_menu(page)  # on a phone: the menu's links are tab stops too
            problems.extend(f"{path}: {p}" for p in _tab_through(page, at_least=5))
        # the 3D view is one of the case page's tab stops
        page.goto(live_server.at(f"/registries/{REG}/cases/{case}"))
        _settle(page)
        page.locator("body").focus()
        reached = False
        for _ in range(MAX_TAB_STOPS):
            page.keyboard.press("Tab")
            at = page.evaluate(
                "[document.activeElement.id, document.activeElement === document.body]"
            )
            reached = at[0] == "print-1-viewer-canvas"
            if reached or at[1]:
                break
        assert reached, "Tab never reached the 3D view"
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_3d_view_is_worked_by_keyboard_and_leaves_the_wheel_to_the_page(
    page: Page, live_server: LiveServer
) -> None:
    case = _case(live_server)
    sign_in(page, live_server, DATA_MANAGER)
    _upload_brain(page, live_server, case)
    viewer = page.locator("#print-1-viewer")
    expect(viewer).to_have_attribute("data-viewer", "ready", timeout=20_000)
    canvas = viewer.locator("canvas")
    expect(canvas).to_have_attribute("tabindex", "0")
    expect(canvas).to_have_accessible_name(re.compile(r"^Model of print 1\. Arrow keys turn"))

    # Unfocused, the wheel over the view scrolls the page and leaves the model as it is.
    page.evaluate("window.scrollTo(0, 0)")
    canvas.scroll_into_view_if_needed()
    start = canvas.evaluate(PICTURE)
    scrolled = page.evaluate("window.scrollY")
    canvas.hover()
    page.mouse.wheel(0, 200)
    page.wait_for_function("y => window.scrollY > y", arg=scrolled)
    assert canvas.evaluate(PICTURE) == start

    # Tab reaches it, with a visible focus ring.
    page.locator("#print-1-thumbnail").evaluate("e => { e.tabIndex = -1; e.focus(); }")
    for _ in range(20):
        page.keyboard.press("Tab")
        if canvas.evaluate("c => c === document.activeElement"):
            break
    expect(canvas).to_be_focused()
    assert canvas.evaluate("c => getComputedStyle(c).outlineStyle") != "none"

    # Arrow keys turn it, + zooms, 0 shows it as at first; the page does not scroll meanwhile.
    page.evaluate("window.scrollTo(0, 0)")
    canvas.scroll_into_view_if_needed()
    held = page.evaluate("window.scrollY")
    for key in ("ArrowLeft", "ArrowLeft", "ArrowUp"):
        page.keyboard.press(key)
    turned = canvas.evaluate(PICTURE)
    assert turned != start
    page.keyboard.press("+")
    assert canvas.evaluate(PICTURE) != turned
    page.keyboard.press("0")
    assert canvas.evaluate(PICTURE) == start
    assert page.evaluate("window.scrollY") == held

    # Focused, the wheel zooms the model instead of scrolling the page.
    canvas.hover()
    page.mouse.wheel(0, -200)
    page.wait_for_timeout(300)  # the page would have scrolled by now
    expect(canvas).to_be_focused()
    assert page.evaluate("window.scrollY") == held
    assert canvas.evaluate(PICTURE) != start
