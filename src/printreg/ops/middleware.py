"""Every request gets an id, one access log line and its place in the metrics (pure ASGI).

The id is the caller's X-Request-ID when it has the shape a proxy generates (``logs``), else a
new one; it is sent back in the X-Request-ID header and written on every log line of the
request. The access line and the metrics name the route *template* the request matched, never
the path, its query string, a header or the body. Probes (``/healthz``, ``/readyz``,
``/metrics``) are logged at DEBUG so that they do not drown the others.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from printreg.ops import metrics
from printreg.ops.logs import REQUEST_ID, accepted_request_id, new_request_id

HEADER = "X-Request-ID"
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
access = logging.getLogger("printreg.access")


def route_label(scope: Scope, root_path: str) -> str:
    """Return the template of the route that handled the request: a route's declared path, a
    mount's path followed by ``/{path}``, or ``unmatched``."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    mounted = str(scope.get("root_path", ""))
    if mounted.startswith(root_path) and mounted != root_path:
        prefix = mounted[len(root_path) :]
        # Only a mount's declared path is a template; a matched prefix is what the client sent.
        routes = getattr(scope.get("app"), "routes", ())
        if any(isinstance(r, Mount) and r.path == prefix for r in routes):
            return prefix + "/{path}"
    return metrics.UNMATCHED


class ObserveMiddleware:
    """Give each HTTP request an id, count and time it, and write its access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get(HEADER)) or new_request_id()
        token = REQUEST_ID.set(request_id)
        root_path = str(scope.get("root_path", ""))
        started = time.perf_counter()
        status = 500  # unless an answer starts: an exception that escapes is a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_label(scope, root_path)
            method = metrics.method_label(str(scope["method"]))
            metrics.observe_request(method, route, status, seconds)
            fields = {"method": method, "route": route, "status": status,
                      "duration_ms": round(seconds * 1000, 2)}  # fmt: skip
            level = logging.DEBUG if route in PROBES else logging.INFO
            access.log(level, "%s %s %d %.1f ms", method, route, status, seconds * 1000,
                       extra=fields)  # fmt: skip
            REQUEST_ID.reset(token)
