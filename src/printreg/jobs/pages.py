"""Job pages: ask for an export job from the import and export page, and follow any job you
asked for (an export, an analytics refresh, a research extract) until it is done."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.cases.export_jobs import ExportJobs, JobFormat
from printreg.domain.errors import NotFound
from printreg.jobs.tasks import Tasks
from printreg.web.pages.common import Page
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)
KINDS = {"export": "Export", "analytics-refresh": "Analytics refresh", "extract": "Extract"}


def _job_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound.no_such("job") from None


@router.post("/registries/{registry}/exports", response_class=HTMLResponse)
def ask_export(
    page: Page,
    registry: str,
    fmt: Annotated[JobFormat, Form(alias="format")] = "csv",
    facility: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Queue an export of the person's cases (or one facility's); show its job."""
    job = ExportJobs(page.platform, page.actor).submit(registry, fmt, facility or None)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(page: Page, job_id: str) -> Response:
    """Show a job you asked for (refreshing while it runs), then its result and file."""
    job = Tasks(page.platform, page.actor).get(_job_id(job_id))
    place = place_of(page, job.registry)
    return page.render("job.html", place=place, job=job, kind=KINDS[job.kind])


@router.get("/jobs/{job_id}/status", response_class=HTMLResponse)
def job_status(page: Page, job_id: str) -> Response:
    """Return the status part of the job page (htmx polls it every second while it runs)."""
    job = Tasks(page.platform, page.actor).get(_job_id(job_id))
    return page.render("_job_status.html", job=job, kind=KINDS[job.kind])
