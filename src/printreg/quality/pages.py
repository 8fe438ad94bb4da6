"""Data-quality pages: the scores of the facilities a person reads (registry-wide for staff),
one facility's scores, trend and findings by rule, "re-evaluate now", and raising queries on
the chosen findings of a rule in one action."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.domain.errors import Conflict, InvalidRequest, ValidationFailed
from printreg.quality.service import QualityService
from printreg.web.pages.common import LongField, Page, PageContext, error_message
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)
#: what a page says after an action, by the fixed key of its redirect (never a value)
DONE = {
    "queued": "The rules will be evaluated again in a moment: reload this page to see it.",
    "raised": "The queries were raised: the facility sees them on its home page and its cases.",
}


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
    return _facility(page, registry, facility, done=_done(request))


def _facility(
    page: PageContext, registry: str, facility: str, *, done: str = "", error: str = "",
    rule: str = "", status_code: int = 200,
) -> Response:  # fmt: skip
    """Render a facility's quality page (with a refusal next to one rule's query form)."""
    data = QualityService(page.platform, page.actor).facility(registry, facility)
    place = place_of(page, registry=registry, facility=facility)
    facility_id = place.facility_ids.get(facility)
    may_raise = facility_id is not None and page.actor.may_raise_query(registry, facility_id)
    return page.render(
        "quality_facility.html",
        status_code=status_code,
        place=place,
        data=data,
        done=done,
        error=error,
        error_rule=rule,
        may_raise=may_raise,
        may_evaluate=_may_evaluate(page, registry),
    )


@router.post("/registries/{registry}/quality/facilities/{facility}/rules/{rule}/queries")
def raise_queries(
    registry: str,
    facility: str,
    rule: str,
    page: Page,
    text: LongField = "",
    case_ids: Annotated[list[uuid.UUID] | None, Form()] = None,
) -> Response:
    """Raise one query with the text on each chosen finding of the rule, in one action."""
    service = QualityService(page.platform, page.actor)
    try:
        service.raise_queries(registry, facility, rule, case_ids or [], text)
    except (ValidationFailed, InvalidRequest, Conflict) as exc:
        return _facility(page, registry, facility, error=error_message(exc), rule=rule,
                         status_code=422)  # fmt: skip
    return RedirectResponse(
        f"/registries/{registry}/quality/facilities/{facility}?done=raised", status_code=303
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
