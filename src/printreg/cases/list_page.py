"""The case list page: a filtered page of the cases the person may read. The registry's coded
reporting strata are its columns and filters; any single-code element may filter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from printreg.cases.service import CaseService, case_query, parse_filters
from printreg.dashboards.service import AnalyticsService
from printreg.dictionary import CodeElement, Definition
from printreg.domain.errors import InvalidRequest, RegistryError
from printreg.domain.facility import CaseStatus
from printreg.files.service import CaseFileService
from printreg.queries.service import QueryService
from printreg.registries.service import RegistryService
from printreg.web.pages.common import Page, PageContext
from printreg.web.pages.home import error_page, place_of

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
LIST_ELEMENTS = 3  # coded columns of a registry that declares no reporting strata
Text = Annotated[str, Query(max_length=100)]


def _date(text: str, label: str, problems: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{label}: enter a date as YYYY-MM-DD")
        return None


@dataclass(frozen=True)
class ListFilter:
    """A coded element the case list shows as a column and offers as a filter."""

    name: str
    label: str
    options: list[tuple[str, str]]  # (code, label)
    chosen: str

    @property
    def html_id(self) -> str:
        """Return the id of the filter's select, e.g. filter-organ-system."""
        return "filter-" + self.name.replace("_", "-")


def _list_filters(
    definition: Definition, strata: list[str], wanted: dict[str, str]
) -> list[ListFilter]:
    """Return the list's coded columns: the registry's reporting strata that are single-code
    elements (else its first ones), and any other coded element the URL filters by."""
    coded = {n: e for n, e in definition.elements.items() if isinstance(e, CodeElement)}
    names = [n for n in strata if n in coded] or list(coded)[:LIST_ELEMENTS]
    names += [n for n in wanted if n in coded and n not in names]
    return [
        ListFilter(
            name,
            coded[name].label,
            [(v.code, v.label) for v in definition.value_set_for(coded[name]).values],
            wanted.get(name, ""),
        )
        for name in names
    ]


def _wanted_filters(page: PageContext, definition: Definition) -> dict[str, str]:
    """Return the coded-element filters of the URL: ``ELEMENT=CODE`` for any single-code element
    of the registry (``ELEMENT=CODE``) and ``where=ELEMENT=VALUE``; empty ones ignored."""
    params = page.request.query_params
    wanted = parse_filters(v for v in params.getlist("where") if v)
    for name, element in definition.elements.items():
        value = params.get(name, "").strip()
        if isinstance(element, CodeElement) and value:
            wanted[name] = value[:100]
    return wanted


@router.get("/registries/{registry}/cases", response_class=HTMLResponse)
def case_list(
    page: Page,
    registry: str,
    status: Text = "",
    search: Text = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Show a filtered page of the cases the person may read; the registry's coded strata are
    columns and filters, and any single-code element may filter (``?ELEMENT=CODE``)."""
    problems: list[str] = []
    try:
        definition = RegistryService(page.platform, page.actor).definition(registry)
        place = place_of(page, registry)
        if page.actor.readable_facilities(registry) == []:
            return page.render("cases.html", place=place, access=False)
        wanted = _wanted_filters(page, definition)
        strata = AnalyticsService(page.platform, page.actor).strata(registry)
        filters = _list_filters(definition, strata, wanted)
        query = case_query(
            status=status if status in {s.value for s in CaseStatus} else None,
            search=search,
            where=wanted,
            date_from=_date(date_from, "From", problems),
            date_to=_date(date_to, "To", problems),
            limit=PAGE_SIZE,
            cursor=cursor,
        )
        columns = tuple(c for c in (definition.case_date, *(f.name for f in filters)) if c)
        found = CaseService(page.platform, page.actor).list_cases(registry, query, columns=columns)
        thumbnails = CaseFileService(page.platform, page.actor).thumbnails(
            registry, [c.id for c in found.items]
        )
        query_counts = QueryService(page.platform, page.actor).open_counts(
            registry, [c.id for c in found.items]
        )
    except (ValueError, InvalidRequest) as exc:
        return page.render(
            "cases.html", status_code=400, place=None, access=True, problems=[str(exc)]
        )
    except RegistryError as exc:
        return error_page(page, exc)
    params = {"status": status, "search": search, "from": date_from, "to": date_to}
    params |= {f.name: f.chosen for f in filters if f.chosen}
    next_url = (
        f"?{urlencode({**params, 'cursor': found.next_cursor})}" if found.next_cursor else None
    )
    return page.render(
        "cases.html",
        place=place,
        access=True,
        problems=problems,
        cases=found.items,
        filters=params,
        coded=filters,
        labels={f.name: dict(f.options) for f in filters},
        case_date=definition.case_date,
        case_date_label=definition.elements[definition.case_date].label
        if definition.case_date in definition.elements
        else "Case date",
        next_url=next_url,
        thumbnails=thumbnails,
        query_counts=query_counts,
    )
