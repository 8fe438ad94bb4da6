"""Governance pages: a facility's enrollment in every registry (apply, withdraw, history), the
committee's agenda of open applications with its vote buttons, the agreements the registry's
administrators record for approved facilities, and the registry's lifecycle moves."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.domain.errors import RegistryError
from printreg.domain.governance import lifecycle_moves
from printreg.governance.committee import CommitteeService
from printreg.governance.enrollment import Contact, EnrollmentService
from printreg.registries.service import RegistryService
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, LongField, Page, PageContext, error_message
from printreg.web.pages.home import error_page, place_of

router = APIRouter(include_in_schema=False)
APPLICABLE = frozenset({None, "declined", "withdrawn"})
WITHDRAWABLE = frozenset({"applied", "approved", "active", "suspended"})


# -- the facility's enrollment ------------------------------------------------------------------


def _enrollment_page(
    page: PageContext,
    code: str,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        place = place_of(page, facility=code)
        enrollments = EnrollmentService(page.platform, page.actor).of_facility(code)
    except RegistryError as exc:
        return error_page(page, exc, "Facility not found")
    return page.render(
        "enrollment.html",
        status_code=status_code,
        place=place,
        facility=place.facility,
        enrollments=enrollments,
        may_manage=place.manages(code),
        applicable=APPLICABLE,
        withdrawable=WITHDRAWABLE,
        error=error,
        entered=entered or {},
        done=page.request.query_params.get("done", ""),
    )


@router.get("/facilities/{code}/enrollment", response_class=HTMLResponse)
def enrollment(page: Page, code: str) -> Response:
    """Show the facility's status, agreement, fees and history in every registry."""
    return _enrollment_page(page, code)


@router.post("/facilities/{code}/enrollment/{registry}/apply", response_class=HTMLResponse)
def apply(
    page: Page,
    code: str,
    registry: str,
    contact_name: Field = "",
    contact_email: Field = "",
    contact_role: Field = "",
    contact_phone: Field = "",
    statement: LongField = "",
) -> Response:
    """Apply to a registry with one contact person; show the page again when refused."""
    contact = Contact(contact_role, contact_name, contact_email, contact_phone)
    try:
        EnrollmentService(page.platform, page.actor).apply(registry, code, [contact], statement)
    except RegistryError as exc:
        entered = {**contact.__dict__, "statement": statement, "registry": registry}
        return _enrollment_page(page, code, error_message(exc), entered, status_of(exc))
    return RedirectResponse(f"/facilities/{code}/enrollment?done=applied", status_code=303)


@router.post("/facilities/{code}/enrollment/{registry}/withdraw", response_class=HTMLResponse)
def withdraw(page: Page, code: str, registry: str, reason: Field = "") -> Response:
    """Withdraw the facility from a registry (or its application)."""
    try:
        EnrollmentService(page.platform, page.actor).set_status(
            registry, code, "withdrawn", reason=reason
        )
    except RegistryError as exc:
        return _enrollment_page(page, code, error_message(exc), None, status_of(exc))
    return RedirectResponse(f"/facilities/{code}/enrollment?done=withdrawn", status_code=303)


# -- the committee ------------------------------------------------------------------------------


def _committee_page(
    page: PageContext, registry: str, error: str | None = None, status_code: int = 200
) -> Response:
    try:
        place = place_of(page, registry)
        agenda = CommitteeService(page.platform, page.actor).agenda(registry)
        administers = page.actor.administers(registry)
        awaiting = (
            EnrollmentService(page.platform, page.actor).awaiting_agreement(registry)
            if administers
            else []
        )
        lifecycle = RegistryService(page.platform, page.actor).info(registry).lifecycle
    except RegistryError as exc:
        return error_page(page, exc)
    return page.render(
        "committee.html",
        status_code=status_code,
        place=place,
        registry=registry,
        agenda=agenda,
        awaiting=awaiting,
        voter=page.actor.on_committee(registry),
        administers=administers,
        lifecycle=lifecycle,
        moves=lifecycle_moves(lifecycle) if administers else [],
        error=error,
        done=page.request.query_params.get("done", ""),
    )


@router.get("/registries/{registry}/committee", response_class=HTMLResponse)
def committee(page: Page, registry: str) -> Response:
    """Show the open applications with their votes, and vote buttons for members; for the
    registry's administrators, the approved facilities awaiting their agreement."""
    return _committee_page(page, registry)


@router.post("/registries/{registry}/enrollments/{code}/agreement", response_class=HTMLResponse)
def record_agreement(page: Page, registry: str, code: str, agreement_date: Field = "") -> Response:
    """Record an approved facility's participation agreement (date and fees): it becomes active."""
    try:
        signed = dt.date.fromisoformat(agreement_date)
    except ValueError:
        message = "give the date the participation agreement was signed (YYYY-MM-DD)"
        return _committee_page(page, registry, message, 422)
    try:
        EnrollmentService(page.platform, page.actor).set_status(
            registry, code, "active", agreement_date=signed
        )
    except RegistryError as exc:
        return _committee_page(page, registry, error_message(exc), status_of(exc))
    return RedirectResponse(
        f"/registries/{registry}/committee?done=agreed&facility={code}", status_code=303
    )


@router.post("/registries/{registry}/committee/votes", response_class=HTMLResponse)
def vote(
    page: Page,
    registry: str,
    subject_type: Field = "",
    subject_id: Field = "",
    choice: Field = "",
    comment: LongField = "",
) -> Response:
    """Cast or change the member's vote; the decision is taken when the rule is met."""
    try:
        CommitteeService(page.platform, page.actor).vote(
            registry, subject_type, subject_id, choice, comment
        )
    except RegistryError as exc:
        return _committee_page(page, registry, error_message(exc), status_of(exc))
    return RedirectResponse(f"/registries/{registry}/committee?done=voted", status_code=303)


@router.post("/registries/{registry}/lifecycle", response_class=HTMLResponse)
def move_lifecycle(
    page: Page, registry: str, state: Field = "", reason: LongField = ""
) -> Response:
    """Move the registry to another lifecycle state (its administrators; audited)."""
    try:
        RegistryService(page.platform, page.actor).set_lifecycle(registry, state, reason)
    except RegistryError as exc:
        return _committee_page(page, registry, error_message(exc), status_of(exc))
    return RedirectResponse(f"/registries/{registry}/committee?done=lifecycle", status_code=303)
