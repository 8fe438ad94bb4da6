"""The facility home page, and what every signed-in page needs: where the person is, errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.accounts.actor import Actor
from printreg.accounts.registry_choice import registries_of
from printreg.accounts.service import AccountService
from printreg.cases.service import CaseQuery, CaseService
from printreg.domain.errors import NotFound, RegistryError
from printreg.domain.facility import CaseStatus
from printreg.facilities.schemas import FacilityProfile
from printreg.facilities.service import FacilityService
from printreg.queries.service import QueryService
from printreg.registries.service import RegistryService
from printreg.web.errors import status_of
from printreg.web.pages.common import Page, PageContext

router = APIRouter(include_in_schema=False)
TITLES = {403: "Not allowed", 404: "Not found", 409: "Conflict", 422: "Not accepted"}
RECENT = 10


@dataclass(frozen=True)
class Place:
    """Where a person is: the registry, the current facility, their facilities and roles."""

    registry: str
    facility: FacilityProfile | None
    facilities: list[FacilityProfile]
    memberships: Mapping[str, Mapping[str, str]]  # registry code → facility code → role
    platform_admin: bool
    registry_admin: bool  # administers this registry (sees and enters every facility's cases)
    actor: Actor  # answers every permission question: pages restate no role rule
    facility_ids: Mapping[str, int]  # code → id of the facilities the person sees
    registries: tuple[str, ...] = ()  # where the person holds a role: the switcher's choices

    @property
    def roles(self) -> dict[str, str]:
        """Return the person's roles in this registry, by facility code."""
        return dict(self.memberships.get(self.registry, {}))

    @property
    def member_of(self) -> list[str]:
        """Return the codes of the facilities where the person holds a role in any registry."""
        return sorted({code for roles in self.memberships.values() for code in roles})

    def manages(self, code: str) -> bool:
        """Return whether the person administers the facility: its profile, printers and
        people (its administrators in any registry; registry admins: every one)."""
        facility_id = self.facility_ids.get(code)
        return facility_id is not None and self.actor.may_manage_facility(facility_id)

    def writes(self, code: str) -> bool:
        """Return whether the person may enter cases for the facility in this registry."""
        facility_id = self.facility_ids.get(code)
        return facility_id is not None and self.actor.may_write_cases(self.registry, facility_id)

    @property
    def manages_any(self) -> bool:
        """Return whether the person administers at least one facility (shows 'Users')."""
        return self.actor.manages_any_facility


def place_of(page: PageContext, registry: str | None = None, facility: str | None = None) -> Place:
    """Return the person's place; the facility asked for must be one they see (NotFound)."""
    actor = page.actor
    registry = registry or page.registry
    facility_service = FacilityService(page.platform, actor)
    facilities = [f for f, _ in facility_service.facilities()]
    memberships = (
        AccountService(page.platform).get_user(actor, actor.user_id).memberships
        if actor.user_id is not None
        else {}
    )
    current = None
    if facility:
        current = next((f for f in facilities if f.code == facility), None)
        if current is None:
            raise NotFound.no_such("facility")
    else:
        # A facility where the person holds a role in this registry; else any of theirs, so
        # that its own pages (enrollment, printers, people) stay one click away.
        here = memberships.get(registry, {})
        mine = {code for roles in memberships.values() for code in roles}
        current = next((f for f in facilities if f.code in here), None) or next(
            (f for f in facilities if f.code in mine), None
        )
    return Place(
        registry,
        current,
        facilities,
        memberships,
        actor.is_platform_admin,
        registry_admin=actor.administers(registry),
        actor=actor,
        facility_ids=facility_service.ids(),
        registries=tuple(registries_of(actor)),
    )


def _title(exc: Exception, status: int) -> str:
    """Return the error page's heading: "Case not found" for ``NotFound.no_such("case")``,
    else the status's general title."""
    noun = str(exc).removeprefix("no such ") if isinstance(exc, NotFound) else ""
    if noun and noun != str(exc) and len(noun) <= 40:
        return f"{noun[:1].upper()}{noun[1:]} not found"
    return TITLES.get(status, "Not possible")


def error_page(page: PageContext, exc: Exception, title: str | None = None) -> HTMLResponse:
    """Return an HTML page for a domain error, with its HTTP status (404, 403, 409, ...)."""
    status = status_of(exc)
    try:
        place: Place | None = place_of(page)
    except RegistryError:
        place = None
    return page.render(
        "error.html",
        status_code=status,
        title=title or _title(exc, status),
        message=str(exc),
        place=place,
    )


@router.get("/", response_class=HTMLResponse)
def root(page: Page) -> Response:
    """Send the person to the home page of the registry they work in (``PageContext.registry``)."""
    return RedirectResponse(f"/registries/{page.registry}/home", status_code=303)


@router.get("/registries/{registry}/home", response_class=HTMLResponse)
def home(
    page: Page, registry: str, facility: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    """Show a facility's case counts, completeness and recent cases (admins: all facilities)."""
    info = RegistryService(page.platform, page.actor).info(registry)
    place = place_of(page, registry, facility)
    cases = CaseService(page.platform, page.actor)
    readable = page.actor.readable_facilities(registry)
    if readable == [] or (place.facility is None and not page.actor.sees_registry(registry)):
        return page.render("home.html", place=place, registry=info, access=False)
    code = place.facility.code if place.facility else None
    counts = cases.count(registry, code)
    recent = cases.list_cases(registry, CaseQuery(limit=RECENT), facility_code=code).items
    total = sum(counts.values())
    done = counts.get(CaseStatus.COMPLETE, 0) + counts.get(CaseStatus.LOCKED, 0)
    return page.render(
        "home.html",
        place=place,
        registry=info,
        access=True,
        counts={s.value: counts.get(s.value, 0) for s in CaseStatus},
        total=total,
        completeness=round(100 * done / total) if total else None,
        recent=recent,
        open_queries=QueryService(page.platform, page.actor).open_total(registry, code),
    )
