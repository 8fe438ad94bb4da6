"""A tiny ASGI application for the process-launcher tests: it answers with its process id."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def pid_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Return an ASGI application answering every HTTP request with this process's id."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        body = str(os.getpid()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def broken_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Fail as an application whose configuration is broken does when it is built."""
    raise RuntimeError("this application cannot start")
