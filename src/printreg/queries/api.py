"""API routes of queries on case fields: raise (one, or many at once), list, read, confirm,
close, re-open. A changed value answers a query through the ordinary case update."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query as QueryParam
from fastapi import status

from printreg.queries.schemas import (
    QueryBulkCreate,
    QueryConfirm,
    QueryCreate,
    QueryDetail,
    QueryPublic,
    QueryReopen,
    QueryState,
    QueryTarget,
)
from printreg.queries.service import QueryService
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()
router.tags = ["queries"]


@router.post("/registries/{registry}/cases/{case_id}/queries", status_code=status.HTTP_201_CREATED)
def raise_query(
    registry: str, case_id: uuid.UUID, body: QueryCreate, platform: PlatformDep, actor: ActorDep
) -> QueryDetail:
    """Raise a query on a field of a case (registry staff, the facility's data managers)."""
    return QueryService(platform, actor).raise_query(registry, case_id, body.path, body.text)


@router.get("/registries/{registry}/cases/{case_id}/queries")
def case_queries(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> list[QueryDetail]:
    """Return every query of a case with its history, oldest first."""
    return QueryService(platform, actor).for_case(registry, case_id)


@router.post("/registries/{registry}/queries/bulk", status_code=status.HTTP_201_CREATED)
def raise_queries(
    registry: str, body: QueryBulkCreate, platform: PlatformDep, actor: ActorDep
) -> list[QueryPublic]:
    """Raise the same query on many case fields, all or none (one audit row per query)."""
    targets = [QueryTarget(t.case_id, t.path) for t in body.targets]
    return QueryService(platform, actor).raise_many(registry, targets, body.text)


@router.get("/registries/{registry}/queries")
def list_queries(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str | None, QueryParam(max_length=32)] = None,
    query_status: Annotated[QueryState | None, QueryParam(alias="status")] = None,
    min_days: Annotated[int | None, QueryParam(ge=0, le=36500)] = None,
) -> list[QueryPublic]:
    """Return the queries the caller sees, by facility then oldest first; ``min_days`` keeps
    the open ones open for at least that many days."""
    return QueryService(platform, actor).list(
        registry, facility=facility, status=query_status, min_days=min_days
    )


@router.get("/queries/{query_id}")
def get_query(query_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> QueryDetail:
    """Return a query with its history; 404 for another facility's and unknown ids alike."""
    return QueryService(platform, actor).get(query_id)


@router.post("/queries/{query_id}/confirm")
def confirm_query(
    query_id: uuid.UUID, body: QueryConfirm, platform: PlatformDep, actor: ActorDep
) -> QueryDetail:
    """Answer an open query by confirming the stored value, with the reason it is right."""
    return QueryService(platform, actor).confirm(query_id, body.reason)


@router.post("/queries/{query_id}/close")
def close_query(query_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> QueryDetail:
    """Close a query (the side that raised it)."""
    return QueryService(platform, actor).close(query_id)


@router.post("/queries/{query_id}/reopen")
def reopen_query(
    query_id: uuid.UUID, body: QueryReopen, platform: PlatformDep, actor: ActorDep
) -> QueryDetail:
    """Re-open an answered or closed query, saying what is still unclear (its raiser's side)."""
    return QueryService(platform, actor).reopen(query_id, body.text)
