"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from printreg import __version__
from printreg.services import import_jobs
from printreg.services.platform import Platform
from printreg.settings import Settings
from printreg.web import errors, pages
from printreg.web.api.analytics import router as analytics_router
from printreg.web.api.files import router as files_router
from printreg.web.api.governance import router as governance_router
from printreg.web.api.imports import router as imports_router
from printreg.web.api.requests import router as requests_router
from printreg.web.api.routes import router as api_router

STATIC = Path(__file__).parent / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, fail the import jobs of processes that stopped (and delete old uploads)."""
    await run_in_threadpool(import_jobs.recover, app.state.platform)
    yield


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    """Return the web application for the settings' database (which must be upgraded); when
    it starts, it fails the import jobs that a stopped process left running."""
    app = FastAPI(
        title="printreg",
        version=__version__,
        summary="Clinical data registry for point-of-care medical 3D printing",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.platform = platform or Platform.from_settings(settings)
    errors.install(app)
    app.include_router(api_router)
    app.include_router(imports_router)
    app.include_router(analytics_router)
    app.include_router(files_router)
    app.include_router(governance_router)
    app.include_router(requests_router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages.install(app)
    return app
