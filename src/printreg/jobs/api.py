"""API routes of task jobs (exports, analytics refreshes, research extracts): status and file.

Each route answers only the person who asked for the job (and only while they may still see
what it covers); anyone else gets 404 "no such job", as for an id that does not exist.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import FileResponse

from printreg.cases.export_jobs import media_type
from printreg.jobs.schemas import TaskOut
from printreg.jobs.tasks import Tasks
from printreg.web.api.common import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/api/v1",
    tags=["jobs"],
    responses={**ERRORS, 410: {"description": "The job's file was kept for a time and deleted"}},
)


@router.get("/jobs/{job_id}")
def get_job(job_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> TaskOut:
    """Return a job you asked for: its status, rows done so far and, once done, its result."""
    return Tasks(platform, actor).get(job_id)


@router.get(
    "/jobs/{job_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
)
def job_file(job_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> FileResponse:
    """Download the file a finished export job wrote; 409 before it is done, 410 once deleted."""
    path, _ = Tasks(platform, actor).file(job_id)
    return FileResponse(
        path,
        media_type=media_type(path),
        filename=path.name,
        headers={"Cache-Control": "no-store"},
    )
