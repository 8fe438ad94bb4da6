"""Browser-test helpers: the live server's description and the steps every browser test takes.

The fixtures that start the server and the browser stay in tests/browser/conftest.py.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from printreg.platform import Platform
from tests.support.web import DATA_MANAGER, OTHER_SITE

__all__ = [
    "DATA_MANAGER",
    "OTHER_SITE",
    "LiveServer",
    "main_links",
    "nav",
    "open_menu",
    "set_value",
    "sign_in",
    "sign_out",
]


@dataclass(frozen=True)
class LiveServer:
    """A running printreg on a seeded database, and what the seed holds."""

    url: str
    platform: Platform
    password: str
    facility_names: dict[str, str]
    other_case_id: uuid.UUID  # a case of F0002, for the isolation checks
    other_case_local_id: str

    def at(self, path: str) -> str:
        """Return the absolute URL of a path on the server."""
        return f"{self.url}{path}"


def sign_in(page: Page, server: LiveServer, email: str) -> None:
    """Sign in through the form and wait to leave the sign-in page."""
    page.goto(server.at("/login"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(server.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def sign_out(page: Page) -> None:
    """Sign out with the header button and wait for the sign-in page."""
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login"))


def open_menu(page: Page) -> None:
    """Open the main navigation's menu when the screen is narrow enough to fold it."""
    toggle = page.locator("#menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation (through the menu on a narrow screen)."""
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def main_links(page: Page) -> list[tuple[str, str]]:
    """Return the main navigation's links as (text, href), in their order."""
    found: list[list[str]] = page.eval_on_selector_all(
        "#main-nav a", "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])"
    )
    return [(text, href) for text, href in found]


def set_value(page: Page, selector: str, value: str) -> None:
    """Set a field whatever its control: select by value, tick a box, or type the text."""
    field = page.locator(selector)
    tag = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if tag.startswith("select"):
        field.select_option(value=value)
    elif tag in {"input:checkbox", "input:radio"}:
        field.check()
    else:
        field.fill(value)
