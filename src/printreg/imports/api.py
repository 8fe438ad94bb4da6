"""API routes for bulk files: import jobs (upload, poll, errors, commit), exports, the template."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from printreg.cases.export_jobs import ExportJobs, JobFormat
from printreg.cases.exports import export_cases
from printreg.domain.errors import InvalidRequest
from printreg.facilities.service import FacilityService
from printreg.imports.jobs import ImportJobs, JobView
from printreg.ingest import FlatLayout
from printreg.jobs.schemas import TaskOut
from printreg.registries.service import RegistryService
from printreg.web.api.common import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute
from printreg.web.uploads import TOO_LARGE, multipart_body, read_upload

router = APIRouter(route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS)
FacilityQuery = Annotated[str, Query(min_length=1, max_length=32, description="Facility code")]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


class ImportJobOut(BaseModel):
    """An import job: its status, the rows processed so far and, once done, the report.

    ``report`` holds rows, new, updated, unchanged, rejected, by_rule (counts of problems by
    rule), problems (the first 50: line, case, column, rule, message; never a cell's value),
    stored (the first 100 cases stored: case, action), rejected_ids, committed, rolled_back and
    problem (why the file could not be imported, if it could not). ``fixed`` lists the rejected
    local case IDs stored since by a later import or edit. ``upload_kept`` says whether the
    uploaded file is still kept to be committed.
    """

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    registry: str
    facility: str
    filename: str
    format: str
    commit: bool
    all_or_nothing: bool
    status: Literal["queued", "running", "done", "failed"]
    rows_done: int
    report: dict[str, Any] | None
    has_error_file: bool
    upload_kept: bool
    message: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    fixed: list[str]


def _job(view: JobView) -> ImportJobOut:
    return ImportJobOut.model_validate(view)


@router.post(
    "/registries/{registry}/imports",
    tags=["imports"],
    status_code=status.HTTP_202_ACCEPTED,
    responses=TOO_LARGE,
    openapi_extra=multipart_body(
        "file", "A .csv, .xlsx, .jsonl or .json file of cases", many=False
    ),
)
async def submit_import(
    registry: str,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    facility: FacilityQuery,
    commit: bool = False,
    all_or_nothing: bool = False,
) -> ImportJobOut:
    """Upload a file to import; a dry run unless ``commit``. Poll the returned job.

    The caller's right to import at the facility is checked before the file is read; the file
    streams to the job's folder (413 past ``import_max_bytes``)."""
    jobs = ImportJobs(platform, actor, max_bytes=platform.settings.import_max_bytes)
    await run_in_threadpool(jobs.check_submit, registry, facility)
    upload = await read_upload(
        request,
        max_bytes=platform.settings.import_max_bytes,
        max_files=1,
        what="import file",
        setting="import_max_bytes",
        spool=True,
    )
    try:
        if not upload.spooled:
            raise InvalidRequest("send the file to import as the multipart/form-data field 'file'")
        name, stream = upload.spooled[0]
        view = await run_in_threadpool(
            jobs.submit,
            registry,
            facility,
            name or "upload.csv",
            stream,
            commit=commit,
            all_or_nothing=all_or_nothing,
        )
    finally:
        upload.close()
    return _job(view)


@router.get("/imports/{job_id}", tags=["imports"])
def get_import(job_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> ImportJobOut:
    """Return an import job's status, progress and (when done) report."""
    return _job(ImportJobs(platform, actor).get(job_id))


@router.get(
    "/imports/{job_id}/errors",
    tags=["imports"],
    response_class=FileResponse,
    responses={200: {"description": "The rejected rows with an _errors column"}},
)
def import_errors(job_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> FileResponse:
    """Download the rejected rows, in the file's own layout plus ``_errors``; 404 when none."""
    jobs = ImportJobs(platform, actor)
    path = jobs.error_file(job_id)
    stem = Path(jobs.get(job_id).filename).stem or "import"
    kind = path.suffix.lstrip(".") if path.suffix in {".csv", ".xlsx"} else "jsonl"
    return FileResponse(path, media_type=MEDIA_TYPES[kind], filename=f"{stem}.errors.{kind}")


@router.post("/imports/{job_id}/commit", tags=["imports"], status_code=status.HTTP_202_ACCEPTED)
def commit_import(job_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> ImportJobOut:
    """Import the file a finished (dry-run) job checked, for real: returns the new job."""
    return _job(ImportJobs(platform, actor).commit_again(job_id))


@router.get(
    "/registries/{registry}/export",
    tags=["exports"],
    response_class=FileResponse,
    responses={200: {"description": "The cases, streamed as CSV, JSON Lines or Parquet"}},
)
def export(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    fmt: Annotated[Literal["csv", "jsonl", "parquet"], Query(alias="format")] = "csv",
    facility: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> FileResponse:
    """Download every case the caller may read (or one facility's) in one file, written while the
    request waits: for large exports, ``POST /registries/{registry}/exports`` runs it as a job."""
    folder = Path(tempfile.mkdtemp(prefix="printreg-export-"))
    try:
        out = folder / f"{registry}-cases.{fmt}"
        export_cases(platform, actor, registry, fmt, out, facility)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type=MEDIA_TYPES[fmt],
        filename=out.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post(
    "/registries/{registry}/exports", tags=["exports"], status_code=status.HTTP_202_ACCEPTED
)
def submit_export(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    fmt: Annotated[JobFormat, Query(alias="format")] = "csv",
    facility: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> TaskOut:
    """Queue an export of every case you may read (or one facility's) as a job; poll
    ``/jobs/{id}`` and download ``/jobs/{id}/file`` (yours only, for ``export_hours``).

    ``format`` redcap writes REDCap's flat import CSV. For large exports: the job writes the
    file on the server while you wait for nothing."""
    return ExportJobs(platform, actor).submit(registry, fmt, facility)


@router.get(
    "/registries/{registry}/template.csv",
    tags=["exports"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The CSV import template"}},
)
def template_csv(registry: str, platform: PlatformDep, actor: ActorDep) -> Response:
    """Return the empty CSV import template of the registry's current definition."""
    definition = RegistryService(platform, actor).definition(registry)
    return Response(
        FlatLayout(definition).template_csv(),
        media_type=MEDIA_TYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{registry}-template.csv"'},
    )


@router.get(
    "/registries/{registry}/template.xlsx",
    tags=["exports"],
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}},
                     "description": "The Excel import template: drop-down lists, column help"}},
)  # fmt: skip
def template_xlsx(registry: str, platform: PlatformDep, actor: ActorDep) -> Response:
    """Return the Excel import template of the registry's current definition."""
    from printreg.imports.template_xlsx import template_xlsx as workbook  # noqa: PLC0415 - heavy

    definition = RegistryService(platform, actor).definition(registry)
    return Response(
        workbook(definition),
        media_type=MEDIA_TYPES["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{registry}-template.xlsx"'},
    )


@router.get(
    "/registries/{registry}/template.zip",
    tags=["exports"],
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "The template, an example row, code lists, codebook and README",
        }
    },
)
def template_zip(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> Response:
    """Return the import template bundle; with ``facility``, its printers and date order."""
    from printreg.imports.template import bundle  # noqa: PLC0415 - loads the synthetic generator

    definition = RegistryService(platform, actor).definition(registry)
    printers: dict[str, str] = {}
    order = None
    if facility is not None:
        service = FacilityService(platform, actor)
        order = service.date_order(facility)  # NotFound unless the actor may see it
        printers = {p.label: p.technology for p in service.printers(facility)}
    content = bundle(definition, registry, printers=printers, date_order=order)
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{registry}-import-template.zip"'},
    )
