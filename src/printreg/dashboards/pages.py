"""Report pages: a facility's benchmark dashboard, the registry-wide page, the public page."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from printreg.accounts.actor import Actor
from printreg.dashboards.charts import dashboard_charts
from printreg.dashboards.service import AnalyticsService
from printreg.domain.errors import InvalidRequest, RegistryError
from printreg.web.deps import PlatformDep
from printreg.web.pages.common import TEMPLATES, Page
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)


def _charts_json(charts: dict[str, Any]) -> str:
    """Return the chart specs as JSON safe to embed in a <script> element."""
    return json.dumps(charts, default=str).replace("</", "<\\/")


@router.get("/registries/{registry}/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, registry: str, page: Page) -> Response:
    """Show a facility's figures beside the registry's and its peer group's, with charts."""
    params = request.query_params
    code = params.get("facility")
    # every other parameter is a filter: the service refuses names its analytics spec lacks
    stratum = {name: value or None for name, value in params.items() if name != "facility"}
    # a domain error becomes the error page with the API's status (web.pages.install)
    place = place_of(page, registry=registry, facility=code)
    if place.facility is None:
        raise InvalidRequest("choose a facility first (from the home page)")
    data = AnalyticsService(page.platform, page.actor).facility_dashboard(
        registry, place.facility.code, stratum
    )
    charts = dashboard_charts(data)
    return page.render(
        "dashboard.html",
        place=place,
        data=data,
        charts_json=_charts_json(charts),
        chart_names=list(charts),
    )


@router.get("/registries/{registry}/analytics", response_class=HTMLResponse)
def registry_page(registry: str, page: Page) -> Response:
    """Show every facility's headline figures and the pooled value (registry administrators)."""
    place = place_of(page, registry=registry)
    data = AnalyticsService(page.platform, page.actor).registry_overview(registry)
    from printreg.dashboards.charts import forest  # noqa: PLC0415

    chart = forest(data.value)
    return page.render(
        "registry_analytics.html",
        place=place,
        data=data,
        charts_json=_charts_json({"forest": chart} if chart else {}),
    )


@router.get("/public/{registry}", response_class=HTMLResponse)
def public_page(request: Request, registry: str, platform: PlatformDep) -> Response:
    """Show the registry's public figures (no sign-in): suppressed counts and pooled value."""
    # no signed-in page here, which the pages' one error mapping needs: an unknown registry is
    # answered as a plain not-found page
    try:
        data = AnalyticsService(platform, Actor(name="public")).public_summary(registry)
    except RegistryError as exc:
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"title": "Not found", "message": str(exc), "actor": None},
            status_code=404,
        )
    from printreg.dashboards.charts import forest  # noqa: PLC0415

    chart = forest(data.value)
    return TEMPLATES.TemplateResponse(
        request,
        "public.html",
        {
            "data": data,
            "actor": None,
            "csrf_token": "",
            "charts_json": _charts_json({"forest": chart} if chart else {}),
        },
    )
