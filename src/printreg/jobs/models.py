"""The queue's tables: one row per job to run, one row per worker process seen, and one row per
task a person asked for (an export, an analytics refresh, a research extract)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class QueuedJob(Base):
    """A task for a worker: its kind names the job function, ``payload`` its arguments.

    A worker claims a queued job (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) and holds a
    lease that its heartbeat extends; a running job whose lease ran out belongs to a worker that
    died, and is queued again (``attempts`` < ``max_attempts``) or failed with ``error``.
    """

    __tablename__ = "queued_jobs"
    __table_args__ = (Index("ix_queued_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: queued → running → done | failed
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    run_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    worker_id: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: one job per key ever: a periodic task's run of one time slot, whichever worker queues it
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    #: why the job failed, from a fixed list of messages (never a case value)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class QueueWorker(Base):
    """A worker process and its last heartbeat (read by the /readyz "jobs" check)."""

    __tablename__ = "queue_workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column()
    concurrency: Mapped[int] = mapped_column()
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class TaskJob(Base):
    """A long task a person asked for, run through the queue: who asked, its state, its progress,
    its result and, for an export, its file (under ``data_dir/tasks/<id>/`` until
    ``expires_at``).

    ``active_key`` is set while the task is queued or running and cleared when it ends: being
    unique, it lets one task of a kind and subject run at a time (two refreshes of a registry
    asked at once are one job). Both databases allow many NULLs in a unique column.
    """

    __tablename__ = "task_jobs"
    __table_args__ = (Index("ix_task_jobs_kind_subject", "kind", "subject"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: export | analytics-refresh | extract (``jobs.tasks.TASKS``)
    kind: Mapped[str] = mapped_column(String(32))
    registry_code: Mapped[str] = mapped_column(String(24))
    #: what the task is about: a data request's id, a registry's code (never free text)
    subject: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: the one facility an export was limited to (None: every facility the person reads)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    #: the task's arguments, checked when it was asked for (a format, facility ids)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: queued → running → done | failed
    status: Mapped[str] = mapped_column(String(16))
    #: rows written so far
    progress: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the file the task wrote, until it expires (an export)
    file: Mapped[str | None] = mapped_column(Text)
    #: why the task failed, for the person who asked (a domain error's message or a fixed one)
    message: Mapped[str | None] = mapped_column(Text)
    active_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
