"""Log lines as JSON objects (or plain text), each carrying the id of the request it belongs to.

``log_config`` is a ``logging.config.dictConfig`` document: ``printreg serve`` hands it to
uvicorn, which applies it in every worker process. Lines go to standard error, one per record,
with the time (UTC), level, logger, message and request id, plus the fields a caller passed as
``extra`` (the access line's method, route, status and duration).

An exception is written as its type and the file, line and function of each frame, never its
message: a database error's message can quote the values of the row it refused. Uvicorn's own
access log is switched off, because its line holds the query string; the access line of
``ops.middleware`` replaces it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import traceback
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from printreg.settings import Settings

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "printreg_request_id", default=None
)
# What a proxy or load balancer generates: a UUID or a run of hex digits (nginx $request_id).
# Anything else, which could carry a name or a record number, is replaced, never logged.
_SANE_REQUEST_ID = re.compile(
    r"[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}|[0-9a-fA-F]{16,64}"
)
_DIGITS = re.compile(r"[0-9-]+")
# The attributes every LogRecord has: whatever else a record holds came in ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",  # uvicorn's copy of its message with terminal colour codes
}
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def new_request_id() -> str:
    """Return a fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """Return an incoming X-Request-ID worth keeping (a UUID or 16–64 hex digits, not digits
    alone, which could be a record number); None for anything else."""
    if value is None or not _SANE_REQUEST_ID.fullmatch(value) or _DIGITS.fullmatch(value):
        return None
    return value


def _frames(exc_info: ExcInfo) -> list[str]:
    """Return an exception's type and its frames as 'file:line in function', without its message."""
    kind, _, tb = exc_info
    if kind is None:
        return []
    frames = [
        f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno} "
        f"in {frame.name}"
        for frame in traceback.extract_tb(tb)
    ]
    return [kind.__qualname__, *frames]


def _request_id(record: logging.LogRecord) -> str | None:
    given = getattr(record, "request_id", None)
    return given if isinstance(given, str) else REQUEST_ID.get()


def _time(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON (an exception as its type and frames)."""
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id(record)
        if request_id is not None:
            line["request_id"] = request_id
        line.update(
            (key, value)
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        )
        if record.exc_info:
            kind, *frames = _frames(record.exc_info)
            line["exception"] = {"type": kind, "frames": frames}
        return json.dumps(line, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """One line of text per record: time, level, logger, [request id], message."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as text (an exception as its type and frames on further lines)."""
        text = (
            f"{_time(record)} {record.levelname} {record.name} "
            f"[{_request_id(record) or '-'}] {record.getMessage()}"
        )
        if record.exc_info:
            kind, *frames = _frames(record.exc_info)
            text += "\n  " + kind + "".join(f"\n    {frame}" for frame in frames)
        return text


def log_config(settings: Settings, stream: object = "ext://sys.stderr") -> dict[str, Any]:
    """Return the logging configuration for the settings' ``log_format`` (a dictConfig dict)."""
    formatter = JsonFormatter if settings.log_format == "json" else PlainFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"printreg": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "printreg", "stream": stream}
        },
        "loggers": {
            "printreg": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "uvicorn": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            # Its lines hold the path with its query string: ours replace them.
            "uvicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }
