"""The Content-Security-Policy in a real browser: the main pages work with it and raise no
violation (charts drawn without eval, the 3D viewer's import map allowed by its hash, htmx and
vega-embed without injected styles, Swagger UI served from /static)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import ConsoleMessage, Page, expect
from tests.browser.test_case_entry import DATA_MANAGER, sign_in
from tests.browser.test_mesh_viewer import _case, _upload_brain
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.demo.service import ensure_demo_accounts

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile
                    + ":" + event.lineNumber);
});
"""
REGISTRY_ADMIN = "registry.admin@demo.printreg.org"


def _watch(page: Page) -> list[str]:
    """Record CSP violations and console errors of every page the browser opens."""
    errors: list[str] = []
    page.add_init_script(LISTEN)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    return errors


def _violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__csp || []")
    return found


def test_the_main_pages_raise_no_csp_violation(page: Page, live_server: LiveServer) -> None:
    ensure_demo_accounts(live_server.platform, "3dp", ("F0001", "F0002"))
    CaseService(live_server.platform, Actor.operator("test")).create_many(
        "3dp", [("F0001", r) for r in records("F0001", 15)]
    )
    errors = _watch(page)
    seen: list[str] = []

    def visit(path: str) -> None:
        page.goto(live_server.at(path))
        page.wait_for_load_state("networkidle")
        seen.extend(f"{path}: {v}" for v in _violations(page))

    visit("/login")
    sign_in(page, live_server, DATA_MANAGER)
    case_id = _case(live_server)
    _upload_brain(page, live_server, case_id)  # the case page with the 3D viewer
    expect(page.locator(".mesh-viewer").first).to_have_attribute(
        "data-viewer", "ready", timeout=20_000
    )
    seen.extend(f"case page: {v}" for v in _violations(page))
    visit("/registries/3dp/cases")
    visit("/registries/3dp/cases/new?facility=F0001")
    visit("/registries/3dp/dashboard?facility=F0001")
    expect(page.locator("#chart-placement")).to_have_attribute(
        "data-rendered", "true", timeout=20_000
    )
    visit("/public/3dp")
    visit("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible(timeout=20_000)
    seen.extend(f"/api/docs: {v}" for v in _violations(page))
    assert seen == []
    assert [e for e in errors if "Content Security Policy" in e or "page error" in e] == []
