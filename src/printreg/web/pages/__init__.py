"""HTML pages (Jinja2 + htmx): sign-in, facility home, cases, the case form, admin pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.web.pages import (
    account,
    auth,
    case_list,
    cases,
    facility,
    files,
    home,
    imports,
    second_factor,
)
from printreg.web.pages.common import (
    ENROL_PATH,
    CsrfRejected,
    SecondFactorMissing,
    SignInRequired,
)

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(case_list.router)
router.include_router(cases.router)
router.include_router(files.router)
router.include_router(facility.router)
router.include_router(account.router)
router.include_router(second_factor.router)
router.include_router(imports.router)


def install(app: FastAPI) -> None:
    """Add the pages and their redirect/refusal handlers to the application."""
    app.include_router(router)

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
