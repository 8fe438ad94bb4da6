"""API routes for benchmarks, value evidence, the feedback report and public figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from printreg.services.actor import Actor
from printreg.services.analytics import AnalyticsService
from printreg.web.api.routes import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

router = APIRouter(
    route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS, tags=["analytics"]
)
CodeQuery = Annotated[str | None, Query(max_length=64, description="Stratum code or label")]
PUBLIC = Actor(name="public")


DateQuery = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]


def _stratum(
    object_type: str | None,
    organ_system: str | None,
    intended_use: str | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
) -> dict[str, str | None]:
    return {
        "object_type": object_type,
        "organ_system": organ_system,
        "intended_uses": intended_use,
        "period_from": period_from,
        "period_to": period_to,
    }


@router.get("/registries/{registry}/facilities/{facility}/dashboard")
def facility_dashboard(
    registry: str,
    facility: str,
    platform: PlatformDep,
    actor: ActorDep,
    object_type: CodeQuery = None,
    organ_system: CodeQuery = None,
    intended_use: CodeQuery = None,
    period_from: DateQuery = None,
    period_to: DateQuery = None,
) -> dict[str, Any]:
    """Return a facility's benchmark dashboard: its figures beside registry and peer group,
    mixes, funnel points, trends, completeness and pooled value (facility members). Object
    type and organ system are precomputed; intended use and a period are computed on demand."""
    service = AnalyticsService(platform, actor)
    stratum = _stratum(object_type, organ_system, intended_use, period_from, period_to)
    return service.facility_dashboard(registry, facility, stratum)


@router.get("/registries/{registry}/facilities/{facility}/charts")
def facility_charts(
    registry: str,
    facility: str,
    platform: PlatformDep,
    actor: ActorDep,
    object_type: CodeQuery = None,
    organ_system: CodeQuery = None,
) -> dict[str, Any]:
    """Return the dashboard's charts as Vega-Lite specs, by name."""
    from printreg.reports.charts import dashboard_charts  # noqa: PLC0415

    service = AnalyticsService(platform, actor)
    dashboard = service.facility_dashboard(registry, facility, _stratum(object_type, organ_system))
    return dashboard_charts(dashboard)


@router.get(
    "/registries/{registry}/facilities/{facility}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF report"}},
)
def facility_report(
    registry: str,
    facility: str,
    platform: PlatformDep,
    actor: ActorDep,
    object_type: CodeQuery = None,
    organ_system: CodeQuery = None,
) -> Response:
    """Return the facility feedback report as a PDF."""
    from printreg.reports.pdf import render_report  # noqa: PLC0415

    service = AnalyticsService(platform, actor)
    dashboard = service.facility_dashboard(registry, facility, _stratum(object_type, organ_system))
    return Response(
        render_report(dashboard),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{facility}-{registry}-report.pdf"'},
    )


@router.get("/registries/{registry}/overview")
def registry_overview(registry: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Return every facility's headline figures (registry administrators)."""
    return AnalyticsService(platform, actor).registry_overview(registry)


@router.get("/registries/{registry}/value")
def value_evidence(registry: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Return pooled time saved per stratum, costs, confidence gain and published evidence."""
    del actor  # any signed-in caller: the figures are released aggregates
    return AnalyticsService(platform, PUBLIC).value_evidence(registry)


@router.get("/registries/{registry}/public", responses={401: {"description": "never"}})
def public_summary(registry: str, platform: PlatformDep) -> dict[str, Any]:
    """Return the registry's public aggregates, small counts suppressed (no sign-in needed)."""
    return AnalyticsService(platform, PUBLIC).public_summary(registry)


@router.post("/registries/{registry}/analytics/refresh")
def refresh(registry: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Bring the registry's analytics up to date now (registry administrators)."""
    return AnalyticsService(platform, actor).refresh(registry)
