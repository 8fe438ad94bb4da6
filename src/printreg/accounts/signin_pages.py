"""Sign in (password, then the second factor when the person has one) and sign out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from printreg.accounts.second_factor import SecondFactorService
from printreg.accounts.service import AccountService, LoginFailed
from printreg.accounts.signin_throttle import SignInThrottled
from printreg.platform import Platform
from printreg.web.client import client_address
from printreg.web.deps import (
    SESSION_COOKIE,
    PlatformDep,
    get_platform,
    session_secret,
    signer,
)
from printreg.web.pages.common import (
    PRE_CSRF_COOKIE,
    TEMPLATES,
    CsrfRejected,
    EnrolPage,
    new_pre_csrf,
)

router = APIRouter(include_in_schema=False)

# The half-signed-in state between the password and the code: a signed, short-lived cookie
# naming the person and the client address, not a session (it opens nothing but the code form).
STEP_COOKIE = "printreg_signin_step"
STEP_SECONDS = 300
STEP_EXPIRED = "the sign-in took too long: sign in again"
NO_PASSWORDS = "password sign-in is turned off at this installation: use single sign-on"


def _secure(platform: Platform) -> bool:
    return platform.settings.secure_cookies or platform.settings.environment == "production"


def _step_signer(platform: Platform) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(platform.settings.secret_key, salt="printreg-signin-step")


def _form_page(
    request: Request,
    template: str,
    *,
    error: str | None = None,
    email: str = "",
    next_url: str = "/",
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    token = new_pre_csrf()
    settings = get_platform(request).settings
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"csrf_token": token, "error": error, "email": email, "actor": None, "next": next_url,
         "password_sign_in": settings.password_sign_in,
         "sso_label": settings.oidc_button_label if settings.single_sign_on else None},
        status_code=status,
    )  # fmt: skip
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600,
                        secure=_secure(get_platform(request)))  # fmt: skip
    return response


def login_page(
    request: Request,
    error: str | None = None,
    email: str = "",
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    next_url = request.query_params.get("next", "/")
    return _form_page(request, "login.html", error=error, email=email, next_url=next_url,
                      status=status, retry_after=retry_after)  # fmt: skip


def _require_pre_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRejected


def safe_next(next_url: str) -> str:
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"


def _signed_in(platform: Platform, user_id: int, next_url: str) -> Response:
    secret, _ = AccountService(platform).start_session(user_id)
    response = RedirectResponse(safe_next(next_url), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer(platform).dumps(secret),
        httponly=True,
        samesite="lax",
        secure=_secure(platform),
        max_age=platform.settings.session_hours * 3600,
    )
    response.delete_cookie(PRE_CSRF_COOKIE)
    response.delete_cookie(STEP_COOKIE, path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """Show the sign-in form."""
    return login_page(request)


@router.post("/login")
def login(
    request: Request,
    platform: PlatformDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=300)] = "/",
) -> Response:
    """Sign in: on success a session cookie (signed, HttpOnly, SameSite) and a redirect; for a
    person with a second factor, the code form first. Refused (403) while password sign-in is
    turned off."""
    _require_pre_csrf(request, csrf_token)
    if not platform.settings.password_sign_in:
        return login_page(request, NO_PASSWORDS, status=403)
    address = client_address(request, platform.settings)
    try:
        user = AccountService(platform).authenticate(email, password, address)
    except SignInThrottled as exc:
        return login_page(request, str(exc), email=email, status=429,
                           retry_after=exc.retry_after)  # fmt: skip
    except LoginFailed as exc:
        return login_page(request, str(exc), email=email, status=401)
    return proceed(request, platform, user.id, address, next_url)


def proceed(
    request: Request, platform: Platform, user_id: int, address: str, next_url: str
) -> Response:
    """Finish the sign-in of a person whose first factor (password or single sign-on) passed:
    a session, or, when they have a second factor, the code form first."""
    if not SecondFactorService(platform).enrolled(user_id):
        return _signed_in(platform, user_id, next_url)
    response = _form_page(request, "login_code.html", next_url=safe_next(next_url))
    response.set_cookie(
        STEP_COOKIE,
        _step_signer(platform).dumps({"user": user_id, "address": address}),
        httponly=True,
        samesite="strict",
        secure=_secure(platform),
        max_age=STEP_SECONDS,
        path="/login",
    )
    return response


def _step_user(request: Request, platform: Platform, address: str) -> int | None:
    """Return the person of a valid, unexpired half-signed-in cookie given to this client
    address; None otherwise (a cookie carried elsewhere is worth nothing)."""
    cookie = request.cookies.get(STEP_COOKIE)
    if not cookie:
        return None
    try:
        value = _step_signer(platform).loads(cookie, max_age=STEP_SECONDS)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("address") != address:
        return None
    user = value.get("user")
    return user if isinstance(user, int) else None


@router.post("/login/code")
def login_code(
    request: Request,
    platform: PlatformDep,
    code: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=300)] = "/",
) -> Response:
    """Second step of a sign-in: a code from the app, or a recovery code."""
    _require_pre_csrf(request, csrf_token)
    address = client_address(request, platform.settings)
    user_id = _step_user(request, platform, address)
    if user_id is None:
        return login_page(request, STEP_EXPIRED, status=401)
    try:
        SecondFactorService(platform).complete_sign_in(user_id, code, address)
    except SignInThrottled as exc:
        return _form_page(request, "login_code.html", error=str(exc), next_url=next_url,
                          status=429, retry_after=exc.retry_after)  # fmt: skip
    except LoginFailed as exc:
        return _form_page(request, "login_code.html", error=str(exc), next_url=next_url,
                          status=401)  # fmt: skip
    return _signed_in(platform, user_id, next_url)


@router.post("/logout")
def logout(page: EnrolPage) -> Response:
    """Sign out and forget the session."""
    secret = session_secret(page.request, page.platform)
    if secret:
        AccountService(page.platform).end_session(secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
