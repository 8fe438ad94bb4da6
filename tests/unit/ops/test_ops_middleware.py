"""The request middleware on bare ASGI apps: ids, the 500 of an escaped exception, lifespan."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from prometheus_client.samples import Sample
from starlette.types import Message, Receive, Scope, Send

from printreg.ops import metrics
from printreg.ops.logs import REQUEST_ID
from printreg.ops.middleware import ObserveMiddleware


def _count(labels: dict[str, str]) -> float:
    samples: list[Sample] = [s for f in metrics.REQUESTS.collect() for s in f.samples]
    return next((s.value for s in samples if s.name.endswith("_total") and s.labels == labels), 0)


def _drive(app: Any, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    # A fresh thread has no event loop, whatever an earlier test in this process left running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent


def _scope(headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": "GET", "path": "/John-Smith", "root_path": "",
            "headers": headers or []}  # fmt: skip


async def _boom(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("MRN 8675309")


def test_an_escaped_exception_is_counted_as_a_500_and_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    labels = {"method": "GET", "route": "unmatched", "status": "5xx"}
    before = _count(labels)
    with caplog.at_level(logging.INFO, logger="printreg.access"), pytest.raises(RuntimeError):
        _drive(ObserveMiddleware(_boom), _scope())
    assert _count(labels) == before + 1
    (record,) = [r for r in caplog.records if r.name == "printreg.access"]
    assert record.getMessage().startswith("GET unmatched 500 ")
    assert "8675309" not in caplog.text
    assert "John" not in caplog.text
    assert REQUEST_ID.get() is None  # reset after the request, even when it failed


def test_the_answer_carries_the_id_the_handlers_saw() -> None:
    seen: list[str | None] = []

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(REQUEST_ID.get())
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b""})

    given = b"0f8fad5b-d9cb-469f-a165-70867728950e"
    sent = _drive(ObserveMiddleware(answer), _scope([(b"x-request-id", given)]))
    assert (b"x-request-id", given) in sent[0]["headers"]
    assert seen == [given.decode()]


def test_other_connection_types_pass_through_untouched() -> None:
    calls: list[str] = []

    async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["type"])
        await send({"type": "lifespan.startup.complete"})

    sent = _drive(ObserveMiddleware(lifespan), {"type": "lifespan"})
    assert calls == ["lifespan"]
    assert sent == [{"type": "lifespan.startup.complete"}]
