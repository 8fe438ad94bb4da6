"""The public view of a task job (an export, an analytics refresh, a research extract)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel


class TaskOut(BaseModel):
    """A long task someone asked for: its state, rows done so far and, once done, its result.

    ``result`` holds counts and timings (an export: cases, format; a refresh: seconds,
    facilities, rows; an extract: rows, bytes), never a case value. ``message`` says why a
    failed task failed. ``has_file`` says whether its file can be downloaded now (an export,
    until ``expires_at``).
    """

    id: uuid.UUID
    kind: Literal["export", "analytics-refresh", "extract"]
    registry: str
    status: Literal["queued", "running", "done", "failed"]
    progress: int
    result: dict[str, Any] | None
    message: str | None
    has_file: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
