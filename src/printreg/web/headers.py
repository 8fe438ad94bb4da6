"""Security headers on every response, and Secure on every cookie in production (pure ASGI).

- Content-Security-Policy: scripts, styles, images and connections from this origin only, no
  inline script (the one import map of the 3D viewer is allowed by its hash), no plugins, no
  framing (``frame-ancestors 'none'``, and X-Frame-Options DENY for older browsers); /api/docs
  gets the same policy, its Swagger UI being served from /static (works offline).
- X-Content-Type-Options nosniff, Referrer-Policy strict-origin-when-cross-origin (a page may set
  a stricter one: an assessment link's page sends no referrer).
- Strict-Transport-Security when the request came over https, or always in production.
- Cache-Control no-store on everything except /static: pages, API answers, exports and model
  files carry case or account data and must stay out of shared and back-button caches.
- Every Set-Cookie is HttpOnly with a SameSite attribute, and gains ``Secure`` when
  ``secure_cookies`` is on or in production, whichever route set the cookie (session, CSRF
  before sign-in, deletions, any later one).
"""

from __future__ import annotations

import base64
import hashlib
import json

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from printreg.settings import Settings

# The import map of the 3D viewer (case page): rendered from this text, allowed by its hash.
IMPORT_MAP = json.dumps(
    {
        "imports": {
            "three": "/static/vendor/three/three.module.min.js",
            "three/addons/": "/static/vendor/three/addons/",
        }
    },
    separators=(", ", ": "),
)
IMPORT_MAP_HASH = base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
CSP = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'sha256-{IMPORT_MAP_HASH}'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"


def cookies_secure(settings: Settings) -> bool:
    """Return whether cookies must be marked Secure (HTTPS only)."""
    return settings.secure_cookies or settings.environment == "production"


def _hardened_cookie(value: bytes, *, secure: bool) -> bytes:
    """Return a Set-Cookie value with HttpOnly and SameSite (Lax unless set), and Secure if asked.

    No script of printreg reads a cookie (the CSRF token comes in the page), so every cookie can
    be HttpOnly; an expiring cookie gets the same attributes as the one it deletes."""
    names = {part.strip().split(b"=", 1)[0].lower() for part in value.split(b";")[1:]}
    if b"httponly" not in names:
        value += b"; HttpOnly"
    if b"samesite" not in names:
        value += b"; SameSite=Lax"
    if secure and b"secure" not in names:
        value += b"; Secure"
    return value


class SecurityHeadersMiddleware:
    """Add the security headers to every response; harden every cookie (Secure when asked)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.secure = cookies_secure(settings)
        self.production = settings.environment == "production"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIX)
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    (k, _hardened_cookie(v, secure=self.secure) if k == b"set-cookie" else v)
                    for k, v in message["headers"]
                ]
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                # a page may ask for less (an assessment link's page sends no referrer at all)
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if https or self.production:
                    headers["Strict-Transport-Security"] = HSTS
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
