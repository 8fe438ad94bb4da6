"""File imports as background jobs, for the API and the pages: upload, poll, result, commit.

One job is one run of the ``Importer`` over an uploaded file, kept under
``<data_dir>/imports/<job id>/`` with its error file. The job row carries the status
(queued → running → done | failed), the rows processed so far and the import report. A dry run
followed by "commit" is two jobs over the same stored file (``commit_again``).

A job survives the process running it: the row names that process (host, pid and a random id
per process) and each committed batch writes the job's progress in its own transaction, so the
rows reported are the rows committed. At start-up (``recover``) and whenever a job is looked at,
a job left queued or running by a process that is gone is failed with a message saying how many
rows were committed. The upload is deleted when its job ends, but for a clean dry run (kept to be
committed) and a job stopped by a crash (kept to be committed again), both for
``import_upload_hours``; the redacted error file stays.

With ``job_runner`` "queue" the job is not started here: ``_start`` queues it (``jobs.queue``)
in the transaction that adds its row, and a ``printreg worker`` runs the same ``_run`` through
``run_queued``; a worker that dies is the queue's to notice (its lease runs out), and the job is
run again or failed (``queued_gave_up``), never by the web process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.domain.errors import Conflict, InvalidRequest, NotFound
from printreg.facilities.models import Facility
from printreg.imports.models import ImportJob
from printreg.imports.report import ImportReport
from printreg.imports.service import Format, Importer, detect_format
from printreg.ingest.xlsx import looks_like_xlsx
from printreg.jobs import queue
from printreg.ops.metrics import count_import_rows
from printreg.platform import Platform
from printreg.storage.base import utcnow

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
CHUNK = 1024 * 1024
PROGRESS_SECONDS = 0.5  # at most one progress write per job this often (dry runs, staging)
FINISHED = frozenset({"done", "failed"})
INTERNAL_FAILURE = (
    "the import stopped because of an internal error; every batch reported as written is "
    "whole and nothing else was stored: try again, or ask the registry team"
)

# This process, as job rows name their runner: the random id tells a restarted process that got
# the same pid (pid 1 in a container) from the one that started the job.
RUNNER_HOST = socket.gethostname()[:255]
RUNNER_ID = str(uuid.uuid4())

QUEUE_KIND = "import"  # the job function's name in the job queue (job_runner "queue")

_threads: dict[uuid.UUID, threading.Thread] = {}
_live_rows: dict[uuid.UUID, int] = {}
_lock = threading.Lock()


def stopped_message(rows_committed: int) -> str:
    """Return the message of a job whose process stopped after committing that many rows."""
    return (
        "the process running this import stopped before it finished; "
        f"{rows_committed} rows were committed (whole batches, nothing else): commit the file "
        "again to import the rest (rows already stored come back unchanged), or upload it again"
    )


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
    upload_kept: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None
    #: local case IDs of rows this job rejected that a later import or edit has since stored
    fixed: tuple[str, ...] = ()

    @property
    def still_rejected(self) -> int:
        """Return how many rejected rows are still to be fixed (those not stored since)."""
        return max(int((self.report or {}).get("rejected") or 0) - len(self.fixed), 0)

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
        upload_kept=Path(job.stored_file).is_file(),
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
        with target.open("rb") as head:
            workbook = looks_like_xlsx(head.read(4))
        if workbook != (kind == "xlsx"):  # the name and the content must agree
            shutil.rmtree(folder, ignore_errors=True)
            raise InvalidRequest(
                "the file is not an Excel workbook: save it from Excel as .xlsx"
                if kind == "xlsx"
                else "the file is an Excel workbook: upload it with its .xlsx name"
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
        importer = self._importer(registry, facility_code)  # authorizes
        self.actor.require_case_write(registry, importer.facility_id)
        sweep_uploads(self.platform)
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
        importer = self._importer(job.registry_code, code)
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
        view = _view(job, code)
        if view.finished and job.finished_at is not None:
            rejected = [str(i) for i in (job.report or {}).get("rejected_ids") or []]
            fixed = self._stored_since(job, rejected) if rejected else ()
            view = dataclasses.replace(view, fixed=fixed)
        return view

    def _stored_since(self, job: ImportJob, local_ids: list[str]) -> tuple[str, ...]:
        """Return those local case IDs whose case was stored or changed after the job ended."""
        assert job.finished_at is not None  # noqa: S101 - only finished jobs are looked at
        main = self.platform.registry(job.registry_code).tables.main
        found: set[str] = set()
        with self.platform.sessions() as session:
            for start in range(0, len(local_ids), 500):  # bounded IN lists on both databases
                found.update(
                    session.scalars(
                        select(main.c.local_case_id).where(
                            main.c.facility_id == job.facility_id,
                            main.c.local_case_id.in_(local_ids[start : start + 500]),
                            main.c.updated_at > job.finished_at,
                            main.c.deleted_at.is_(None),
                        )
                    )
                )
        return tuple(i for i in dict.fromkeys(local_ids) if i in found)

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

    def _importer(self, registry: str, facility_code: str) -> Importer:
        return Importer(self.platform, self.actor, registry, facility_code,
                        batch_rows=self.platform.settings.import_batch_rows)  # fmt: skip

    def _load(self, job_id: uuid.UUID) -> tuple[ImportJob, str]:
        """Return a job the actor may read and its facility code; a job whose process is gone
        is failed first (so that it can be committed again at once)."""
        found = self._find(job_id)
        if found is None:
            raise NotFound.no_such("import")
        job, code = found
        try:
            self.actor.require_case_read(job.registry_code, job.facility_id)
        except NotFound:  # another facility's import reads as one that does not exist
            raise NotFound.no_such("import") from None
        if job.status not in FINISHED and not _alive(self.platform, job):
            _fail_stopped(self.platform, job)
            again = self._find(job_id)
            job = again[0] if again is not None else job  # jobs are never deleted
        return job, code

    def _find(self, job_id: uuid.UUID) -> tuple[ImportJob, str] | None:
        with self.platform.sessions() as session:
            found = session.execute(
                select(ImportJob, Facility.code)
                .join(Facility, Facility.id == ImportJob.facility_id)
                .where(ImportJob.id == job_id)
            ).first()
        return None if found is None else (found[0], found[1])

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
        now = utcnow()
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
            created_at=now,
            runner_host=RUNNER_HOST,
            runner_pid=os.getpid(),
            runner_id=RUNNER_ID,
            heartbeat_at=now,
            rows_committed=0,
        )
        if self.platform.settings.job_runner == "queue":
            # A worker claims it: no process of its own yet (the queue's lease says who runs it).
            job.runner_host = job.runner_id = job.runner_pid = None
            with self.platform.sessions.begin() as session:
                session.add(job)
                session.flush()  # the job row first: the queued job names it
                queue.enqueue(session, QUEUE_KIND, {"import_job": str(job_id)},
                              max_attempts=self.platform.settings.job_attempts)  # fmt: skip
            return _view(job, importer.facility_code)
        error_path = _error_path(stored, kind)
        thread = threading.Thread(
            target=self._run,
            args=(importer, job_id, filename, stored, kind, commit, all_or_nothing, error_path),
            name=f"import-{job_id}",
            daemon=True,
        )
        with _lock:  # before the row exists: a look at it must find the job alive
            _threads[job_id] = thread
            _live_rows[job_id] = 0
        try:
            with self.platform.sessions.begin() as session:
                session.add(job)
        except BaseException:
            with _lock:
                _threads.pop(job_id, None)
                _live_rows.pop(job_id, None)
            raise
        view = _view(job, importer.facility_code)
        thread.start()
        return view

    def _set(self, job_id: uuid.UUID, **values: Any) -> None:
        with self.platform.sessions.begin() as session:
            session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    def _progress(self, job_id: uuid.UUID, write: bool, commit: bool) -> Callable[[int], None]:
        """Return the progress callback: counts rows (in the metrics too) and, when ``write``
        (no batch commits to carry them: a dry run, a staged file), writes them at most every
        half second."""
        last = [time.monotonic()]

        def advance(rows: int) -> None:
            count_import_rows(rows, commit=commit)
            done = _live_rows.get(job_id, 0) + rows
            _live_rows[job_id] = done
            now = time.monotonic()
            if write and now - last[0] >= PROGRESS_SECONDS:
                last[0] = now
                self._set(job_id, rows_done=done, heartbeat_at=utcnow())

        return advance

    @staticmethod
    def _on_commit(job_id: uuid.UUID, filename: str) -> Callable[[Session, ImportReport], None]:
        """Return the hook that records a job's progress in the transaction of each committed
        batch: after a crash, the job reports exactly the rows committed."""

        def record(session: Session, report: ImportReport) -> None:
            data = report.as_dict()
            data["file"] = filename
            del data["error_file"]
            session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(
                    rows_done=report.rows,
                    rows_committed=report.rows,
                    heartbeat_at=utcnow(),
                    report=data,
                )
            )

        return record

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
        # Committed batches record progress themselves (``_on_commit``); dry runs and staged
        # all-or-nothing files write it apart, in short transactions of their own.
        apart = not commit or all_or_nothing
        keep = False
        try:
            self._set(job_id, status="running", heartbeat_at=utcnow())
            report = importer.run(
                stored,
                kind,
                commit=commit,
                all_or_nothing=all_or_nothing,
                error_path=error_path,
                staging_dir=stored.parent,
                progress=self._progress(job_id, apart, commit),
                on_commit=self._on_commit(job_id, filename) if commit else None,
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
            # A clean dry run is kept to be committed; a row refused for a suspected identifier
            # leaves nothing of the upload (fix the file and upload it again).
            keep = not commit and report.problem is None and not _identifiers(report)
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
            keep = True  # not the file's fault: it may be committed again
        finally:
            if not keep or self.platform.settings.import_upload_hours == 0:
                stored.unlink(missing_ok=True)
            with _lock:
                _threads.pop(job_id, None)
                _live_rows.pop(job_id, None)


def _identifiers(report: ImportReport) -> bool:
    """Return whether a row was refused for looking like a patient identifier."""
    return any(rule.startswith("identifier_") for rule in report.by_rule)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _pid_alive(pid: int) -> bool:
    """Return whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def _alive(platform: Platform, job: ImportJob) -> bool:
    """Return whether the process running a queued or running job may still be at it.

    This process knows its own jobs; a job of the queue is the queue's to retry or fail (its
    lease, see ``printreg.jobs.queue``). Another process on this host is looked up by pid (a pid
    now ours belongs to an earlier process); one on another host, or a pid that may have been
    reused, counts as alive while the job's heartbeat is fresher than
    ``import_job_stale_minutes``.
    """
    if job.runner_id == RUNNER_ID:
        with _lock:
            return job.id in _threads
    if job.runner_id is None and platform.settings.job_runner == "queue":
        return True  # the queue's leases decide: a dead worker's job is retried or failed
    if (
        job.runner_host == RUNNER_HOST
        and job.runner_pid is not None
        and (job.runner_pid == os.getpid() or not _pid_alive(job.runner_pid))
    ):
        return False
    beat = _aware(job.heartbeat_at or job.created_at)
    stale = dt.timedelta(minutes=platform.settings.import_job_stale_minutes)
    return utcnow() - beat < stale


def _fail_stopped(platform: Platform, job: ImportJob) -> bool:
    """Fail a job whose process is gone, saying how many rows it committed; return whether
    this call did (another process may have done it first)."""
    report = dict(job.report or {})
    report["problem"] = stopped_message(job.rows_committed)
    report["committed"] = False
    with platform.sessions.begin() as session:
        same_runner = (
            ImportJob.runner_id == job.runner_id
            if job.runner_id is not None
            else ImportJob.runner_id.is_(None)
        )
        result = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id, ImportJob.status.not_in(FINISHED), same_runner)
            .values(
                status="failed", rows_done=job.rows_committed, report=report, finished_at=utcnow()
            )
        )
    for leftover in Path(job.stored_file).parent.glob("staging-*"):
        leftover.unlink(missing_ok=True)  # a staged all-or-nothing file: never switched in
    done: bool = result.rowcount == 1  # type: ignore[attr-defined]
    if done:
        log.warning("import job %s: its process stopped; failed at start-up", job.id)
    return done


def sweep_uploads(platform: Platform) -> int:
    """Delete the uploads kept past ``import_upload_hours`` after their job ended; return how
    many were deleted (error files stay)."""
    cutoff = utcnow() - dt.timedelta(hours=platform.settings.import_upload_hours)
    with platform.sessions() as session:
        paths = session.scalars(
            select(ImportJob.stored_file).where(
                ImportJob.status.in_(FINISHED), ImportJob.finished_at < cutoff
            )
        ).all()
    deleted = 0
    for path in map(Path, paths):
        if path.is_file():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def recover(platform: Platform) -> int:
    """Fail every job left queued or running by a process that is gone, and delete the uploads
    kept too long; return how many jobs were failed. Run at start-up."""
    with platform.sessions() as session:
        jobs = session.scalars(select(ImportJob).where(ImportJob.status.not_in(FINISHED))).all()
    failed = sum(_fail_stopped(platform, job) for job in jobs if not _alive(platform, job))
    sweep_uploads(platform)
    # Staging files of `printreg import --all-or-nothing` runs that stopped: a live one is
    # written with every batch.
    stale = time.time() - 60 * platform.settings.import_job_stale_minutes
    for leftover in (Path(platform.settings.data_dir) / "staging").glob("staging-*"):
        if leftover.stat().st_mtime < stale:
            leftover.unlink(missing_ok=True)
    return failed


def _error_path(stored: Path, kind: Format) -> Path:
    """Return where a job writes the rows it rejects, beside its upload."""
    return stored.with_name(f"errors.{kind if kind in {'csv', 'xlsx'} else 'jsonl'}")


def run_queued(platform: Platform, payload: dict[str, Any]) -> None:
    """Run a queued import job in a worker (the job function of ``QUEUE_KIND``).

    It runs as the person who submitted it (their rights were checked then, and are checked
    again); started again after its worker died, it re-reads the file from the start: rows
    already committed come back unchanged, and each batch again records its progress.
    """
    from printreg.accounts.service import AccountService  # noqa: PLC0415 - at run time only

    job_id = uuid.UUID(str(payload["import_job"]))
    with platform.sessions() as session:
        found = session.execute(
            select(ImportJob, Facility.code)
            .join(Facility, Facility.id == ImportJob.facility_id)
            .where(ImportJob.id == job_id)
        ).first()
    if found is None or found[0].status in FINISHED:
        return  # nothing left to do (failed meanwhile)
    job, code = found
    actor = (
        AccountService(platform).actor_for(job.user_id)
        if job.user_id is not None
        else Actor.operator("import job")
    )
    runner = ImportJobs(platform, actor)
    importer = runner._importer(job.registry_code, code)  # noqa: SLF001 - same module
    stored = Path(job.stored_file)
    kind: Format = detect_format(stored)
    runner._run(  # noqa: SLF001 - the same job function as the in-process threads
        importer, job_id, job.filename, stored, kind, job.commit, job.all_or_nothing,
        _error_path(stored, kind),
    )  # fmt: skip


def queued_gave_up(platform: Platform, payload: dict[str, Any], message: str) -> None:
    """Fail an import whose queued job failed for good: its workers died, or it raised."""
    job_id = uuid.UUID(str(payload["import_job"]))
    with platform.sessions() as session:
        job = session.get(ImportJob, job_id)
    if job is None or job.status in FINISHED:
        return
    died = message.startswith(queue.WORKERS_DIED.split("{", 1)[0])
    report = dict(job.report or {})
    report["problem"] = stopped_message(job.rows_committed) if died else INTERNAL_FAILURE
    report["committed"] = False
    with platform.sessions.begin() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status.not_in(FINISHED))
            .values(
                status="failed", rows_done=job.rows_committed, report=report, finished_at=utcnow()
            )
        )


queue.register(QUEUE_KIND, run_queued, queued_gave_up)
