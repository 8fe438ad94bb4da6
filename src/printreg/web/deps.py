"""Request dependencies: the platform, the acting person or token, CSRF checks."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request
from itsdangerous import BadSignature, URLSafeSerializer

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.domain.errors import Forbidden
from printreg.platform import Platform
from printreg.web.errors import Unauthenticated

SESSION_COOKIE = "printreg_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_platform(request: Request) -> Platform:
    """Return the platform the application was created with."""
    platform: Platform = request.app.state.platform
    return platform


async def _platform_dependency(request: Request) -> Platform:
    """Return the platform; async because it never waits, so FastAPI calls it on the event
    loop instead of sending it to the thread pool (a thread hop on every request)."""
    return get_platform(request)


PlatformDep = Annotated[Platform, Depends(_platform_dependency)]


def signer(platform: Platform) -> URLSafeSerializer:
    """Return the serializer that signs session cookies with the secret key."""
    return URLSafeSerializer(platform.settings.secret_key, salt="printreg-session")


def session_secret(request: Request, platform: Platform) -> str | None:
    """Return the session secret from a validly signed cookie, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        value = signer(platform).loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def session_actor(request: Request, platform: Platform) -> tuple[Actor, str] | None:
    """Return (actor, CSRF token) of the request's browser session, or None."""
    if hasattr(request.state, "session_actor"):
        cached: tuple[Actor, str] | None = request.state.session_actor
        return cached
    secret = session_secret(request, platform)
    found = AccountService(platform).session(secret) if secret else None
    request.state.session_actor = found
    return found


def api_actor(
    request: Request,
    platform: PlatformDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER, include_in_schema=False)] = None,
) -> Actor:
    """Return who is calling the API: a bearer token, or a session (with CSRF on writes).

    Forbidden for a person whose roles require a second factor they have not set up yet."""
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        actor = (
            AccountService(platform).token_actor(secret.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if actor is None:
            raise Unauthenticated("the API token is unknown, expired or revoked")
        return _enrolled(actor)
    found = session_actor(request, platform)
    if found is None:
        raise Unauthenticated("sign in, or send 'Authorization: Bearer <API token>'")
    actor, csrf = found
    if request.method in UNSAFE and not hmac.compare_digest(x_csrf_token or "", csrf):
        raise Unauthenticated(f"a signed-in browser must send its {CSRF_HEADER} header on changes")
    return _enrolled(actor)


def _enrolled(actor: Actor) -> Actor:
    """Return the actor unless their roles require a second factor they lack (Forbidden; read
    with the token or session, as ``SecondFactorService.required`` would answer)."""
    if actor.second_factor_due:
        raise Forbidden(
            "your registry roles require a second factor: set one up on the Account page "
            "(/account/second-factor) first"
        )
    return actor


ActorDep = Annotated[Actor, Depends(api_actor)]
