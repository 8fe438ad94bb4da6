"""Governance pages: a facility's enrollment in every registry (apply, withdraw, history), the
committee's agenda of open applications with its vote buttons, the agreements the registry's
administrators record for approved facilities, and the registry's lifecycle moves."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.domain.errors import RegistryError, ValidationFailed
from printreg.domain.governance import Lifecycle, check_lifecycle, lifecycle_moves
from printreg.domain.reasons import required_reason
from printreg.governance.committee import CommitteeService
from printreg.governance.enrollment import Contact, EnrollmentService
from printreg.registries.service import RegistryService
from printreg.web.confirm import Confirmation, confirm_page, is_confirmed
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, LongField, Page, PageContext, error_message
from printreg.web.pages.home import place_of

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
    place = place_of(page, facility=code)
    enrollments = EnrollmentService(page.platform, page.actor).of_facility(code)
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
def withdraw(
    page: Page, code: str, registry: str, reason: LongField = "", confirmed: Field = ""
) -> Response:
    """Withdraw the facility from a registry (or its application) once the confirmation page
    has said what it means and a reason is given."""
    service = EnrollmentService(page.platform, page.actor)
    try:
        current = service.check_withdrawal(registry, code)
    except RegistryError as exc:
        return _enrollment_page(page, code, error_message(exc), None, status_of(exc))
    confirmation = Confirmation(
        title=f"Withdraw {code} from registry {registry}?",
        consequence=withdrawal_consequence(code, registry, current.status),
        action=f"/facilities/{code}/enrollment/{registry}/withdraw",
        button=f"Withdraw from {registry}",
        cancel=f"/facilities/{code}/enrollment",
    )
    if not is_confirmed(confirmed):
        return confirm_page(page, confirmation, reason=reason)
    try:
        service.set_status(registry, code, "withdrawn", reason=reason)
    except RegistryError as exc:
        return confirm_page(page, confirmation, reason=reason, error=exc)
    return RedirectResponse(f"/facilities/{code}/enrollment?done=withdrawn", status_code=303)


def withdrawal_consequence(code: str, registry: str, status: str | None) -> str:
    """Return what withdrawing a facility in ``status`` means, in plain words."""
    if status == "applied":
        return (
            f"The open application of {code} to {registry} is withdrawn and the committee stops "
            "voting on it. Joining later takes a new application and a new committee vote."
        )
    return (
        f"{code} stops taking part in {registry}: its people can no longer add, change or import "
        f"cases there. The cases already in {registry} stay. This cannot be undone: rejoining "
        "takes a new application and a committee vote."
    )


# -- the committee ------------------------------------------------------------------------------


def _committee_page(
    page: PageContext, registry: str, error: str | None = None, status_code: int = 200
) -> Response:
    place = place_of(page, registry)
    agenda = CommitteeService(page.platform, page.actor).agenda(registry)
    administers = page.actor.administers(registry)
    awaiting = (
        EnrollmentService(page.platform, page.actor).awaiting_agreement(registry)
        if administers
        else []
    )
    lifecycle = RegistryService(page.platform, page.actor).info(registry).lifecycle
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
    reason: LongField = "",
    confirmed: Field = "",
) -> Response:
    """Cast or change the member's vote; the decision is taken when the rule is met. A vote to
    decline may be the one that declines the application for good: it goes through the
    confirmation page and needs a reason (kept as the vote's comment)."""
    comment = reason or comment
    if choice == "decline":
        if not page.actor.on_committee(registry) or page.actor.user_id is None:
            message = f"only members of the committee of registry {registry} vote"
            return _committee_page(page, registry, message, 403)
        confirmation = Confirmation(
            title=f"Vote to decline application #{subject_id}?",
            consequence=(
                "If your vote completes the committee's rule, the application is declined at "
                "once and the facility must apply again to be considered; until then you may "
                "change your vote."
            ),
            action=f"/registries/{registry}/committee/votes",
            button="Vote to decline",
            cancel=f"/registries/{registry}/committee",
            fields={"subject_type": subject_type, "subject_id": subject_id, "choice": choice},
            reason_help="Kept with your vote; the committee and the registry's administrators "
            "read it.",
        )
        if not is_confirmed(confirmed):
            return confirm_page(page, confirmation, reason=comment)
        try:
            comment = required_reason(comment, "decline")
        except RegistryError as exc:
            return confirm_page(page, confirmation, reason=comment, error=exc)
    try:
        CommitteeService(page.platform, page.actor).vote(
            registry, subject_type, subject_id, choice, comment
        )
    except RegistryError as exc:
        return _committee_page(page, registry, error_message(exc), status_of(exc))
    return RedirectResponse(f"/registries/{registry}/committee?done=voted", status_code=303)


@router.post("/registries/{registry}/lifecycle", response_class=HTMLResponse)
def move_lifecycle(
    page: Page, registry: str, state: Field = "", reason: LongField = "", confirmed: Field = ""
) -> Response:
    """Move the registry to another lifecycle state (its administrators; audited); closing,
    which is final, goes through the confirmation page first."""
    service = RegistryService(page.platform, page.actor)
    confirmation = Confirmation(
        title=f"Close registry {registry} for good?",
        consequence=(
            f"Closing is final: {registry} will take no new cases, changes, imports or "
            "applications, and it cannot be opened again. Its cases stay readable for reports "
            "and approved research."
        ),
        action=f"/registries/{registry}/lifecycle",
        button=f"Close {registry}",
        cancel=f"/registries/{registry}/committee",
        fields={"state": Lifecycle.CLOSED.value},
    )
    if state == Lifecycle.CLOSED and not is_confirmed(confirmed):
        try:
            page.actor.require_registry_admin(registry)
            check_lifecycle(service.info(registry).lifecycle, state)
        except RegistryError as exc:
            return _committee_page(page, registry, error_message(exc), status_of(exc))
        return confirm_page(page, confirmation, reason=reason)
    try:
        service.set_lifecycle(registry, state, reason)
    except RegistryError as exc:
        if state == Lifecycle.CLOSED and isinstance(exc, ValidationFailed):  # no reason given
            return confirm_page(page, confirmation, reason=reason, error=exc)
        return _committee_page(page, registry, error_message(exc), status_of(exc))
    return RedirectResponse(f"/registries/{registry}/committee?done=lifecycle", status_code=303)
