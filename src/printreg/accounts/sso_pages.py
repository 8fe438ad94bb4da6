"""Single sign-on pages: start a sign-in at the OpenID provider, and take its answer.

The flow's secrets (state, nonce, PKCE verifier), the page to return to and the client address
travel in a signed, short-lived cookie limited to /login/sso, HttpOnly and SameSite=Lax (the
provider's answer is a top-level navigation from another site, which a Strict cookie would not
follow). It is deleted by every answer, so a callback works once. Both routes answer 404 while
single sign-on is not configured.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from printreg.accounts.signin_pages import login_page, proceed, safe_next
from printreg.accounts.signin_throttle import SignInThrottled
from printreg.accounts.sso import CALLBACK_PATH, Flow, SingleSignOn, SsoFailed, SsoUnavailable
from printreg.domain.errors import NotFound
from printreg.platform import Platform
from printreg.web.client import client_address
from printreg.web.deps import PlatformDep
from printreg.web.headers import cookies_secure

router = APIRouter(include_in_schema=False)

START_PATH = "/login/sso"
FLOW_COOKIE = "printreg_sso"
#: seconds a person has at the provider before the flow expires
FLOW_SECONDS = 600


def _signer(platform: Platform) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(platform.settings.secret_key, salt="printreg-sso-flow")


def _configured(platform: Platform) -> None:
    if not platform.settings.single_sign_on:
        raise NotFound("single sign-on is not configured here")


@router.get(START_PATH)
def sso_start(request: Request, platform: PlatformDep, next: str = "/") -> Response:  # noqa: A002
    """Send the browser to the provider with a new flow (state, nonce, PKCE challenge); the
    sign-in page with a message when the provider cannot be reached."""
    _configured(platform)
    try:
        flow, url = SingleSignOn(platform).start()
    except SsoUnavailable as exc:
        return login_page(request, str(exc), status=502)
    address = client_address(request, platform.settings)
    kept = {"state": flow.state, "nonce": flow.nonce, "verifier": flow.verifier,
            "next": safe_next(next[:300]), "address": address}  # fmt: skip
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        _signer(platform).dumps(kept),
        max_age=FLOW_SECONDS,
        path=START_PATH,
        httponly=True,
        samesite="lax",
        secure=cookies_secure(platform.settings),
    )
    return response


def _flow(request: Request, platform: Platform, address: str) -> tuple[Flow | None, str]:
    """Return the flow of a valid, unexpired cookie given to this client address (None
    otherwise) and the page to return to."""
    try:
        kept = _signer(platform).loads(request.cookies.get(FLOW_COOKIE, ""), max_age=FLOW_SECONDS)
    except BadSignature:
        return None, "/"
    if not isinstance(kept, dict) or kept.get("address") != address:
        return None, "/"
    parts = [kept.get(k) for k in ("state", "nonce", "verifier")]
    next_url = safe_next(str(kept.get("next", "/")))
    if not all(isinstance(p, str) and p for p in parts):
        return None, next_url
    return Flow(*(str(p) for p in parts)), next_url


@router.get(CALLBACK_PATH)
def sso_callback(request: Request, platform: PlatformDep) -> Response:
    """Take the provider's answer: sign the person in as a password sign-in would (the second
    factor next when they have one), or show the sign-in page with why not."""
    _configured(platform)
    address = client_address(request, platform.settings)
    flow, next_url = _flow(request, platform, address)
    answer = {k: v[:2048] for k, v in request.query_params.items()}
    try:
        user_id = SingleSignOn(platform).finish(flow, answer, address)
    except SignInThrottled as exc:
        response = login_page(request, str(exc), status=429, retry_after=exc.retry_after)
    except SsoFailed as exc:
        response = login_page(request, str(exc), status=401)
    except SsoUnavailable as exc:
        response = login_page(request, str(exc), status=502)
    else:
        response = proceed(request, platform, user_id, address, next_url)
    response.delete_cookie(FLOW_COOKIE, path=START_PATH)
    # The answer's address holds a code and state: no referrer may carry it further.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
