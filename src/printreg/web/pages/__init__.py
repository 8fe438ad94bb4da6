"""The HTML page frame (Jinja2 + htmx): shared page helpers, the home and report pages, and the
handlers that turn sign-in, second-factor and CSRF refusals into pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.domain.errors import RegistryError
from printreg.web import errors
from printreg.web.pages.common import (
    ENROL_PATH,
    CsrfRejected,
    PageContext,
    SecondFactorMissing,
    SignInRequired,
)
from printreg.web.pages.home import error_page


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

    async def page_or_problem(request: Request, exc: Exception) -> Response:
        """The one mapping of domain errors for pages: the error page with the status the API
        gives (404, 403, 409, 422, ...); API paths get the JSON problem."""
        page = getattr(request.state, "page", None)
        if request.url.path.startswith("/api/") or not isinstance(page, PageContext):
            return await errors.handle(request, exc)
        return error_page(page, exc)

    app.add_exception_handler(RegistryError, page_or_problem)
    app.add_exception_handler(SignInRequired, to_login)
    app.add_exception_handler(SecondFactorMissing, to_enrolment)
    app.add_exception_handler(CsrfRejected, refuse)
