"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from printreg import __version__
from printreg.accounts import api as accounts_api
from printreg.accounts import pages as account_pages
from printreg.accounts import second_factor_pages, signin_pages, sso_pages
from printreg.assessment_links import api as assessment_links_api
from printreg.assessment_links import pages as assessment_links_pages
from printreg.cases import api as cases_api
from printreg.cases import list_page as case_list_page
from printreg.cases import pages as case_pages
from printreg.dashboards import api as dashboards_api
from printreg.dashboards import pages as dashboards_pages
from printreg.facilities import api as facilities_api
from printreg.facilities import pages as facility_pages
from printreg.fhir import api as fhir_api
from printreg.files import api as files_api
from printreg.files import pages as file_pages
from printreg.governance import api as governance_api
from printreg.governance import pages as governance_pages
from printreg.imports import api as imports_api
from printreg.imports import jobs as import_jobs
from printreg.imports import pages as import_pages
from printreg.jobs import api as jobs_api
from printreg.jobs import pages as job_pages
from printreg.notifications import api as notifications_api
from printreg.notifications import pages as notification_pages
from printreg.ops import api as ops_api
from printreg.ops.middleware import ObserveMiddleware
from printreg.pacs import api as pacs_api
from printreg.pacs import pages as pacs_pages
from printreg.platform import Platform
from printreg.quality import api as quality_api
from printreg.quality import pages as quality_pages
from printreg.queries import api as queries_api
from printreg.queries import pages as queries_pages
from printreg.registries import api as registries_api
from printreg.requests import api as requests_api
from printreg.requests import pages as requests_pages
from printreg.settings import Settings
from printreg.web import errors, pages
from printreg.web.api import meta
from printreg.web.body_limit import BodyLimitMiddleware
from printreg.web.headers import SecurityHeadersMiddleware
from printreg.web.pages import home

STATIC = Path(__file__).parent / "static"
# Swagger UI from the vendored bundle, started by a static script: no CDN, no inline script.
API_DOCS = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>printreg API (Swagger UI)</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
  <script src="/static/vendor/swagger-ui/swagger-ui-bundle.js" defer></script>
  <script src="/static/api-docs.js" defer></script>
</head>
<body><div id="swagger-ui" data-spec="/openapi.json"></div></body>
</html>
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, size the request threads and fail the import jobs of processes that
    stopped (and delete old uploads)."""
    platform: Platform = app.state.platform
    # Starlette runs every synchronous handler and dependency in anyio's default thread pool
    # (40 threads): under load those threads fight over the interpreter lock, and a case read
    # took 2.5 times as long (bench/api.py, docs/deploy.md#web-threads).
    to_thread.current_default_thread_limiter().total_tokens = platform.settings.web_threads
    await run_in_threadpool(import_jobs.recover, platform)
    yield


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    """Return the web application for the settings' database (which must be upgraded); when
    it starts, it fails the import jobs that a stopped process left running."""
    app = FastAPI(
        title="printreg",
        version=__version__,
        summary="Clinical data registry for point-of-care medical 3D printing",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.platform = platform or Platform.from_settings(settings)
    errors.install(app)
    app.include_router(ops_api.router)
    # Each feature's routers, in an order where no route hides another.
    for api in (
        registries_api,
        facilities_api,
        cases_api,
        accounts_api,
        meta,
        imports_api,
        jobs_api,
        files_api,
        governance_api,
        requests_api,
        queries_api,
        dashboards_api,
        notifications_api,
        quality_api,
        assessment_links_api,
        fhir_api,
        pacs_api,
    ):
        app.include_router(api.router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages.install(app)
    for feature_pages in (
        signin_pages,
        sso_pages,
        home,
        case_list_page,
        case_pages,
        file_pages,
        facility_pages,
        account_pages,
        second_factor_pages,
        import_pages,
        job_pages,
        dashboards_pages,
        governance_pages,
        requests_pages,
        notification_pages,
        quality_pages,
        queries_pages,
        assessment_links_pages,
        pacs_pages,
    ):
        app.include_router(feature_pages.router, include_in_schema=False)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Return the interactive API documentation (Swagger UI over /openapi.json)."""
        return HTMLResponse(API_DOCS)

    # The last added runs first: headers go on every answer, the 413s of the body limit too,
    # and the body limit runs before anything reads the body or the session; every answer has
    # a request id, an access line and its place in the metrics.
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    app.add_middleware(ObserveMiddleware)
    return app
