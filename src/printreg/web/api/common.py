"""What every feature's API router shares: the error responses, the id path and the router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from printreg.schemas import ProblemOut
from printreg.web.json_body import StrictJsonRoute

__all__ = ["ERRORS", "IdPath", "api_router"]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "No valid session or API token"},
    403: {"model": ProblemOut, "description": "Not allowed for this role or token scope"},
    404: {"model": ProblemOut, "description": "Unknown, or belonging to another facility"},
    409: {"model": ProblemOut, "description": "Conflicts with stored data"},
    422: {"model": ProblemOut, "description": "The input breaks the registry's rules"},
}
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Numeric id")]


def api_router() -> APIRouter:
    """Return a router under /api/v1 that refuses non-JSON bodies and documents the errors."""
    return APIRouter(route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS)
