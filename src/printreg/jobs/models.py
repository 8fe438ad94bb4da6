"""The queue's tables: one row per job to run, one row per worker process seen."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, Text, Uuid
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
