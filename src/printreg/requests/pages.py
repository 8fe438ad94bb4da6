"""Data request pages: the list, the form a researcher fills in, a request with its feasibility
counts, votes, decision, downloads (the files themselves come from the API routes)."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from printreg.domain.errors import Forbidden, InvalidRequest, RegistryError, ValidationFailed
from printreg.domain.facility import RegistryRoleName
from printreg.domain.reasons import required_reason
from printreg.requests.service import DataRequestService, RequestDraft
from printreg.web.confirm import Confirmation, confirm_page, is_confirmed
from printreg.web.errors import status_of
from printreg.web.pages.common import Page, PageContext
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)


def _messages(exc: RegistryError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [f"{i.path}: {i.message}" if i.path else i.message for i in exc.issues]
    return [str(exc)]


def _researcher(page: PageContext, registry: str) -> bool:
    roles = page.actor.registry_roles.get(registry, frozenset())
    return RegistryRoleName.RESEARCHER in roles


@router.get("/registries/{registry}/requests", response_class=HTMLResponse)
def request_list(page: Page, registry: str) -> Response:
    """Show the person's data requests (committee and administrators: all of the registry's)."""
    place = place_of(page, registry=registry)
    views = DataRequestService(page.platform, page.actor).requests(registry)
    return page.render("requests.html", place=place, requests=views,
                       may_submit=_researcher(page, registry))  # fmt: skip


def _form_page(
    page: PageContext,
    registry: str,
    errors: list[str] | None = None,
    form: FormData | None = None,
    status_code: int = 200,
) -> Response:
    place = place_of(page, registry=registry)
    choices = DataRequestService(page.platform, page.actor).choices(registry)
    if not _researcher(page, registry):
        raise Forbidden(f"only researchers of registry {registry} submit data requests")
    return page.render(
        "request_form.html",
        status_code=status_code,
        place=place,
        choices=choices,
        errors=errors or [],
        entered=form,
    )


@router.get("/registries/{registry}/requests/new", response_class=HTMLResponse)
def new_request(page: Page, registry: str) -> Response:
    """Show the form of a new data request (researchers)."""
    return _form_page(page, registry)


def _date(form: FormData, name: str) -> dt.date | None:
    value = str(form.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{name.replace('_', ' ')}: give a date as YYYY-MM-DD") from None


def _draft(form: FormData) -> RequestDraft:
    """Return the request the form describes: strata are the elements ticked 'count by' or
    narrowed to some codes."""
    strata: dict[str, list[str]] = {}
    broken_down = {str(v) for v in form.getlist("stratum")}
    for key in form:
        if key.startswith("codes_"):
            strata[key.removeprefix("codes_")] = [str(v) for v in form.getlist(key)]
    for name in broken_down:
        strata.setdefault(name, [])
    return RequestDraft(
        title=str(form.get("title") or "")[:200],
        aims=str(form.get("aims") or "")[:5000],
        elements=[str(v) for v in form.getlist("elements")],
        strata=strata,
        period_from=_date(form, "period_from"),
        period_to=_date(form, "period_to"),
    )


@router.post("/registries/{registry}/requests/new", response_class=HTMLResponse)
async def submit_request(page: Page, registry: str) -> Response:
    """Submit the form; show it again with every problem when the request is refused."""
    form = await page.request.form()
    try:
        draft = _draft(form)
        if not draft.title.strip() or not draft.aims.strip():
            raise InvalidRequest("give the study a title and describe its aims")
        view = DataRequestService(page.platform, page.actor).submit(registry, draft)
    except RegistryError as exc:
        return _form_page(page, registry, _messages(exc), form, status_of(exc))
    return RedirectResponse(f"/requests/{view.id}?done=submitted", status_code=303)


def _detail(
    page: PageContext, request_id: uuid.UUID, errors: list[str] | None = None, status: int = 200
) -> Response:
    service = DataRequestService(page.platform, page.actor)
    view = service.get(request_id)
    place = place_of(page, registry=view.registry)
    feasibility = service.feasibility(request_id)
    downloads = service.downloads(request_id) if page.actor.administers(view.registry) else None
    return page.render(
        "request_detail.html",
        status_code=status,
        place=place,
        dr=view,
        feasibility=feasibility,
        downloads=downloads,
        may_decide=page.actor.administers(view.registry) and view.status == "submitted",
        may_vote=page.actor.on_committee(view.registry) and view.status == "submitted",
        may_download=page.actor.user_id is not None
        and view.requester == page.actor.name
        and view.status == "extract_ready",
        errors=errors or [],
        done=page.request.query_params.get("done", ""),
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_detail(page: Page, request_id: uuid.UUID) -> Response:
    """Show a data request: aims, elements, feasibility counts, decision, extract."""
    return _detail(page, request_id)


@router.post("/requests/{request_id}/decide", response_class=HTMLResponse)
async def decide(page: Page, request_id: uuid.UUID) -> Response:
    """Approve (the elements ticked) or decline a submitted request (administrators); declining,
    which is final, goes through the confirmation page and needs a reason."""
    form = await page.request.form()
    approve = form.get("decision") == "approve"
    elements = [str(v) for v in form.getlist("elements")] if approve else None
    note = str(form.get("reason") or form.get("note") or "")[:2000]
    service = DataRequestService(page.platform, page.actor)
    if not approve:
        try:
            view = service.get(request_id)
            if not page.actor.administers(view.registry):
                raise Forbidden("only the registry's administrators record a decision; "
                                "committee members vote")  # fmt: skip
        except RegistryError as exc:
            return _detail(page, request_id, _messages(exc), status_of(exc))
        confirmation = Confirmation(
            title=f"Decline data request {view.title!r}?",
            consequence=(
                "The requester is told that the request is declined, with your reason. The "
                "decision is final: asking again takes a new request and a new review."
            ),
            action=f"/requests/{request_id}/decide",
            button="Decline the request",
            cancel=f"/requests/{request_id}",
            fields={"decision": "decline"},
            reason_help="The requester reads it; it is kept in the audit log.",
        )
        if not is_confirmed(str(form.get("confirmed") or "")):
            return confirm_page(page, confirmation, reason=note)
        try:
            note = required_reason(note, "decline the request")
        except RegistryError as exc:
            return confirm_page(page, confirmation, reason=note, error=exc)
    try:
        service.decide(request_id, approve, elements, note)
    except RegistryError as exc:
        return _detail(page, request_id, _messages(exc), status_of(exc))
    return RedirectResponse(f"/requests/{request_id}?done=decided", status_code=303)


@router.post("/requests/{request_id}/vote", response_class=HTMLResponse)
async def vote(page: Page, request_id: uuid.UUID) -> Response:
    """Cast or change a committee member's vote."""
    form = await page.request.form()
    try:
        DataRequestService(page.platform, page.actor).vote(
            request_id, str(form.get("vote") or ""), str(form.get("comment") or "")[:2000]
        )
    except RegistryError as exc:
        return _detail(page, request_id, _messages(exc), status_of(exc))
    return RedirectResponse(f"/requests/{request_id}?done=voted", status_code=303)
