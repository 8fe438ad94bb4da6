"""Query pages: the registry's queries by facility and age (filterable), one query with its
history and actions, and the posts of the case page and case form (raise, confirm, close,
re-open). The case list, the case form and the home page show queries through ``QueryService``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.cases.pages import render_case
from printreg.domain.errors import InvalidRequest, NotFound, RegistryError
from printreg.queries.schemas import QueryDetail, QueryPublic, QueryState
from printreg.queries.service import QueryService
from printreg.registries.service import RegistryService
from printreg.web import forms
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, LongField, Page, PageContext, error_message
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)
STATES = ("open", "answered", "closed", "all")


@dataclass(frozen=True)
class FacilityQueries:
    """One facility's line of the queries page: its open and answered queries, the oldest."""

    facility: str
    open: int
    answered: int
    oldest_days: int | None


def facility_lines(queries: list[QueryPublic]) -> list[FacilityQueries]:
    """Return one line per facility with queries, by facility code."""
    lines: dict[str, FacilityQueries] = {}
    for q in queries:
        line = lines.get(q.facility, FacilityQueries(q.facility, 0, 0, None))
        days = line.oldest_days
        if q.open_days is not None:
            days = max(days or 0, q.open_days)
        lines[q.facility] = FacilityQueries(
            q.facility,
            line.open + (q.status == QueryState.OPEN),
            line.answered + (q.status == QueryState.ANSWERED),
            days,
        )
    return [lines[k] for k in sorted(lines)]


def _place_label(page: PageContext, registry: str, path: str) -> str:
    definition = RegistryService(page.platform, page.actor).definition(registry)
    return forms.field_place(definition, path) or path


@router.get("/registries/{registry}/queries", response_class=HTMLResponse)
def query_list(
    page: Page,
    registry: str,
    facility: Annotated[str, Query(max_length=32)] = "",
    status: Annotated[str, Query(max_length=16)] = "open",
    min_days: Annotated[str, Query(max_length=6)] = "",
) -> Response:
    """Show the queries the person sees: a line per facility (open, answered, oldest open
    days), then the queries themselves, filtered by facility, state and age."""
    place = place_of(page, registry)
    service = QueryService(page.platform, page.actor)
    wanted = status if status in STATES else "open"
    days = int(min_days) if min_days.isdigit() else None
    every = service.list(registry, facility=facility or None)
    shown = service.list(
        registry,
        facility=facility or None,
        status=None if wanted == "all" else QueryState(wanted),
        min_days=days,
    )
    definition = RegistryService(page.platform, page.actor).definition(registry)
    return page.render(
        "queries.html",
        place=place,
        lines=facility_lines(every),
        queries=shown,
        labels={q.path: forms.field_place(definition, q.path) or q.path for q in shown},
        filters={"facility": facility, "status": wanted, "min_days": min_days if days else ""},
        states=STATES,
        staff=page.actor.oversees_queries(registry),
    )


def _detail_page(
    page: PageContext, query: QueryDetail, errors: list[str] | None = None, status: int = 200
) -> Response:
    place = place_of(page, query.registry, query.facility)
    actor = page.actor
    facility_id = place.facility_ids.get(query.facility)
    return page.render(
        "query_detail.html",
        status_code=status,
        place=place,
        q=query,
        label=_place_label(page, query.registry, query.path),
        may_answer=facility_id is not None
        and actor.may_answer_query(query.registry, facility_id)
        and query.status == QueryState.OPEN,
        may_settle=QueryService(page.platform, actor).may_settle(query.id),
        errors=errors or [],
    )


def _query_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound.no_such("query") from None


@router.get("/queries/{query_id}", response_class=HTMLResponse)
def query_detail(page: Page, query_id: str) -> Response:
    """Show a query: its case and field, its text, its history, and what the person may do."""
    return _detail_page(page, QueryService(page.platform, page.actor).get(_query_id(query_id)))


def _back(next_url: str, query: QueryDetail) -> str:
    """Return where to go after an action: the page it came from when it is one of ours (a
    path, never another site), else the query's page."""
    if next_url.startswith("/registries/") and "//" not in next_url and "\\" not in next_url:
        return next_url
    return f"/queries/{query.id}"


def _act(page: PageContext, query_id: str, next_url: str, action: str, text: str) -> Response:
    service = QueryService(page.platform, page.actor)
    ident = _query_id(query_id)
    try:
        if action == "confirm":
            done = service.confirm(ident, text)
        elif action == "close":
            done = service.close(ident)
        else:
            done = service.reopen(ident, text)
    except RegistryError as exc:
        if isinstance(exc, NotFound):
            raise
        return _detail_page(page, service.get(ident), [error_message(exc)], status_of(exc))
    return RedirectResponse(_back(next_url, done), status_code=303)


@router.post("/queries/{query_id}/confirm", response_class=HTMLResponse)
def confirm_query(page: Page, query_id: str, reason: LongField = "", back: Field = "") -> Response:
    """Answer an open query by confirming the value, with the reason it is right."""
    return _act(page, query_id, back, "confirm", reason)


@router.post("/queries/{query_id}/close", response_class=HTMLResponse)
def close_query(page: Page, query_id: str, back: Field = "") -> Response:
    """Close a query (the side that raised it)."""
    return _act(page, query_id, back, "close", "")


@router.post("/queries/{query_id}/reopen", response_class=HTMLResponse)
def reopen_query(page: Page, query_id: str, text: LongField = "", back: Field = "") -> Response:
    """Re-open a query with what is still unclear (the side that raised it)."""
    return _act(page, query_id, back, "reopen", text)


@router.post("/registries/{registry}/cases/{case_id}/queries", response_class=HTMLResponse)
def raise_query(
    page: Page, registry: str, case_id: str, path: Field = "", text: LongField = ""
) -> Response:
    """Raise a query from the case page; on a refusal, the case page again with the problem."""
    try:
        ident = uuid.UUID(case_id)
    except ValueError:
        raise NotFound.no_such("case") from None
    try:
        if not path:
            raise InvalidRequest("choose the field the query is about")
        QueryService(page.platform, page.actor).raise_query(registry, ident, path, text)
    except RegistryError as exc:
        if isinstance(exc, NotFound):
            raise
        return render_case(page, registry, case_id, status_code=status_of(exc),
                           query_problem=error_message(exc))  # fmt: skip
    return RedirectResponse(f"/registries/{registry}/cases/{ident}#queries", status_code=303)
