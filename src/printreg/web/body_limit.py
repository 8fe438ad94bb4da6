"""One request-body limit, applied before authentication and before any parsing (pure ASGI).

Every request body is held to ``max_body_bytes`` except the uploads, which each have their own
cap (the import file, DICOM headers, a print's model file) plus room for the form around the
file. A declared Content-Length over the limit is answered 413 at once, before the application
runs, so no byte of the body is read; a body without one (chunked) is counted as the application
reads it and stopped with 413 as soon as it passes the limit. Nothing is buffered here: the
upload routes stream their bodies themselves, after checking who is asking (``web.uploads``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from printreg.settings import Settings

FORM_OVERHEAD = 64 * 1024  # boundaries and part headers of a multipart upload beyond its files

# Upload routes (API and pages) and the setting that caps each one's files.
UPLOAD_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/api/v1/registries/[^/]+/imports$"), "import_max_bytes"),
    (re.compile(r"^/registries/[^/]+/import$"), "import_max_bytes"),
    (re.compile(r"^(/api/v1)?/registries/[^/]+/cases/[^/]+/dicom$"), "dicom_max_upload_bytes"),
    (re.compile(r"^(/api/v1)?/registries/[^/]+/cases/[^/]+/prints/[^/]+/mesh$"), "mesh_max_bytes"),
)


def size_text(limit: int) -> str:
    """Return a byte count as people read it: '1.0 MB' from a mebibyte up, else '1,024 bytes'."""
    return f"{limit / 1024**2:.1f} MB" if limit >= 1024**2 else f"{limit:,} bytes"


@dataclass(frozen=True)
class Limit:
    """The most bytes a request's body may hold, and the setting that says so."""

    max_bytes: int
    setting: str

    def message(self) -> str:
        """Return the refusal, naming the limit and its setting."""
        return (
            f"the request body is larger than the limit of {size_text(self.max_bytes)} "
            f"(setting {self.setting}): it was not read"
        )


class BodyTooLarge(HTTPException):
    """The body passed its limit while the application was reading it."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(status_code=413, detail=limit.message())


def limit_for(settings: Settings, path: str) -> Limit:
    """Return the body limit of a request path: an upload's cap plus form room, or the small one."""
    for pattern, setting in UPLOAD_ROUTES:
        if pattern.match(path):
            cap: int = getattr(settings, setting)
            return Limit(cap + FORM_OVERHEAD, setting)
    return Limit(settings.max_body_bytes, "max_body_bytes")


def refusal(path: str, status: int, message: str) -> Response:
    """Return the answer to a refused body: JSON ``{"detail": ...}`` for the API, text otherwise."""
    if path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    return PlainTextResponse(message, status_code=status)


class BodyLimitMiddleware:
    """Refuse request bodies over their limit (413) without reading them into memory."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # A NUL character is never part of a valid path or query value, and PostgreSQL refuses
        # it in text: refuse it here, once, instead of as a database error deep in a handler.
        query: bytes = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await refusal(path, 400, "the address holds a NUL character (%00): remove it")(
                scope, receive, send
            )
            return
        limit = limit_for(self.settings, path)
        declared = [v for k, v in scope["headers"] if k == b"content-length"]
        if declared:
            text = declared[0].decode("latin-1").strip()
            if len(declared) > 1 or not text.isdigit():
                await refusal(path, 400, "the Content-Length header is not a number")(
                    scope, receive, send
                )
                return
            if int(text) > limit.max_bytes:
                await refusal(path, 413, limit.message())(scope, receive, send)
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await refusal(path, 413, limit.message())(scope, receive, send)
