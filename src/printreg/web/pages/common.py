"""What every HTML page shares: templates, the signed-in person, CSRF on every form post."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from printreg.accounts.actor import Actor
from printreg.accounts.registry_choice import RegistryChoice
from printreg.dictionary.dates import date_formats
from printreg.domain.errors import RegistryError, ValidationFailed
from printreg.notifications.service import unread_count
from printreg.platform import Platform
from printreg.web.deps import PlatformDep, session_actor, session_secret
from printreg.web.headers import IMPORT_MAP
from printreg.web.navigation import main_navigation

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
TEMPLATES.env.globals["import_map"] = IMPORT_MAP  # allowed by its hash in the CSP
TEMPLATES.env.globals["date_formats"] = date_formats  # what a date input reads, in words
TEMPLATES.env.globals["main_navigation"] = main_navigation  # layout.html's links, by role
PRE_CSRF_COOKIE = "printreg_precsrf"  # double-submit token for forms shown before sign-in
CSRF_FIELD = "csrf_token"
Field = Annotated[str, Form(max_length=200)]  # a short form field
LongField = Annotated[str, Form(max_length=4000)]  # a statement, a comment, a reason


def error_message(exc: RegistryError) -> str:
    """Return a refusal as one line for a page: every issue's message, or the error's text."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(i.message for i in exc.issues)
    return str(exc)


class SignInRequired(Exception):  # noqa: N818 - control flow: the handler redirects to /login
    """The page needs a signed-in person."""


class CsrfRejected(Exception):  # noqa: N818
    """A form post came without the right CSRF token."""


class SecondFactorMissing(Exception):  # noqa: N818 - control flow: the handler redirects
    """The person's roles require a second factor they have not set up yet: every page but
    the enrolment pages and sign-out redirects to them."""


ENROL_PATH = "/account/second-factor"


class PageContext:
    """The signed-in person and their CSRF token, for a page."""

    def __init__(self, request: Request, platform: Platform, actor: Actor, csrf: str) -> None:
        self.request = request
        self.platform = platform
        self.actor = actor
        self.csrf = csrf
        self._registry: str | None = None

    @property
    def registry(self) -> str:
        """Return the registry the person works in on pages whose path names none: the one
        chosen in the switcher (``accounts.registry_choice``), the default before a choice."""
        if self._registry is None:
            secret = session_secret(self.request, self.platform)
            self._registry = RegistryChoice(self.platform).current(secret, self.actor)
        return self._registry

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Return the template rendered with the person, CSRF token and ``context``."""
        unread = unread_count(self.platform, self.actor)  # the menu's count, on every page
        return TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "actor": self.actor,
                "csrf_token": self.csrf,
                "unread_notifications": unread,
                **context,
            },
            status_code=status_code,
        )


async def _context(request: Request, platform: Platform, *, enrolling: bool) -> PageContext:
    found = session_actor(request, platform)
    if found is None:
        raise SignInRequired
    actor, csrf = found
    if not enrolling and actor.second_factor_due:
        raise SecondFactorMissing
    if request.method == "POST":
        form = await request.form()
        sent = form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
        if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf):
            raise CsrfRejected
    page = PageContext(request, platform, actor, csrf)
    request.state.page = page  # for the one handler that turns a domain error into a page
    return page


async def page_context(request: Request, platform: PlatformDep) -> PageContext:
    """Return the page context; redirect to sign-in when nobody is, and to the enrolment page
    when the person's roles require a second factor they lack; check CSRF on posts."""
    return await _context(request, platform, enrolling=False)


async def enrol_page_context(request: Request, platform: PlatformDep) -> PageContext:
    """Return the page context of the second-factor pages and sign-out, which a person who
    must still enrol may reach."""
    return await _context(request, platform, enrolling=True)


Page = Annotated[PageContext, Depends(page_context)]
EnrolPage = Annotated[PageContext, Depends(enrol_page_context)]


async def upload_page_context(request: Request, platform: PlatformDep) -> PageContext:
    """Return the page context of a file upload; redirect to sign-in when nobody is.

    The route reads the upload itself (``web.uploads``: in memory, never spooled to disk) and
    then checks the CSRF token with ``require_csrf``; ``page_context`` would parse the form first.
    """
    found = session_actor(request, platform)
    if found is None:
        raise SignInRequired
    actor, csrf = found
    if actor.second_factor_due:
        raise SecondFactorMissing
    page = PageContext(request, platform, actor, csrf)
    request.state.page = page  # for the one handler that turns a domain error into a page
    return page


UploadPage = Annotated[PageContext, Depends(upload_page_context)]


def require_csrf(page: PageContext, sent: str | None) -> None:
    """Raise CsrfRejected unless ``sent`` (or the X-CSRF-Token header) is the session's token."""
    token = sent or page.request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(token, page.csrf):
        raise CsrfRejected


def new_pre_csrf() -> str:
    """Return a fresh double-submit token for the sign-in form."""
    return secrets.token_urlsafe(32)
