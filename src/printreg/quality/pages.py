"""Data-quality pages: the scores of the facilities a person reads (registry-wide for staff),
one facility's scores, trend and findings by rule, and "re-evaluate now"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.quality.service import QualityService
from printreg.web.pages.common import Page
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)
#: what a page says after an action, by the fixed key of its redirect (never a value)
DONE = {"queued": "The rules will be evaluated again in a moment: reload this page to see it."}


def _done(request: Request) -> str:
    return DONE.get(request.query_params.get("done", ""), "")


@router.get("/registries/{registry}/quality", response_class=HTMLResponse)
def overview(request: Request, registry: str, page: Page) -> Response:
    """Show the scores of every facility the person reads; registry staff see every one."""
    place = place_of(page, registry=registry)
    service = QualityService(page.platform, page.actor)
    data = service.overview(registry)
    return page.render(
        "quality.html",
        place=place,
        data=data,
        done=_done(request),
        may_evaluate=_may_evaluate(page, registry),
    )


@router.get("/registries/{registry}/quality/facilities/{facility}", response_class=HTMLResponse)
def facility_page(request: Request, registry: str, facility: str, page: Page) -> Response:
    """Show a facility's scores overall and per rule, its trend by quarter and its findings."""
    data = QualityService(page.platform, page.actor).facility(registry, facility)
    place = place_of(page, registry=registry, facility=facility)
    return page.render(
        "quality_facility.html",
        place=place,
        data=data,
        done=_done(request),
        may_evaluate=_may_evaluate(page, registry),
    )


def _may_evaluate(page: Page, registry: str) -> bool:
    """Return whether the person may queue an evaluation (the service's own rule)."""
    actor = page.actor
    return actor.administers(registry) or any(
        actor.may_write_cases(registry, f) for f in actor.memberships.get(registry, {})
    )


@router.post("/registries/{registry}/quality/evaluate")
def evaluate(registry: str, page: Page) -> Response:
    """Queue an evaluation of the registry's rules and come back to the overview."""
    QualityService(page.platform, page.actor).queue_evaluation(registry)
    return RedirectResponse(f"/registries/{registry}/quality?done=queued", status_code=303)
