"""Import pages: upload a file (checked first, a dry run), follow its job, commit it; exports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.domain.errors import NotFound, RegistryError
from printreg.services.import_jobs import ImportJobs, JobView
from printreg.services.registries import RegistryService
from printreg.web.errors import status_of
from printreg.web.pages.common import Page, PageContext
from printreg.web.pages.home import error_page, place_of

router = APIRouter(include_in_schema=False)
ACTIONS = ("new", "updated", "unchanged", "rejected")


def _job_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound.no_such("import") from None


def _import_page(
    page: PageContext,
    registry: str,
    facility: str,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    RegistryService(page.platform, page.actor).definition(registry)  # NotFound if unknown
    place = place_of(page, registry, facility or None)
    code = place.facility.code if place.facility else ""
    return page.render(
        "import.html",
        status_code=status_code,
        place=place,
        facility=code,
        may_import=bool(code) and place.writes(code),
        problem=problem,
    )


@router.get("/registries/{registry}/import", response_class=HTMLResponse)
def import_form(
    page: Page, registry: str, facility: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    """Show the upload form (people who enter cases) and the export links."""
    try:
        return _import_page(page, registry, facility)
    except RegistryError as exc:
        return error_page(page, exc)


@router.post("/registries/{registry}/import", response_class=HTMLResponse)
def upload(
    page: Page,
    registry: str,
    file: Annotated[UploadFile, File()],
    all_or_nothing: Annotated[str, Form(max_length=8)] = "",
    facility: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Store the file and start checking it (a dry run); show its job."""
    try:
        place = place_of(page, registry, facility or None)
        if place.facility is None:
            raise NotFound("choose a facility first (from the home page)")
        code = place.facility.code
        if not file.filename:
            return _import_page(
                page, registry, code, problem="choose a file to upload", status_code=400
            )
        job = ImportJobs(page.platform, page.actor).submit(
            registry,
            code,
            file.filename,
            file.file,
            commit=False,
            all_or_nothing=bool(all_or_nothing),
        )
    except RegistryError as exc:
        if isinstance(exc, NotFound):
            return error_page(page, exc)
        try:
            return _import_page(
                page, registry, facility, problem=str(exc), status_code=status_of(exc)
            )
        except RegistryError:
            return error_page(page, exc)
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


def _status_context(job: JobView) -> dict[str, Any]:
    report = job.report or {}
    return {
        "job": job,
        "counts": [(a, report.get(a, 0)) for a in ACTIONS],
        "by_rule": report.get("by_rule", {}),
    }


@router.get("/imports/{job_id}", response_class=HTMLResponse)
def job_page(page: Page, job_id: str) -> Response:
    """Show an import's progress (refreshing while it runs), then its summary."""
    try:
        job = ImportJobs(page.platform, page.actor).get(_job_id(job_id))
        place = place_of(page, job.registry, job.facility)
    except RegistryError as exc:
        return error_page(page, exc)
    return page.render(
        "import_job.html",
        place=place,
        may_import=place.writes(job.facility),
        **_status_context(job),
    )


@router.get("/imports/{job_id}/status", response_class=HTMLResponse)
def job_status(page: Page, job_id: str) -> Response:
    """Return the status part of the job page (htmx polls it every second while running)."""
    try:
        job = ImportJobs(page.platform, page.actor).get(_job_id(job_id))
        place = place_of(page, job.registry, job.facility)
    except RegistryError as exc:
        return error_page(page, exc)
    return page.render(
        "_import_status.html", may_import=place.writes(job.facility), **_status_context(job)
    )


@router.post("/imports/{job_id}/commit", response_class=HTMLResponse)
def commit(page: Page, job_id: str) -> Response:
    """Import the checked file for real; show the new job."""
    try:
        job = ImportJobs(page.platform, page.actor).commit_again(_job_id(job_id))
    except RegistryError as exc:
        return error_page(page, exc)
    return RedirectResponse(f"/imports/{job.id}", status_code=303)
