"""API routes of cases: list, create, read, replace, soft-delete, restore, history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import Body, Header, Query, Request

from printreg.cases.schemas import CaseHistoryEntry, CasePage, CasePublic, CaseSaved
from printreg.cases.service import CaseService, case_query, parse_filters
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()
RecordBody = Annotated[
    dict[str, Any],
    Body(
        description="A case record (docs/record-shape.md). Where an element takes reasons for "
        'missing data, give {"missing": "<reason>"} in place of its value: unknown, '
        "not_asked, not_applicable or declined, as the element lists them (never a reason "
        "and a value together).",
        examples=[{"local_case_id": "2025-0042", "any_element": {"missing": "not_asked"}}],
    ),
]


#: the query parameters of the case list; any other one is an ELEMENT=VALUE filter
CASE_LIST_PARAMS = frozenset(
    {"facility", "status", "where", "date_from", "date_to", "search", "deleted", "limit", "cursor"}
)


@router.get(
    "/registries/{registry}/cases",
    tags=["cases"],
    description="Any other query parameter ELEMENT=VALUE filters by a single-code element of "
    "the registry, as where=ELEMENT=VALUE does; a name that is not one answers 400.",
)
def list_cases(
    request: Request,
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str | None, Query(max_length=32)] = None,
    case_status: Annotated[
        str | None, Query(alias="status", pattern="^(draft|complete|locked)$")
    ] = None,
    where: Annotated[
        list[str] | None,
        Query(
            max_length=20,
            description="ELEMENT=VALUE: only cases with this code or label of a coded element "
            "of the registry (repeat for several)",
        ),
    ] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    search: Annotated[str | None, Query(max_length=64)] = None,
    deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    """Return one page of the cases the caller may read, newest change first."""
    filters = parse_filters(where or [])
    for name, value in request.query_params.items():
        if name not in CASE_LIST_PARAMS and value.strip():  # empty: no filter, as on the page
            filters[name] = value[:100]
    query = case_query(
        status=case_status,
        where=filters,
        date_from=date_from,
        date_to=date_to,
        search=search,
        deleted=deleted,
        limit=limit,
        cursor=cursor,
    )
    return CaseService(platform, actor).list_cases(registry, query, facility)


@router.post("/registries/{registry}/cases", tags=["cases"], status_code=201)
def create_case(
    registry: str,
    record: RecordBody,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str, Query(min_length=1, max_length=32)],
) -> CaseSaved:
    """Validate and store a new case; 422 lists every issue."""
    return CaseService(platform, actor).create(registry, facility, record)


@router.get("/registries/{registry}/cases/{case_id}", tags=["cases"])
def get_case(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> CasePublic:
    """Return a case; 404 for unknown ids and for other facilities' cases alike."""
    return CaseService(platform, actor).get(registry, case_id)


@router.put("/registries/{registry}/cases/{case_id}", tags=["cases"])
def update_case(
    registry: str,
    case_id: uuid.UUID,
    record: RecordBody,
    platform: PlatformDep,
    actor: ActorDep,
    if_match: Annotated[
        str | None, Header(description="row_version last read", max_length=12)
    ] = None,
) -> CaseSaved:
    """Replace a case's record; with If-Match, 409 when someone changed it meanwhile."""
    expected = int(if_match.strip('"')) if if_match and if_match.strip('"').isdigit() else None
    return CaseService(platform, actor).update(registry, case_id, record, expected)


@router.delete("/registries/{registry}/cases/{case_id}", tags=["cases"])
def delete_case(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> CasePublic:
    """Soft-delete a case (restorable, audited)."""
    return CaseService(platform, actor).delete(registry, case_id)


@router.post("/registries/{registry}/cases/{case_id}/restore", tags=["cases"])
def restore_case(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> CasePublic:
    """Restore a soft-deleted case."""
    return CaseService(platform, actor).restore(registry, case_id)


@router.get("/registries/{registry}/cases/{case_id}/history", tags=["cases"])
def case_history(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> list[CaseHistoryEntry]:
    """Return who changed a case, when, and what before and after."""
    return CaseService(platform, actor).history(registry, case_id)
