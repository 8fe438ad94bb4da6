"""API routes about the service itself rather than a feature."""

from __future__ import annotations

from fastapi import Response

from printreg.web.api.common import api_router

router = api_router()


@router.get("/health", tags=["meta"], include_in_schema=False)
def health(response: Response) -> dict[str, str]:
    """Return ok (for load balancers)."""
    response.headers["Cache-Control"] = "no-store"
    return {"status": "ok"}
