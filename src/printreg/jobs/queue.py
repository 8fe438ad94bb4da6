"""Queue, claim, lease and retry jobs in the ``queued_jobs`` table.

A job is a row naming a registered job function (``register``) and its JSON arguments. A worker
claims ready jobs in one transaction — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
that workers never wait on each other's rows; SQLite serializes writers, and each claim is an
``UPDATE`` guarded by the status — and holds each under a lease that its heartbeat renews. A
running job whose lease ran out belongs to a worker that died (SIGKILL, power cut): ``reap``
queues it again until it has been started ``max_attempts`` times, then fails it and tells its
kind (an import job then says how many rows were committed). Never left "running".

Periodic tasks (``register_periodic``) are queued by the workers themselves, once per time slot
for all of them (``dedupe_key``), and run like any other job.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printreg.jobs.models import QueuedJob, QueueWorker
from printreg.platform import Platform
from printreg.storage.base import utcnow

log = logging.getLogger(__name__)

CHANNEL = "printreg_jobs"  # PostgreSQL NOTIFY channel that wakes idle workers
FINISHED = frozenset({"done", "failed"})
FORGET_WORKERS = dt.timedelta(days=1)
#: ``QueuedJob.error`` messages: a fixed list, never a value from the job
WORKERS_DIED = "the workers running this job stopped {attempts} times before it finished"
JOB_RAISED = "the job stopped because of an internal error (see the worker's log)"
UNKNOWN_KIND = "this printreg has no job function of this kind: upgrade the worker"

JobFunction = Callable[[Platform, dict[str, Any]], None]
#: told (payload, message) when a job fails for good, so that its own records say why
GaveUp = Callable[[Platform, dict[str, Any], str], None]


@dataclass(frozen=True)
class Kind:
    """A job function and what to do when its job fails for good."""

    run: JobFunction
    gave_up: GaveUp | None = None


KINDS: dict[str, Kind] = {}
#: periodic kinds and their period in seconds
PERIODIC: dict[str, int] = {}


def register(kind: str, run: JobFunction, gave_up: GaveUp | None = None) -> None:
    """Make ``run`` the job function of ``kind`` in this process."""
    KINDS[kind] = Kind(run, gave_up)


def register_periodic(kind: str, run: JobFunction, every_seconds: int) -> None:
    """Make ``run`` a task the workers queue once every ``every_seconds`` (for all of them)."""
    register(kind, run)
    PERIODIC[kind] = every_seconds


def queue_periodic(platform: Platform, attempts: int) -> int:
    """Queue each periodic task whose current time slot has no job yet; return how many.

    The slot's key is unique: when several workers try at once, one insert wins and the others
    find the key taken.
    """
    added = 0
    now = utcnow().timestamp()
    for kind, every in PERIODIC.items():
        key = f"{kind}@{int(now // every)}"
        with platform.sessions() as session:
            if session.scalar(select(QueuedJob.id).where(QueuedJob.dedupe_key == key)):
                continue
        try:
            with platform.sessions.begin() as session:
                enqueue(session, kind, {}, max_attempts=attempts, dedupe_key=key)
        except IntegrityError:
            continue  # another worker queued this slot first
        added += 1
    return added


@dataclass(frozen=True)
class Claimed:
    """A job a worker now holds."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    max_attempts: int,
    dedupe_key: str | None = None,
    run_after: dt.datetime | None = None,
) -> uuid.UUID:
    """Add a job in the caller's transaction (it runs once that commits, and not before
    ``run_after`` when given); return its id.

    On PostgreSQL the NOTIFY is sent with the commit, which wakes the idle workers at once.
    """
    job = QueuedJob(
        id=uuid.uuid4(),
        kind=kind,
        payload=payload,
        status="queued",
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
        created_at=utcnow(),
        dedupe_key=dedupe_key,
    )
    session.add(job)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    return job.id


def claim(platform: Platform, worker_id: str, limit: int, lease_seconds: int) -> list[Claimed]:
    """Take up to ``limit`` ready jobs, oldest first, under a lease; return them."""
    if limit <= 0:
        return []
    now = utcnow()
    lease = now + dt.timedelta(seconds=lease_seconds)
    taken: list[Claimed] = []
    with platform.sessions.begin() as session:
        rows = session.scalars(
            select(QueuedJob)
            .where(QueuedJob.status == "queued", QueuedJob.run_after <= now)
            .order_by(QueuedJob.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)  # ignored by SQLite, whose writers take turns
        ).all()
        for job in rows:
            result = session.execute(
                update(QueuedJob)
                .where(QueuedJob.id == job.id, QueuedJob.status == "queued")
                .values(
                    status="running",
                    attempts=QueuedJob.attempts + 1,
                    worker_id=worker_id,
                    lease_until=lease,
                    started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                taken.append(Claimed(job.id, job.kind, dict(job.payload), job.attempts + 1))
    return taken


def renew(platform: Platform, worker_id: str, job_ids: list[uuid.UUID], lease_seconds: int) -> None:
    """Extend the leases of the jobs this worker runs."""
    if not job_ids:
        return
    with platform.sessions.begin() as session:
        session.execute(
            update(QueuedJob)
            .where(
                QueuedJob.id.in_(job_ids),
                QueuedJob.worker_id == worker_id,
                QueuedJob.status == "running",
            )
            .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
        )


def finish(platform: Platform, job: Claimed, worker_id: str, error: str | None = None) -> None:
    """Record that a job this worker held returned (``error`` None) or raised."""
    with platform.sessions.begin() as session:
        session.execute(
            update(QueuedJob)
            .where(QueuedJob.id == job.id, QueuedJob.worker_id == worker_id)
            .values(
                status="done" if error is None else "failed",
                error=error,
                lease_until=None,
                finished_at=utcnow(),
            )
        )
    if error is not None:
        _tell(platform, job.kind, job.payload, error)


def _tell(platform: Platform, kind: str, payload: dict[str, Any], message: str) -> None:
    """Let a job's kind record that it failed for good (never raises: the worker goes on)."""
    found = KINDS.get(kind)
    if found is None or found.gave_up is None:
        return
    try:
        found.gave_up(platform, payload, message)
    except Exception as exc:  # noqa: BLE001 - logged by type; the queue row says it failed
        log.error("job of kind %s: could not record its failure (%s)", kind, type(exc).__name__)  # noqa: TRY400


def reap(platform: Platform) -> tuple[int, int]:
    """Queue again, or fail, the running jobs whose lease ran out, and forget the workers not
    seen for a day (killed ones never leave); return (requeued, failed)."""
    now = utcnow()
    requeued = failed = 0
    with platform.sessions.begin() as session:
        session.execute(delete(QueueWorker).where(QueueWorker.seen_at < now - FORGET_WORKERS))
    with platform.sessions() as session:
        expired = session.scalars(
            select(QueuedJob).where(QueuedJob.status == "running", QueuedJob.lease_until < now)
        ).all()
    for job in expired:
        again = job.attempts < job.max_attempts
        message = None if again else WORKERS_DIED.format(attempts=job.attempts)
        with platform.sessions.begin() as session:
            result = session.execute(
                update(QueuedJob)
                .where(
                    QueuedJob.id == job.id,
                    QueuedJob.status == "running",
                    QueuedJob.worker_id == job.worker_id,
                    QueuedJob.lease_until < now,
                )
                .values(
                    status="queued" if again else "failed",
                    worker_id=None,
                    lease_until=None,
                    run_after=now,
                    error=message,
                    finished_at=None if again else now,
                )
            )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker reaped it first
        if again:
            requeued += 1
            log.warning(
                "job %s: its worker stopped; queued again (attempt %d)", job.id, job.attempts
            )
        else:
            failed += 1
            log.warning("job %s: its workers stopped %d times; failed", job.id, job.attempts)
            _tell(platform, job.kind, dict(job.payload), WORKERS_DIED.format(attempts=job.attempts))
    return requeued, failed


def beat(platform: Platform, worker_id: str, host: str, pid: int, concurrency: int) -> None:
    """Record that this worker is alive now."""
    now = utcnow()
    with platform.sessions.begin() as session:
        found = session.get(QueueWorker, worker_id)
        if found is None:
            session.add(
                QueueWorker(
                    id=worker_id,
                    host=host,
                    pid=pid,
                    concurrency=concurrency,
                    started_at=now,
                    seen_at=now,
                )
            )
        else:
            found.seen_at = now


def leave(platform: Platform, worker_id: str) -> None:
    """Forget a worker that stops cleanly (readiness then no longer counts it)."""
    with platform.sessions.begin() as session:
        session.execute(delete(QueueWorker).where(QueueWorker.id == worker_id))


def last_seen(session: Session) -> dt.datetime | None:
    """Return the newest worker heartbeat, None when no worker was ever seen."""
    seen = session.scalar(select(func.max(QueueWorker.seen_at)))
    return None if seen is None else _aware(seen)


def depth(session: Session) -> tuple[int, float]:
    """Return how many jobs wait and the age in seconds of the oldest (0 when none)."""
    count, oldest = session.execute(
        select(func.count(), func.min(QueuedJob.created_at)).where(QueuedJob.status == "queued")
    ).one()
    age = 0.0 if oldest is None else (utcnow() - _aware(oldest)).total_seconds()
    return int(count), max(age, 0.0)
