"""The table of import jobs: state, progress and results, shared by every process."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class ImportJob(Base):
    """A file import run in the background for the API and the pages: status, progress, report.

    The uploaded file (``stored_file``) and the error file live under ``data_dir/imports/<id>/``.
    """

    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    commit: Mapped[bool] = mapped_column()
    all_or_nothing: Mapped[bool] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    rows_done: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_file: Mapped[str | None] = mapped_column(Text)
    stored_file: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The process running the job (a random id per process guards against a reused pid), so
    # that start-up fails the jobs of dead processes and leaves live ones alone.
    runner_host: Mapped[str | None] = mapped_column(String(255))
    runner_pid: Mapped[int | None] = mapped_column()
    runner_id: Mapped[str | None] = mapped_column(String(36))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: rows of the batches committed so far, written in each batch's own transaction
    rows_committed: Mapped[int] = mapped_column(default=0, server_default="0")
