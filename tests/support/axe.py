"""Accessibility checks in the browser tests: axe-core (vendored in tests/support/axe/) run on
the page as it stands.

``serious_violations(page)`` returns the rules broken at the impact "serious" or "critical",
each with the first offending elements, ready for an assertion message.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).parent / "axe" / "axe.min.js"
BLOCKING = ("serious", "critical")
# WCAG 2.1 A and AA, and the best practices (landmarks, headings, scrollable regions).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

_RUN = """async ([tags, impacts]) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations
    .filter(v => impacts.includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
              v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ") +
              (v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ""));
}"""


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[str]:
    """Return one line per axe rule that the page breaks at one of ``impacts``; [] when none.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern: the app needs no exception for it.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_source())
    found: list[str] = page.evaluate(_RUN, [TAGS, list(impacts)])
    return found


def serious_violations(page: Page) -> list[str]:
    """Return the serious and critical axe violations of the page; [] when there are none."""
    return violations(page, BLOCKING)
