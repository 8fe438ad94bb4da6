"""Domain errors mapped to HTTP in one place; a busy database is 503 with Retry-After."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import exc as sa_exc

from printreg.accounts.service import LoginFailed
from printreg.accounts.signin_throttle import SignInThrottled
from printreg.dictionary import DefinitionError
from printreg.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidRequest,
    NotFound,
    RegistryError,
    ValidationFailed,
)
from printreg.domain.issues import Issue
from printreg.ingest.dicom import DicomError, DicomIdentifiersFound
from printreg.ingest.mesh import MeshError
from printreg.notifications.mail import MailNotSent
from printreg.pacs.client import PacsError
from printreg.storage.engine import is_busy

STATUS: dict[type[Exception], int] = {
    ValidationFailed: 422,
    InvalidRequest: 400,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Gone: 410,
    LoginFailed: 401,
    SignInThrottled: 429,
    DefinitionError: 422,
    DicomError: 422,  # DicomIdentifiersFound too: the tags are listed, never their values
    MeshError: 422,
    MailNotSent: 502,  # the SMTP server refused or could not be reached
    PacsError: 502,  # the facility's PACS refused, failed or could not be reached
}


class Unauthenticated(RegistryError):  # noqa: N818 - reads as the condition it names
    """No valid session or API token came with the request."""


STATUS[Unauthenticated] = 401


class PayloadTooLarge(RegistryError):  # noqa: N818 - reads as the condition it names
    """An upload passed its size limit; it was stopped as soon as it did."""


STATUS[PayloadTooLarge] = 413


def status_of(exc: Exception) -> int:
    """Return the HTTP status for a domain error (400 for any other RegistryError)."""
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


async def handle(request: Request, exc: Exception) -> Response:
    """Return the JSON problem of a domain error, with its HTTP status and headers."""
    del request
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, ValidationFailed):
        body["issues"] = [i.to_dict() for i in exc.issues]
    if isinstance(exc, DefinitionError):
        body["issues"] = exc.problems
    if isinstance(exc, DicomIdentifiersFound):
        body["issues"] = [f.label for f in exc.findings]
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, SignInThrottled):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=status_of(exc), headers=headers)


#: where a request part sits in a validation error's location; dropped from the issue path
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """Answer 422 for input the API's schemas refuse, in the same shape as a registry rule's
    refusal: one issue per problem with its field path, the check and the message; never the
    refused value, which may be an identifier typed into the wrong field."""
    del request
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    issues = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in _SOURCES]
        rule = str(error.get("type", "invalid"))
        message = str(error.get("msg", "invalid value"))
        issues.append(Issue("error", "", ".".join(location), rule, message).to_dict())
    detail = f"the request breaks {len(issues)} rule(s) of the API: see issues"
    return JSONResponse({"detail": detail, "issues": issues}, status_code=422)


RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = "the registry is busy with a large change: try again in a few seconds"


async def _busy(request: Request, exc: Exception) -> Response:
    """Answer 503 with Retry-After when the database is busy; re-raise anything else (500)."""
    if not is_busy(exc):
        raise exc
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": BUSY_MESSAGE}, status_code=503, headers=headers)
    page = (  # a plain page: rendering the site's layout would ask the busy database again
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Busy</title></head>'
        f"<body><h1>Busy</h1><p>The registry is busy with a large change. Try again in "
        f"{RETRY_AFTER_SECONDS} seconds.</p></body></html>"
    )
    return HTMLResponse(page, status_code=503, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn domain errors into JSON responses, and a busy database
    into 503 with Retry-After."""
    app.add_exception_handler(RegistryError, handle)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DefinitionError, handle)
    app.add_exception_handler(sa_exc.OperationalError, _busy)
    app.add_exception_handler(sa_exc.TimeoutError, _busy)
