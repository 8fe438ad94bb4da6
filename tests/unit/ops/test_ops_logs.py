"""Log lines: JSON or text, the request id on each, exceptions without their message."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator

import pytest

from printreg.ops.logs import (
    REQUEST_ID,
    JsonFormatter,
    PlainFormatter,
    accepted_request_id,
    log_config,
    new_request_id,
)
from printreg.settings import Settings

FAKE_VALUE = "MRN-7654321 Jane Doe"


@pytest.mark.parametrize(
    "value",
    [
        "fcc94fe3-2c44-4b43-9766-b738f8cdf1b5",
        "f7c623be5e56434aa477e3b1d558fda2",
        "0f8fad5bd9cb469f",
        "A1B2C3D4E5F6A7B8C9D0",
    ],
)
def test_a_proxy_generated_request_id_is_kept(value: str) -> None:
    assert accepted_request_id(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None, "", "MRN-1234567", "123-45-6789", "1234567890123456",  # digits: a record number?
        "john.smith", "jane-doe-1984-03-02", "abc", "a" * 65, "0f8fad5b d9cb469f",
        "0f8fad5bd9cb469f\n{\"level\": \"ERROR\"}", "déjà-vu-0000000000",
    ],
)  # fmt: skip
def test_any_other_request_id_is_refused(value: str | None) -> None:
    assert accepted_request_id(value) is None


def test_new_request_ids_are_accepted_back_and_differ() -> None:
    ids = {new_request_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(accepted_request_id(i) == i for i in ids)


def _fail() -> None:
    raise ValueError(FAKE_VALUE)


def _failing_record(logger: str = "uvicorn.error") -> logging.LogRecord:
    try:
        _fail()
    except ValueError:
        return logging.getLogger(logger).makeRecord(
            logger, logging.ERROR, __file__, 1, "Exception in ASGI application", (),
            exc_info=sys.exc_info(),
        )  # fmt: skip
    raise AssertionError("_fail did not raise")


def test_json_lines_carry_the_request_id_and_extra_fields() -> None:
    fields = {"name": "printreg.access", "levelno": 20, "levelname": "INFO",
              "msg": "GET %s 200", "args": ("/healthz",), "route": "/healthz", "status": 200}  # fmt: skip
    record = logging.makeLogRecord(fields)
    token = REQUEST_ID.set("0f8fad5bd9cb469fa16570867728950e")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "GET /healthz 200"
    assert line["request_id"] == "0f8fad5bd9cb469fa16570867728950e"
    assert (line["logger"], line["level"], line["route"], line["status"]) == (
        "printreg.access", "INFO", "/healthz", 200,
    )  # fmt: skip
    assert line["time"].endswith("+00:00")


def test_an_exception_is_its_type_and_frames_never_its_message() -> None:
    record = _failing_record()
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"]["type"] == "ValueError"
    assert any("test_ops_logs.py" in frame for frame in line["exception"]["frames"])
    text = PlainFormatter().format(_failing_record())
    assert "ValueError" in text
    assert "Exception in ASGI application" in text
    for shown in (json.dumps(line), text):
        assert "7654321" not in shown
        assert "Jane" not in shown


def test_plain_lines_have_a_dash_without_a_request() -> None:
    record = logging.makeLogRecord({"name": "printreg.x", "msg": "started", "levelname": "INFO"})
    assert PlainFormatter().format(record).endswith("INFO printreg.x [-] started")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put back the loggers ``log_config`` changes."""
    names = ["printreg", "uvicorn", "uvicorn.error", "uvicorn.access"]
    loggers = [logging.getLogger(n) for n in names] + [logging.getLogger()]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    yield
    for logger, level, handlers, propagate, disabled in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.mark.parametrize("kind", ["json", "plain"])
def test_the_setting_chooses_the_format(kind: str, restored_logging: None) -> None:
    stream = io.StringIO()
    logging.config.dictConfig(log_config(Settings(log_format=kind), stream=stream))
    logging.getLogger("printreg.ops.test").info("hello %s", "there")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /x?name=Jane HTTP/1.1" 200')
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines  # uvicorn's access line (with its query string) is dropped
    if kind == "json":
        assert json.loads(lines[0])["message"] == "hello there"
    else:
        assert lines[0].endswith("INFO printreg.ops.test [-] hello there")
