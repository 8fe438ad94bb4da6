"""Sign in and sign out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.services.accounts import AccountService, LoginFailed
from printreg.web.deps import SESSION_COOKIE, PlatformDep, session_secret, signer
from printreg.web.pages.common import PRE_CSRF_COOKIE, TEMPLATES, CsrfRejected, Page, new_pre_csrf

router = APIRouter(include_in_schema=False)


def _login_page(
    request: Request, error: str | None = None, email: str = "", status: int = 200
) -> Response:
    token = new_pre_csrf()
    response = TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "error": error, "email": email, "actor": None},
        status_code=status,
    )
    response.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """Show the sign-in form."""
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    platform: PlatformDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=300)] = "/",
) -> Response:
    """Sign in: on success a session cookie (signed, HttpOnly, SameSite) and a redirect."""
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        raise CsrfRejected
    accounts = AccountService(platform)
    try:
        user = accounts.authenticate(email, password)
    except LoginFailed as exc:
        return _login_page(request, str(exc), email=email, status=401)
    secret, _ = accounts.start_session(user.id)
    target = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer(platform).dumps(secret),
        httponly=True,
        samesite="lax",
        secure=platform.settings.secure_cookies or platform.settings.environment == "production",
        max_age=platform.settings.session_hours * 3600,
    )
    response.delete_cookie(PRE_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(page: Page) -> Response:
    """Sign out and forget the session."""
    secret = session_secret(page.request, page.platform)
    if secret:
        AccountService(page.platform).end_session(secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
