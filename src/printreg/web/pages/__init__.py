"""The HTML page frame (Jinja2 + htmx): shared page helpers, the home and report pages, and the
handlers that turn sign-in, second-factor and CSRF refusals into pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.web.pages.common import (
    ENROL_PATH,
    CsrfRejected,
    SecondFactorMissing,
    SignInRequired,
)


def install(app: FastAPI) -> None:
    """Add the pages' redirect and refusal handlers to the application (each feature's page
    router is included by `printreg.web.app`)."""

    async def to_login(request: Request, exc: Exception) -> Response:
        del exc
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)

    async def refuse(request: Request, exc: Exception) -> Response:
        del request, exc
        return HTMLResponse(
            "<h1>Form expired</h1><p>The form was not accepted (missing or stale security "
            "token). Go back, reload the page and submit again.</p>",
            status_code=403,
        )

    async def to_enrolment(request: Request, exc: Exception) -> Response:
        del request, exc
        return RedirectResponse(ENROL_PATH, status_code=303)

    app.add_exception_handler(SignInRequired, to_login)
    app.add_exception_handler(SecondFactorMissing, to_enrolment)
    app.add_exception_handler(CsrfRejected, refuse)
