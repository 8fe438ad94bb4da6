"""Assessment link pages: the clinician's page behind a link (no account), and the staff's
list of sendings with their revoke and resend buttons; sending is on the case page.

The clinician's page answers every link that opens nothing with the same page and status
(404), whatever the reason; bad links are throttled per address like failed sign-ins; no
referrer leaves the page (the header and a meta tag), and the page loads nothing from
elsewhere (the CSP) and no script.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.accounts.signin_throttle import SignInThrottled
from printreg.assessment_links.answering import LinkAnswers, LinkNotValid, OpenLink
from printreg.assessment_links.schemas import LinkStatus
from printreg.assessment_links.service import AssessmentLinkService
from printreg.assessment_links.throttle import LinkThrottle
from printreg.cases.pages import render_case
from printreg.domain.errors import NotFound, RegistryError, ValidationFailed
from printreg.domain.issues import Issue
from printreg.web import forms
from printreg.web.client import client_address
from printreg.web.deps import PlatformDep
from printreg.web.errors import status_of
from printreg.web.pages.common import TEMPLATES, Field, Page, error_message
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(max_length=400)]
NOT_VALID_STATUS = 404


def _no_referrer(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _public(request: Request, template: str, status: int = 200, **context: object) -> Response:
    response = TEMPLATES.TemplateResponse(
        request, template, {"actor": None, "csrf_token": "", **context}, status_code=status
    )
    return _no_referrer(response)


def _not_valid(request: Request) -> Response:
    return _public(request, "assessment_link_invalid.html", NOT_VALID_STATUS)


def _throttled(request: Request, exc: SignInThrottled) -> Response:
    response = _public(request, "assessment_link_invalid.html", 429, wait=exc.retry_after)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _form(
    request: Request, link: OpenLink, token: str, values: dict[str, object], issues: list[Issue]
) -> Response:
    built = forms.build_form(link.definition, values, (), issues)
    section = next(s for s in built.sections if s.code == link.section)
    items = []
    for item in section.items:
        if item.name in link.names and isinstance(item, forms.FieldSpec):
            item.condition = None  # applicability was decided on the stored case
            items.append(item)
    section.items = list(items)
    return _public(
        request,
        "assessment_link.html",
        422 if issues else 200,
        link=link,
        section=section,
        errors=built.errors,
        action=f"/assess/{token}",
    )


@router.get("/assess/{token}", response_class=HTMLResponse)
def open_link(request: Request, platform: PlatformDep, token: Token) -> Response:
    """Show the section the link asks for, or the one "link not valid" page."""
    throttle = LinkThrottle(platform)
    address = client_address(request, platform.settings)
    try:
        throttle.check(address)
        link = LinkAnswers(platform).open(token)
    except SignInThrottled as exc:
        return _throttled(request, exc)
    except (LinkNotValid, RegistryError):
        throttle.failed(address)
        return _not_valid(request)
    return _form(request, link, token, dict(link.values), [])


@router.post("/assess/{token}", response_class=HTMLResponse)
async def answer_link(request: Request, platform: PlatformDep, token: Token) -> Response:
    """Store the answers once; show the form again with every problem when refused."""
    throttle = LinkThrottle(platform)
    address = client_address(request, platform.settings)
    answers = LinkAnswers(platform)
    try:
        throttle.check(address)
        link = answers.open(token)
    except SignInThrottled as exc:
        return _throttled(request, exc)
    except (LinkNotValid, RegistryError):
        throttle.failed(address)
        return _not_valid(request)
    form = await request.form()
    data = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    posted = forms.record_from_form(link.definition, data)
    given = {n: posted[n] for n in link.names if n in posted}
    try:
        answers.answer(token, given)
    except ValidationFailed as exc:
        return _form(request, link, token, given, list(exc.issues))
    except (LinkNotValid, RegistryError):
        return _not_valid(request)
    return _public(request, "assessment_link_done.html")


# -- staff --------------------------------------------------------------------------------------

STATUSES = [s.value for s in LinkStatus]


@router.get("/registries/{registry}/assessment-links", response_class=HTMLResponse)
def link_list(
    page: Page, registry: str, status: Annotated[str, Query(max_length=16)] = ""
) -> Response:
    """Show the sendings of the cases the person may read, newest first, by state."""
    chosen = LinkStatus(status) if status in STATUSES else None
    service = AssessmentLinkService(page.platform, page.actor)
    links = service.links(registry, chosen)
    place = place_of(page, registry)
    return page.render("assessment_links.html", place=place, links=links, registry=registry,
                       statuses=STATUSES, chosen=chosen.value if chosen else "")  # fmt: skip


def _back(registry: str, back: str) -> str:
    """Return where to go after an action: a page of this registry, else the list."""
    prefix = f"/registries/{registry}/"
    safe = back.startswith(prefix) and "//" not in back and "\\" not in back
    return back if safe else f"{prefix}assessment-links"


def _link_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound.no_such("assessment link") from None


@router.post("/registries/{registry}/cases/{case_id}/assessment-links", response_class=HTMLResponse)
def send_link(page: Page, registry: str, case_id: str, email: Field = "") -> Response:
    """Send the case's assessment section to a clinician; back to the case page, which says
    what happened."""
    base = f"/registries/{registry}/cases/{case_id}"
    try:
        ident = uuid.UUID(case_id)
    except ValueError:
        raise NotFound.no_such("case") from None
    try:
        AssessmentLinkService(page.platform, page.actor).send(registry, ident, email)
    except NotFound:
        raise
    except RegistryError as exc:
        return render_case(page, registry, case_id, status_code=status_of(exc),
                           assessment_problem=error_message(exc), assessment_email=email)  # fmt: skip
    return RedirectResponse(f"{base}?assessment=sent#assessment-links", status_code=303)


@router.post("/registries/{registry}/assessment-links/{link_id}/{action}")
def link_action(page: Page, registry: str, link_id: str, action: str, back: Field = "") -> Response:
    """Revoke or resend a sending, then go back to the page it was done from."""
    service = AssessmentLinkService(page.platform, page.actor)
    ident = _link_id(link_id)
    if action == "revoke":
        service.revoke(ident)
    elif action == "resend":
        service.resend(ident)
    else:
        raise NotFound.no_such("action")
    return RedirectResponse(_back(registry, back), status_code=303)
