"""File imports as background jobs, for the API and the pages: upload, poll, result, commit.

One job is one run of the ``Importer`` over an uploaded file, kept under
``<data_dir>/imports/<job id>/`` with its error file. The job row carries the status
(queued → running → done | failed), the rows processed so far and the import report. A dry run
followed by "commit" is two jobs over the same stored file (``commit_again``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, update

from printreg.domain.errors import Conflict, InvalidRequest, NotFound
from printreg.services.actor import Actor
from printreg.services.imports import Format, Importer, detect_format
from printreg.services.platform import Platform
from printreg.storage.platform import Facility, ImportJob, utcnow

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
CHUNK = 1024 * 1024
PROGRESS_SECONDS = 0.5  # at most one progress write per job this often
FINISHED = frozenset({"done", "failed"})
INTERNAL_FAILURE = (
    "the import stopped because of an internal error; every batch reported as written is "
    "whole and nothing else was stored: try again, or ask the registry team"
)

_threads: dict[uuid.UUID, threading.Thread] = {}
_live_rows: dict[uuid.UUID, int] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class JobView:
    """An import job as callers see it."""

    id: uuid.UUID
    registry: str
    facility: str
    filename: str
    format: str
    commit: bool
    all_or_nothing: bool
    status: str
    rows_done: int
    report: dict[str, Any] | None
    has_error_file: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        """Return whether the job has stopped (done or failed)."""
        return self.status in FINISHED

    @property
    def message(self) -> str | None:
        """Return why the file could not be imported, when it could not."""
        problem = (self.report or {}).get("problem")
        return str(problem) if problem else None


def _view(job: ImportJob, facility_code: str) -> JobView:
    live = _live_rows.get(job.id, 0) if job.status not in FINISHED else 0
    return JobView(
        id=job.id,
        registry=job.registry_code,
        facility=facility_code,
        filename=job.filename,
        format=job.format,
        commit=job.commit,
        all_or_nothing=job.all_or_nothing,
        status=job.status,
        rows_done=max(job.rows_done, live),
        report=job.report,
        has_error_file=job.error_file is not None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _safe_name(filename: str) -> str:
    """Return the file's own name: printable, without any folder part, at most 255 characters."""
    shown = "".join(c for c in filename if c.isprintable())
    name = shown.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[-255:] or "upload"


class ImportJobs:
    """Submits, runs and reports file imports for one actor."""

    def __init__(
        self, platform: Platform, actor: Actor, *, max_bytes: int = MAX_UPLOAD_BYTES
    ) -> None:
        self.platform = platform
        self.actor = actor
        self.max_bytes = max_bytes

    # -- files ----------------------------------------------------------------------------------

    def _folder(self, job_id: uuid.UUID) -> Path:
        return Path(self.platform.settings.data_dir) / "imports" / str(job_id)

    def _copy(self, stream: BinaryIO, target: Path) -> bool:
        """Copy the upload in chunks; return False as soon as it is over the size limit."""
        size = 0
        with target.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    return False
                out.write(chunk)
        return True

    def _store(self, folder: Path, kind: Format, stream: BinaryIO) -> Path:
        """Copy the upload into the job's folder; InvalidRequest when it is over the limit."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"upload.{kind}"
        try:
            fits = self._copy(stream, target)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if not fits:
            shutil.rmtree(folder, ignore_errors=True)
            raise InvalidRequest(
                f"the file is larger than {self.max_bytes // (1024 * 1024)} MB: split it into "
                "smaller files, or import it with 'printreg import'"
            )
        return target

    # -- use cases ------------------------------------------------------------------------------

    def check_submit(self, registry: str, facility_code: str) -> None:
        """Return when the actor may import into the facility's cases of the registry (so that an
        upload is read only then); NotFound or Forbidden, as ``submit`` would, otherwise."""
        importer = Importer(self.platform, self.actor, registry, facility_code)  # authorizes
        self.actor.require_case_write(registry, importer.facility_id)

    def submit(
        self,
        registry: str,
        facility_code: str,
        filename: str,
        stream: BinaryIO,
        *,
        commit: bool = False,
        all_or_nothing: bool = False,
    ) -> JobView:
        """Store an uploaded file and start importing it; return the queued job."""
        name = _safe_name(filename)
        try:
            kind = detect_format(Path(name))
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        importer = Importer(self.platform, self.actor, registry, facility_code)  # authorizes
        self.actor.require_case_write(registry, importer.facility_id)
        job_id = uuid.uuid4()
        folder = self._folder(job_id)
        stored = self._store(folder, kind, stream)
        return self._start(
            importer, job_id, name, kind, stored, commit=commit, all_or_nothing=all_or_nothing
        )

    def commit_again(self, job_id: uuid.UUID) -> JobView:
        """Start a new job that commits the file a finished job (usually a dry run) checked."""
        job, code = self._load(job_id)
        if job.status not in FINISHED:
            raise Conflict("this import has not finished yet: wait for its summary")
        source = Path(job.stored_file)
        if not source.is_file():
            raise NotFound("the uploaded file of this import is no longer kept: upload it again")
        importer = Importer(self.platform, self.actor, job.registry_code, code)
        self.actor.require_case_write(job.registry_code, importer.facility_id)
        new_id = uuid.uuid4()
        folder = self._folder(new_id)
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / source.name
        try:
            os.link(source, stored)
        except OSError:
            shutil.copyfile(source, stored)
        kind: Format = detect_format(stored)
        return self._start(
            importer,
            new_id,
            job.filename,
            kind,
            stored,
            commit=True,
            all_or_nothing=job.all_or_nothing,
        )

    def get(self, job_id: uuid.UUID) -> JobView:
        """Return a job; NotFound unless the actor may read its facility's cases."""
        job, code = self._load(job_id)
        return _view(job, code)

    def error_file(self, job_id: uuid.UUID) -> Path:
        """Return the path of a job's error file; NotFound when it has none."""
        job, _ = self._load(job_id)
        if job.error_file is None or not Path(job.error_file).is_file():
            raise NotFound("this import has no error file: no row was rejected")
        return Path(job.error_file)

    def wait(self, job_id: uuid.UUID, timeout: float = 30.0) -> JobView:
        """Return the job once it has finished; TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with _lock:
            thread = _threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        while True:
            view = self.get(job_id)
            if view.finished:
                return view
            if time.monotonic() >= deadline:
                raise TimeoutError(f"import {job_id} has not finished after {timeout} s")
            time.sleep(0.05)

    # -- internals ------------------------------------------------------------------------------

    def _load(self, job_id: uuid.UUID) -> tuple[ImportJob, str]:
        with self.platform.sessions() as session:
            found = session.execute(
                select(ImportJob, Facility.code)
                .join(Facility, Facility.id == ImportJob.facility_id)
                .where(ImportJob.id == job_id)
            ).first()
        if found is None:
            raise NotFound.no_such("import")
        job, code = found
        try:
            self.actor.require_case_read(job.registry_code, job.facility_id)
        except NotFound:  # another facility's import reads as one that does not exist
            raise NotFound.no_such("import") from None
        return job, code

    def _start(
        self,
        importer: Importer,
        job_id: uuid.UUID,
        filename: str,
        kind: Format,
        stored: Path,
        *,
        commit: bool,
        all_or_nothing: bool,
    ) -> JobView:
        job = ImportJob(
            id=job_id,
            registry_code=importer.runtime.code,
            facility_id=importer.facility_id,
            user_id=self.actor.user_id,
            filename=filename,
            format=kind,
            commit=commit,
            all_or_nothing=all_or_nothing,
            status="queued",
            rows_done=0,
            stored_file=str(stored),
            created_at=utcnow(),
        )
        with self.platform.sessions.begin() as session:
            session.add(job)
        view = _view(job, importer.facility_code)
        error_path = stored.with_name(f"errors.{'csv' if kind == 'csv' else 'jsonl'}")
        thread = threading.Thread(
            target=self._run,
            args=(importer, job_id, filename, stored, kind, commit, all_or_nothing, error_path),
            name=f"import-{job_id}",
            daemon=True,
        )
        with _lock:
            _threads[job_id] = thread
            _live_rows[job_id] = 0
        thread.start()
        return view

    def _set(self, job_id: uuid.UUID, **values: Any) -> None:
        with self.platform.sessions.begin() as session:
            session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    def _progress(self, job_id: uuid.UUID, write: bool) -> Callable[[int], None]:
        """Return the progress callback: counts rows, writes them at most every half second."""
        last = [time.monotonic()]

        def advance(rows: int) -> None:
            done = _live_rows.get(job_id, 0) + rows
            _live_rows[job_id] = done
            now = time.monotonic()
            if write and now - last[0] >= PROGRESS_SECONDS:
                last[0] = now
                self._set(job_id, rows_done=done)

        return advance

    def _run(
        self,
        importer: Importer,
        job_id: uuid.UUID,
        filename: str,
        stored: Path,
        kind: Format,
        commit: bool,
        all_or_nothing: bool,
        error_path: Path,
    ) -> None:
        # One transaction holds SQLite's write lock for the whole file with all_or_nothing:
        # then progress is kept in memory only.
        write = not (all_or_nothing and self.platform.engine.dialect.name == "sqlite")
        try:
            self._set(job_id, status="running")
            report = importer.run(
                stored,
                kind,
                commit=commit,
                all_or_nothing=all_or_nothing,
                error_path=error_path,
                progress=self._progress(job_id, write),
            )
            data = report.as_dict()
            data["file"] = filename
            del data["error_file"]  # a server path: the job says whether there is one
            self._set(
                job_id,
                status="failed" if report.problem else "done",
                rows_done=report.rows,
                report=data,
                error_file=report.error_file,
                finished_at=utcnow(),
            )
        except Exception as exc:  # noqa: BLE001 - the job records the failure; the thread ends
            log.error("import job %s failed: %s", job_id, type(exc).__name__)  # noqa: TRY400 - no values
            try:
                self._set(
                    job_id,
                    status="failed",
                    report={"problem": INTERNAL_FAILURE},
                    finished_at=utcnow(),
                )
            except Exception:  # noqa: BLE001 - the database itself is gone
                log.error("import job %s: could not record the failure", job_id)  # noqa: TRY400
        finally:
            with _lock:
                _threads.pop(job_id, None)
                _live_rows.pop(job_id, None)
