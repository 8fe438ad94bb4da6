"""Long tasks people ask for — export jobs, analytics refreshes, research extracts — run by the
job queue, with their state, progress, result and file in ``task_jobs``.

A feature registers a task kind (``register_task``): the function that does the work and the
rule saying who may see a task of that kind. ``Tasks.submit`` adds the ``task_jobs`` row and its
queued job in one transaction; with ``job_runner`` "queue" a ``printreg worker`` runs it, with
"inprocess" the web process starts a one-shot worker thread (``jobs.worker.Worker`` with
``once``) that claims it like any worker would, under the same lease. Whichever process asked,
ran or is asked about a task reads the one row: nothing lives in the memory of a process, so any
web process answers for any task. A task whose worker died is queued again by the queue's reaper
(a one-shot worker reaps too) or failed with ``STOPPED`` — never left running.

``active_key`` keeps one task of a kind and subject alive at a time: a second request while one
is queued or running gets the same task (two refreshes asked at once run once).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from printreg.accounts.actor import Actor
from printreg.domain.errors import Conflict, Gone, NotFound, RegistryError
from printreg.jobs import queue
from printreg.jobs.models import QueuedJob, TaskJob
from printreg.jobs.schemas import TaskOut
from printreg.platform import Platform
from printreg.storage.base import utcnow

log = logging.getLogger(__name__)

QUEUE_KIND = "task"  # the queue's job function that runs every task kind
FINISHED = frozenset({"done", "failed"})
PROGRESS_SECONDS = 0.5  # at most one progress write per task this often
LATE_SECONDS = 2  # a queued in-process task this old gets a one-shot worker when looked at
SWEEP_EVERY = 3600  # seconds between two cleanups of expired task files by the workers
#: ``TaskJob.message`` of a task that did not finish for a reason other than a domain error
INTERNAL = "the job stopped because of an internal error: ask again, or ask the registry team"
STOPPED = "the process running this job stopped before it finished (nothing was kept): ask again"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Outcome:
    """What a finished task gives back: a small result (counts, seconds) and maybe a file."""

    result: dict[str, Any] = field(default_factory=dict)
    file: Path | None = None
    #: hours the file is kept (an export's ``export_hours``)
    keep_hours: int | None = None


#: does the work as the person who asked (or an operator); raises a RegistryError to fail
#: with its message
TaskRun = Callable[[Platform, Actor, TaskJob, Progress], Outcome]
#: whether an actor may see a task of the kind (beyond being the person who asked)
Visible = Callable[[Platform, Actor, TaskJob], bool]


@dataclass(frozen=True)
class TaskKind:
    """A task kind: its work and who may see it."""

    run: TaskRun
    visible: Visible
    #: whether others than the person who asked may see a task (when ``visible`` says so)
    shared: bool = False


TASKS: dict[str, TaskKind] = {}


def register_task(
    kind: str,
    run: TaskRun,
    visible: Visible,
    *,
    shared: bool = False,
) -> None:
    """Make ``run`` the work of task ``kind`` in this process."""
    TASKS[kind] = TaskKind(run, visible, shared)


def load_task_kinds() -> None:
    """Register every task kind (each feature module registers its own)."""
    from printreg.cases import export_jobs as _exports  # noqa: F401, PLC0415 - registers "export"
    from printreg.dashboards import refresh_job as _refresh  # noqa: F401, PLC0415
    from printreg.requests import extract_job as _extract  # noqa: F401, PLC0415


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def view(task: TaskJob) -> TaskOut:
    """Return the public view of a task row."""
    expires = _aware(task.expires_at)
    kept = task.file is not None and (expires is None or expires > utcnow())
    return TaskOut(
        id=task.id,
        kind=task.kind,
        registry=task.registry_code,
        status=task.status,
        progress=task.progress,
        result=task.result,
        message=task.message,
        has_file=kept and Path(task.file or "").is_file(),
        created_at=_aware(task.created_at) or task.created_at,
        started_at=_aware(task.started_at),
        finished_at=_aware(task.finished_at),
        expires_at=expires,
    )


def folder(platform: Platform, task_id: uuid.UUID) -> Path:
    """Return the folder a task writes its file into."""
    return Path(platform.settings.data_dir) / "tasks" / str(task_id)


def latest(platform: Platform, kind: str, subject: str) -> TaskJob | None:
    """Return the newest task of a kind about a subject; None when there is none."""
    with platform.sessions() as session:
        return session.scalars(
            select(TaskJob)
            .where(TaskJob.kind == kind, TaskJob.subject == subject)
            .order_by(TaskJob.created_at.desc())
            .limit(1)
        ).first()


class Tasks:
    """Asks for tasks and reads them back, for one actor."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor
        load_task_kinds()

    def submit(
        self,
        kind: str,
        registry: str,
        *,
        subject: str | None = None,
        facility_id: int | None = None,
        params: dict[str, Any] | None = None,
        one_at_a_time: bool = False,
    ) -> TaskOut:
        """Queue a task (the caller checked the actor's rights); return it.

        With ``one_at_a_time``, a task of the same kind and subject still queued or running is
        returned instead of a new one."""
        active = f"{kind}:{subject or registry}" if one_at_a_time else None
        task = TaskJob(
            id=uuid.uuid4(),
            kind=kind,
            registry_code=registry,
            subject=subject,
            user_id=self.actor.user_id,
            facility_id=facility_id,
            params=params or {},
            status="queued",
            progress=0,
            active_key=active,
            created_at=utcnow(),
        )
        try:
            with self.platform.sessions.begin() as session:
                session.add(task)
                session.flush()  # the task row first: the queued job names it
                queue.enqueue(session, QUEUE_KIND, {"task": str(task.id)},
                              max_attempts=self.platform.settings.job_attempts)  # fmt: skip
                shown = view(task)
        except IntegrityError:
            if active is None:
                raise
            with self.platform.sessions() as session:
                running = session.scalar(select(TaskJob).where(TaskJob.active_key == active))
            if running is None:  # it ended in between: ask again
                return self.submit(kind, registry, subject=subject, facility_id=facility_id,
                                   params=params, one_at_a_time=one_at_a_time)  # fmt: skip
            return view(running)
        start_inprocess(self.platform)
        return shown

    def _load(self, task_id: uuid.UUID) -> TaskJob:
        """Return a task the actor may see; NotFound (never Forbidden) otherwise."""
        with self.platform.sessions() as session:
            task = session.get(TaskJob, task_id)
        kind = TASKS.get(task.kind) if task is not None else None
        if task is None or kind is None:
            raise NotFound.no_such("job")
        own = self.actor.user_id is not None and task.user_id == self.actor.user_id
        mine = own or self.actor.system or kind.shared
        if not (mine and kind.visible(self.platform, self.actor, task)):
            raise NotFound.no_such("job")
        return task

    def get(self, task_id: uuid.UUID) -> TaskOut:
        """Return a task the actor asked for (and may still see); NotFound otherwise.

        In "inprocess" mode, a task still queued a while after it was asked for, or running
        under a lease that ran out (its web process stopped), gets a one-shot worker here,
        which reaps the jobs whose lease ran out and runs those queued."""
        task = self._load(task_id)
        if self.platform.settings.job_runner == "inprocess" and self._stuck(task):
            start_inprocess(self.platform)
        return view(task)

    def _stuck(self, task: TaskJob) -> bool:
        """Return whether no live process is running an unfinished task."""
        now = utcnow()
        if task.status == "queued":
            created = _aware(task.created_at) or now
            return now - created > dt.timedelta(seconds=LATE_SECONDS)
        if task.status != "running":
            return False
        with self.platform.sessions() as session:
            lapsed = session.scalar(
                select(QueuedJob.id)
                .where(QueuedJob.kind == QUEUE_KIND, QueuedJob.status == "running",
                       QueuedJob.lease_until < now)
                .limit(1)
            )  # fmt: skip
        return lapsed is not None

    def file(self, task_id: uuid.UUID) -> tuple[Path, TaskOut]:
        """Return the file of a finished task and the task; Conflict before it is done, Gone
        once it expired, NotFound when the task writes none or the actor may not see it."""
        task = self._load(task_id)
        shown = view(task)
        if task.status != "done":
            raise Conflict(f"the job is {task.status}: its file is ready when it is done")
        if task.file is None and task.expires_at is None:
            raise NotFound("this job writes no file")
        if not shown.has_file:
            raise Gone("the job's file was kept for a limited time and has been deleted: ask "
                       "again")  # fmt: skip
        return Path(task.file or ""), shown


def wait(platform: Platform, task_id: uuid.UUID, timeout: float = 30.0) -> TaskOut:
    """Return the task once it has finished; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with platform.sessions() as session:
            task = session.get(TaskJob, task_id)
        if task is None:
            raise NotFound.no_such("job")
        if task.status in FINISHED:
            return view(task)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"job {task_id} has not finished after {timeout} s")
        time.sleep(0.05)


def start_inprocess(platform: Platform) -> None:
    """In "inprocess" mode, run the queued jobs now in a thread of this process (a one-shot
    worker: it claims, holds its lease, reaps dead workers' jobs and stops when none is left)."""
    if platform.settings.job_runner != "inprocess":
        return
    from printreg.jobs.worker import Worker  # noqa: PLC0415 - the worker loads every job kind

    def work() -> None:
        try:
            Worker(platform, once=True).run()
        except Exception as exc:  # noqa: BLE001 - a thread's error has no one to go to
            log.error("in-process worker failed: %s", type(exc).__name__)  # noqa: TRY400

    threading.Thread(target=work, name="task-worker", daemon=True).start()


# -- the queue's job function -------------------------------------------------------------------


def _set(platform: Platform, task_id: uuid.UUID, **values: Any) -> None:
    with platform.sessions.begin() as session:
        session.execute(update(TaskJob).where(TaskJob.id == task_id).values(**values))


def _progress(platform: Platform, task_id: uuid.UUID) -> Progress:
    """Return the callback that writes the rows done at most every ``PROGRESS_SECONDS``."""
    last = [time.monotonic()]

    def advance(rows: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS:
            last[0] = now
            _set(platform, task_id, progress=rows)

    return advance


def _actor(platform: Platform, task: TaskJob) -> Actor:
    """Return the person who asked, with their rights of now (a revoked right fails the task)."""
    if task.user_id is None:
        return Actor.operator(f"{task.kind} job")
    from printreg.accounts.service import AccountService  # noqa: PLC0415 - at run time only

    return AccountService(platform).actor_for(task.user_id)


def run_queued(platform: Platform, payload: dict[str, Any]) -> None:
    """Run a queued task (the job function of ``QUEUE_KIND``); a domain error fails the task
    with its message, any other error with ``INTERNAL`` (and is raised again for the queue)."""
    load_task_kinds()
    task_id = uuid.UUID(str(payload["task"]))
    with platform.sessions() as session:
        task = session.get(TaskJob, task_id)
    if task is None or task.status in FINISHED:
        return
    kind = TASKS[task.kind]
    _set(platform, task_id, status="running", started_at=utcnow(), progress=0)
    try:
        outcome = kind.run(platform, _actor(platform, task), task, _progress(platform, task_id))
    except RegistryError as exc:
        _fail(platform, task_id, str(exc))
        return
    except Exception:
        _fail(platform, task_id, INTERNAL)
        raise
    now = utcnow()
    expires = None if outcome.keep_hours is None else now + dt.timedelta(hours=outcome.keep_hours)
    with platform.sessions.begin() as session:
        session.execute(
            update(TaskJob)
            .where(TaskJob.id == task_id)
            .values(
                status="done",
                result=outcome.result,
                file=None if outcome.file is None else str(outcome.file),
                expires_at=expires,
                finished_at=now,
                active_key=None,
            )
        )
    log.info("task %s (%s) done", task_id, task.kind)


def _fail(platform: Platform, task_id: uuid.UUID, message: str) -> None:
    with platform.sessions.begin() as session:
        session.execute(
            update(TaskJob)
            .where(TaskJob.id == task_id, TaskJob.status.not_in(FINISHED))
            .values(status="failed", message=message, finished_at=utcnow(), active_key=None)
        )
    shutil.rmtree(folder(platform, task_id), ignore_errors=True)  # no half-written file


def gave_up(platform: Platform, payload: dict[str, Any], message: str) -> None:
    """Fail a task whose queued job failed for good (its workers died, or it raised)."""
    died = message.startswith(queue.WORKERS_DIED.split("{", 1)[0])
    _fail(platform, uuid.UUID(str(payload["task"])), STOPPED if died else INTERNAL)


def sweep(platform: Platform) -> int:
    """Delete the files of tasks past their ``expires_at``; return how many were deleted (the
    rows stay: the task then says its file is gone)."""
    with platform.sessions() as session:
        due = session.execute(
            select(TaskJob.id, TaskJob.file).where(
                TaskJob.file.is_not(None), TaskJob.expires_at <= utcnow()
            )
        ).all()
    for task_id, _file in due:
        shutil.rmtree(folder(platform, task_id), ignore_errors=True)
        _set(platform, task_id, file=None)
    if due:
        log.info("deleted the files of %d expired job(s)", len(due))
    return len(due)


queue.register(QUEUE_KIND, run_queued, gave_up)


def _sweep_job(platform: Platform, _payload: dict[str, Any]) -> None:
    sweep(platform)


queue.register_periodic("sweep-task-files", _sweep_job, SWEEP_EVERY)
