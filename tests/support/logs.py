"""The server's logging, as ``printreg serve`` sets it up, captured in a buffer for a test."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest

from printreg.ops.logs import log_config
from printreg.settings import Settings

#: the test client's own loggers: their lines say what the test sent, not what the server logged
CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore")
SERVER_LOGGERS = ("printreg", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Configure the server's JSON logging at DEBUG into a buffer; put the loggers back after."""
    loggers = [logging.getLogger(n) for n in (*SERVER_LOGGERS, *CLIENT_LOGGERS)]
    loggers.append(logging.getLogger())
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    stream = io.StringIO()
    logging.config.dictConfig(log_config(Settings(log_format="json"), stream=stream))
    for logger in (logging.getLogger(), logging.getLogger("printreg")):
        logger.setLevel(logging.DEBUG)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield stream
    finally:
        for logger, level, handlers, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.disabled = disabled
