"""The main navigation: the pages a signed-in person can open, decided in this one place.

Every link asks the Actor (registry-wide rights) or the person's place (their roles at the
current facility) the same question that the page behind it asks, so that no link leads to
"no access". ``layout.html`` renders the list; pages never restate the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from printreg.accounts.actor import Actor


class _Facility(Protocol):
    @property
    def code(self) -> str: ...


class NavPlace(Protocol):
    """What the navigation needs of a page's place (``web.pages.home.Place`` provides it)."""

    @property
    def registry(self) -> str: ...

    @property
    def facility(self) -> _Facility | None: ...

    @property
    def facility_ids(self) -> Mapping[str, int]: ...

    def writes(self, code: str) -> bool: ...

    def manages(self, code: str) -> bool: ...


@dataclass(frozen=True)
class NavLink:
    """One link of the main navigation."""

    label: str
    href: str
    #: a number shown beside the label (the unread notifications), None for none
    count: int | None = None


def main_navigation(actor: Actor | None, place: NavPlace | None, unread: int = 0) -> list[NavLink]:
    """Return the links of the pages the person can open from ``place``, in menu order; only
    Notifications (with ``unread`` beside it when there are any) and Account when the page has
    no place, and nothing when nobody is signed in."""
    if actor is None:
        return []
    links: list[NavLink] = []
    if place is not None:
        links = _registry_links(actor, place)
    if actor.user_id is not None:
        links.append(NavLink("Notifications", "/notifications", unread or None))
    links.append(NavLink("Account", "/account"))
    return links


def _registry_links(actor: Actor, place: NavPlace) -> list[NavLink]:
    reg = place.registry
    code = place.facility.code if place.facility is not None else None
    query = f"?facility={code}" if code else ""
    base = f"/registries/{reg}"
    facility_id = place.facility_ids.get(code) if code is not None else None
    reads_here = facility_id is not None and actor.may_read_cases(reg, facility_id)
    writes_here = code is not None and place.writes(code)
    wanted = [
        ("Home", f"{base}/home{query}", True),
        ("Cases", f"{base}/cases", actor.reads_cases(reg)),
        ("Queries", f"{base}/queries{query}", actor.reads_cases(reg)),
        ("New case", f"{base}/cases/new{query}", writes_here),
        ("Import", f"{base}/import{query}", writes_here),
        ("Dashboard", f"{base}/dashboard{query}", reads_here),
        ("Registry", f"{base}/analytics", actor.administers(reg)),
        ("Quality", f"{base}/quality", actor.reads_cases(reg)),
        (
            "Requests",
            f"{base}/requests",
            actor.administers(reg) or actor.on_committee(reg) or actor.researches(reg),
        ),
        ("Printers", f"/facilities/{code}/printers", code is not None),
        ("Enrollment", f"/facilities/{code}/enrollment", code is not None),
        ("Committee", f"{base}/committee", actor.on_committee(reg) or actor.administers(reg)),
        ("Users", f"/facilities/{code}/users", code is not None and place.manages(code)),
    ]
    return [NavLink(label, href) for label, href, shown in wanted if shown]
