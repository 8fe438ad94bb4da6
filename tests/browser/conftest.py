"""Browser-test fixtures: a live server on a seeded SQLite database, Debian's Chromium.

Playwright cannot download its own browsers here, so the tests drive the system Chromium
(``/usr/bin/chromium``, installed by ``scripts/ensure-system-deps.sh chromium``). Without it the
browser tests SKIP, and the run ends with a loud summary line saying so.

The browser tests run on SQLite and on PostgreSQL, like every database test.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from tests.support.browser import LiveServer
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000  # per action / expectation: a local page that takes longer is a failure
REGISTRY = "3dp"
FACILITIES = ("F0001", "F0002")

_browser_problem = pytest.StashKey[str]()
_call_report = pytest.StashKey[pytest.TestReport]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    problem = config.stash.get(_browser_problem, None)
    if problem:
        terminalreporter.write_sep("!", "BROWSER TESTS WERE SKIPPED", red=True, bold=True)
        terminalreporter.write_line(problem, red=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the test's own report, so that the ``page`` fixture knows whether it failed."""
    report = yield
    if call.when == "call":
        item.stash[_call_report] = report
    return report


@pytest.fixture(scope="session")
def playwright_driver(request: pytest.FixtureRequest) -> Iterator[Playwright]:
    """Yield the Playwright driver, or skip (loudly) when the system Chromium is missing."""
    if not CHROMIUM.is_file():
        problem = (
            f"{CHROMIUM} is missing, so the browser tests were skipped. "
            "Install it with: bash scripts/ensure-system-deps.sh chromium"
        )
        request.config.stash[_browser_problem] = problem
        pytest.skip(problem)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Yield a headless system Chromium for the whole run."""
    instance = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield instance
    instance.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Yield a fresh page (own cookies) at 1366×768; on failure save a screenshot and the HTML."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    current = context.new_page()
    yield current
    report = request.node.stash.get(_call_report, None)
    if report is not None and report.failed:  # pragma: no cover - only on failure
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        current.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(current.content(), encoding="utf-8")
    context.close()


def _wait_until_healthy(url: str, thread: threading.Thread, deadline_s: float = 10.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not thread.is_alive():
            raise RuntimeError("the test server stopped while starting (see the log above)")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1) as response:  # noqa: S310 - our loopback server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the test server at {url} did not answer /api/v1/health in {deadline_s} s")


@pytest.fixture
def live_server(seeded: Platform, settings: Settings, operator: Actor) -> Iterator[LiveServer]:
    """Yield printreg served on a free loopback port over a freshly seeded database.

    The seed: facilities F0001 and F0002 with their printers, the demo accounts (password
    DEMO_PASSWORD) and one F0002 case, which F0001's people must never see.
    """
    ensure_demo_accounts(seeded, REGISTRY, FACILITIES)
    other = records("F0002", 1)[0]
    saved = CaseService(seeded, operator).create(REGISTRY, "F0002", other)
    facilities = FacilityService(seeded, operator)
    names = {code: facilities.get(code).name for code in FACILITIES}

    # Bind the socket ourselves: the port is ours before uvicorn starts (no free-port race).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, seeded),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="printreg-live-server", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, thread)
        yield LiveServer(url, seeded, DEMO_PASSWORD, names, saved.id, saved.local_case_id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
