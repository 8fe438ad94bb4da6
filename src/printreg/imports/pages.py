"""Import pages: upload a file (checked first, a dry run), follow its job, commit it; exports."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from printreg.dictionary.dates import date_formats
from printreg.domain.errors import NotFound, RegistryError
from printreg.facilities.service import FacilityService
from printreg.imports.jobs import ImportJobs, JobView
from printreg.imports.report import by_rule_with_problems
from printreg.registries.service import RegistryService
from printreg.web.errors import status_of
from printreg.web.pages.common import CSRF_FIELD, Page, PageContext, UploadPage, require_csrf
from printreg.web.pages.home import error_page, place_of
from printreg.web.uploads import read_upload

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
    order = FacilityService(page.platform, page.actor).date_order(code) if code else None
    return page.render(
        "import.html",
        status_code=status_code,
        place=place,
        facility=code,
        date_formats=date_formats(order),
        may_import=bool(code) and place.writes(code),
        problem=problem,
    )


@router.get("/registries/{registry}/import", response_class=HTMLResponse)
def import_form(
    page: Page, registry: str, facility: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    """Show the upload form (people who enter cases) and the export links."""
    return _import_page(page, registry, facility)


def _refused(page: PageContext, registry: str, facility: str, exc: RegistryError) -> Response:
    """Return the import form with the refusal, or the error page when there is no form."""
    if isinstance(exc, NotFound):
        return error_page(page, exc)
    return _import_page(page, registry, facility, problem=str(exc), status_code=status_of(exc))


def _facility_to_import(page: PageContext, registry: str, facility: str) -> str:
    """Return the code of the facility the person imports into; NotFound or Forbidden when they
    may not (checked before the upload is read)."""
    place = place_of(page, registry, facility or None)
    if place.facility is None:
        raise NotFound("choose a facility first (from the home page)")
    code = place.facility.code
    _jobs(page).check_submit(registry, code)
    return code


def _jobs(page: PageContext) -> ImportJobs:
    return ImportJobs(page.platform, page.actor, max_bytes=page.platform.settings.import_max_bytes)


@router.post("/registries/{registry}/import", response_class=HTMLResponse)
async def upload(
    page: UploadPage,
    request: Request,
    registry: str,
    facility: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Store the file and start checking it (a dry run); show its job.

    The person's right to import at the facility is checked before the file is read; the file
    streams to the job's folder (refused past ``import_max_bytes``)."""
    try:
        code = await run_in_threadpool(_facility_to_import, page, registry, facility)
    except RegistryError as exc:
        return await run_in_threadpool(_refused, page, registry, facility, exc)
    try:
        sent = await read_upload(
            request,
            max_bytes=page.platform.settings.import_max_bytes,
            max_files=1,
            what="import file",
            setting="import_max_bytes",
            spool=True,
        )
    except RegistryError as exc:
        return await run_in_threadpool(_refused, page, registry, code, exc)
    try:
        require_csrf(page, sent.fields.get(CSRF_FIELD))
        if not sent.spooled:
            return await run_in_threadpool(
                partial(_import_page, problem="choose a file to upload", status_code=400),
                page,
                registry,
                code,
            )
        name, stream = sent.spooled[0]
        job = await run_in_threadpool(
            partial(
                _jobs(page).submit,
                commit=False,
                all_or_nothing=bool(sent.fields.get("all_or_nothing")),
            ),
            registry,
            code,
            name,
            stream,
        )
    except RegistryError as exc:
        return await run_in_threadpool(_refused, page, registry, code, exc)
    finally:
        sent.close()
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


def _status_context(job: JobView) -> dict[str, Any]:
    report = job.report or {}
    return {
        "job": job,
        "counts": [(a, report.get(a, 0)) for a in ACTIONS],
        "by_rule": by_rule_with_problems(report),
        "listed": len(report.get("problems") or []),
        "problem_count": sum((report.get("by_rule") or {}).values()),
        "stored": report.get("stored") or [],
        "fixed": set(job.fixed),
    }


@router.get("/imports/{job_id}", response_class=HTMLResponse)
def job_page(page: Page, job_id: str) -> Response:
    """Show an import's progress (refreshing while it runs), then its summary."""
    job = ImportJobs(page.platform, page.actor).get(_job_id(job_id))
    place = place_of(page, job.registry, job.facility)
    return page.render(
        "import_job.html",
        place=place,
        may_import=place.writes(job.facility),
        **_status_context(job),
    )


@router.get("/imports/{job_id}/status", response_class=HTMLResponse)
def job_status(page: Page, job_id: str) -> Response:
    """Return the status part of the job page (htmx polls it every second while running)."""
    job = ImportJobs(page.platform, page.actor).get(_job_id(job_id))
    place = place_of(page, job.registry, job.facility)
    return page.render(
        "_import_status.html", may_import=place.writes(job.facility), **_status_context(job)
    )


@router.post("/imports/{job_id}/commit", response_class=HTMLResponse)
def commit(page: Page, job_id: str) -> Response:
    """Import the checked file for real; show the new job."""
    job = ImportJobs(page.platform, page.actor).commit_again(_job_id(job_id))
    return RedirectResponse(f"/imports/{job.id}", status_code=303)
