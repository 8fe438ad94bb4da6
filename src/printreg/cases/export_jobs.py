"""Export jobs: a large export written by the job queue into the data folder, for the person
who asked.

``GET /registries/{registry}/export`` still streams a small export in the request (its contract
is a file answer); ``ExportJobs.submit`` queues the same export as a task (``jobs.tasks``) that
writes ``<data_dir>/tasks/<id>/<registry>-cases.<ext>``, kept ``export_hours`` and then deleted
by ``jobs.tasks.sweep``.

Scope: the facilities the export covers are fixed when it is asked for (the one named, or every
facility the caller then reads, None for registry-wide readers), and the job reads no more than
those with the asker's rights of when it runs. The file goes only to the person who asked, and
only while they still read every facility it covers (an API token: the facility it is scoped
to); anyone else is told "no such job".
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.cases.exports import NO_CASE_DATA, counted, export_cases, export_records
from printreg.domain.errors import Forbidden, NotFound
from printreg.facilities.models import Facility
from printreg.jobs import tasks
from printreg.jobs.models import TaskJob
from printreg.jobs.schemas import TaskOut
from printreg.platform import Platform

KIND = "export"
JobFormat = Literal["csv", "jsonl", "parquet", "redcap"]
FORMATS: tuple[str, ...] = get_args(JobFormat)
#: the file's ending and media type by format (REDCap's flat import file is a CSV)
FILES: dict[str, tuple[str, str]] = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "jsonl": ("jsonl", "application/x-ndjson"),
    "parquet": ("parquet", "application/vnd.apache.parquet"),
    "redcap": ("redcap.csv", "text/csv; charset=utf-8"),
}


class ExportJobs:
    """Queues exports of the cases an actor may read."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def _facility_id(self, code: str) -> int | None:
        with self.platform.sessions() as session:
            found: int | None = session.scalar(select(Facility.id).where(Facility.code == code))
        return found

    def submit(self, registry: str, fmt: JobFormat, facility_code: str | None = None) -> TaskOut:
        """Queue an export of the actor's cases (or one facility's); return the job.

        NotFound for an unknown registry or a facility the actor may not read; Forbidden to a
        person who reads no facility's cases."""
        self.platform.registry(registry)  # NotFound if unknown
        readable = self.actor.readable_facilities(registry)  # Forbidden: a token without scope
        facility_id = None
        if facility_code is not None:
            facility_id = self._facility_id(facility_code)
            if facility_id is None or (readable is not None and facility_id not in readable):
                raise NotFound.no_such("facility")
            scope: list[int] | None = [facility_id]
        else:
            if readable == []:
                raise Forbidden(NO_CASE_DATA)
            scope = readable
        tasks.sweep(self.platform)  # no worker may run in "inprocess" mode: clean up here too
        params = {"format": fmt, "facility": facility_code, "facilities": scope}
        return tasks.Tasks(self.platform, self.actor).submit(
            KIND, registry, facility_id=facility_id, params=params
        )


def media_type(path: Path) -> str:
    """Return the media type of an export job's file."""
    for ending, media in FILES.values():
        if path.name.endswith("." + ending):
            return media
    return "application/octet-stream"


def _run(
    platform: Platform, actor: Actor, task: TaskJob, progress: tasks.Progress
) -> tasks.Outcome:
    """Write the export into the task's folder; return its case count and file."""
    fmt = str(task.params["format"])
    within = task.params.get("facilities")
    facility = task.params.get("facility")
    folder = tasks.folder(platform, task.id)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{task.registry_code}-cases.{FILES[fmt][0]}"
    if fmt == "redcap":
        from printreg.dictionary.redcap import write_redcap_records  # noqa: PLC0415

        definition = platform.registry(task.registry_code).current
        records = export_records(platform, actor, task.registry_code, facility, within)
        with out.open("w", encoding="utf-8", newline="") as handle:
            count = write_redcap_records(definition, counted(records, progress), handle,
                                         data_access_group=facility is None)  # fmt: skip
    else:
        count, _ = export_cases(platform, actor, task.registry_code, fmt, out, facility,  # type: ignore[arg-type]
                                within=within, progress=progress)  # fmt: skip
    return tasks.Outcome({"cases": count, "format": fmt, "facility": facility}, out,
                         keep_hours=platform.settings.export_hours)  # fmt: skip


def _visible(_platform: Platform, actor: Actor, task: TaskJob) -> bool:
    """Return whether the actor still reads every facility the export covers."""
    try:
        readable = actor.readable_facilities(task.registry_code)
    except Forbidden:  # an API token without cases:read
        return False
    covered = task.params.get("facilities")
    if readable is None:
        return True
    return covered is not None and set(covered) <= set(readable)


tasks.register_task(KIND, _run, _visible)
