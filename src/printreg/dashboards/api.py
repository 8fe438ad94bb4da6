"""API routes for benchmarks, value evidence, the feedback report and public figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from printreg.accounts.actor import Actor
from printreg.dashboards.refresh_job import submit_refresh
from printreg.dashboards.schemas import (
    FacilityDashboard,
    PublicSummary,
    RegistryOverview,
    ValueEvidence,
)
from printreg.dashboards.service import AnalyticsService
from printreg.jobs.schemas import TaskOut
from printreg.web.api.common import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

router = APIRouter(
    route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS, tags=["analytics"]
)
# Typed answers are sent with response_model_exclude_unset: a key the service did not give (a
# withheld figure's median, say) is absent from the JSON, never null.
PUBLIC = Actor(name="public")
DateQuery = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]
FILTERS = (
    "Filter by any stratum of the registry's analytics spec: ?STRATUM=CODE (code or label; "
    "the choices are listed in the answer's 'strata'); another name answers 400."
)


def _filters(request: Request) -> dict[str, str | None]:
    """Return every query parameter as a dashboard filter; the service refuses unknown ones."""
    return {name: value or None for name, value in request.query_params.items()}


@router.get(
    "/registries/{registry}/facilities/{facility}/dashboard",
    description=FILTERS,
    response_model_exclude_unset=True,
)
def facility_dashboard(
    request: Request,
    registry: str,
    facility: str,
    platform: PlatformDep,
    actor: ActorDep,
    period_from: DateQuery = None,
    period_to: DateQuery = None,
) -> FacilityDashboard:
    """Return a facility's benchmark dashboard: its figures beside registry and peer group,
    mixes, funnel points, trends, completeness and pooled value (facility members). The
    single-valued strata are precomputed; multi-valued ones and a period are computed on demand.
    A withheld figure is a ``Suppressed`` object whose ``status`` says why; ``headlines`` says
    each measure in plain words."""
    del period_from, period_to  # declared for the API description; read with the strata
    service = AnalyticsService(platform, actor)
    return service.facility_dashboard(registry, facility, _filters(request))


@router.get("/registries/{registry}/facilities/{facility}/charts", description=FILTERS)
def facility_charts(
    request: Request, registry: str, facility: str, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Return the dashboard's charts as Vega-Lite specs, by name."""
    from printreg.dashboards.charts import dashboard_charts  # noqa: PLC0415

    service = AnalyticsService(platform, actor)
    dashboard = service.facility_dashboard(registry, facility, _filters(request))
    return dashboard_charts(dashboard)


@router.get(
    "/registries/{registry}/facilities/{facility}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF report"}},
    description=FILTERS,
)
def facility_report(
    request: Request, registry: str, facility: str, platform: PlatformDep, actor: ActorDep
) -> Response:
    """Return the facility feedback report as a PDF."""
    from printreg.dashboards.pdf import render_report  # noqa: PLC0415

    service = AnalyticsService(platform, actor)
    dashboard = service.facility_dashboard(registry, facility, _filters(request))
    return Response(
        render_report(dashboard),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{facility}-{registry}-report.pdf"'},
    )


@router.get("/registries/{registry}/overview", response_model_exclude_unset=True)
def registry_overview(registry: str, platform: PlatformDep, actor: ActorDep) -> RegistryOverview:
    """Return every facility's headline figures (registry administrators)."""
    return AnalyticsService(platform, actor).registry_overview(registry)


@router.get("/registries/{registry}/value", response_model_exclude_unset=True)
def value_evidence(registry: str, platform: PlatformDep, actor: ActorDep) -> ValueEvidence:
    """Return pooled time saved per stratum, costs, confidence gain and published evidence."""
    del actor  # any signed-in caller: the figures are released aggregates
    return AnalyticsService(platform, PUBLIC).value_evidence(registry)


@router.get(
    "/registries/{registry}/public",
    responses={401: {"description": "never"}},
    response_model_exclude_unset=True,
)
def public_summary(registry: str, platform: PlatformDep) -> PublicSummary:
    """Return the registry's public aggregates, small counts suppressed (no sign-in needed)."""
    return AnalyticsService(platform, PUBLIC).public_summary(registry)


@router.post("/registries/{registry}/analytics/refresh", status_code=status.HTTP_202_ACCEPTED)
def refresh(registry: str, platform: PlatformDep, actor: ActorDep) -> TaskOut:
    """Queue a refresh of the registry's analytics (registry administrators); poll the job at
    ``/jobs/{id}`` (its result: seconds, facilities, rows). A refresh asked while one runs gets
    that one."""
    return submit_refresh(platform, actor, registry)
