"""Facility administration pages: the printer inventory and the facility's people."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.accounts.activation import ActivationService
from printreg.accounts.schemas import UserPublic
from printreg.accounts.service import AccountService
from printreg.domain.errors import NotFound, RegistryError
from printreg.domain.facility import PrinterTechnology, Role
from printreg.facilities.schemas import PrinterChanges, PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.registries.service import RegistryService
from printreg.web.confirm import Confirmation, confirm_page, is_confirmed
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, LongField, Page, PageContext, error_message
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)

TECHNOLOGY_LABELS = {
    PrinterTechnology.MATERIAL_EXTRUSION: "Material extrusion (FDM/FFF)",
    PrinterTechnology.VAT_PHOTOPOLYMERIZATION: "Vat photopolymerization (SLA, DLP)",
    PrinterTechnology.MATERIAL_JETTING: "Material jetting (PolyJet)",
    PrinterTechnology.BINDER_JETTING: "Binder jetting",
    PrinterTechnology.POWDER_BED_FUSION: "Powder bed fusion (SLS, MJF)",
    PrinterTechnology.SHEET_LAMINATION: "Sheet lamination",
    PrinterTechnology.DIRECTED_ENERGY_DEPOSITION: "Directed energy deposition",
}
ROLE_LABELS = {
    Role.FACILITY_ADMIN: "Facility administrator",
    Role.DATA_MANAGER: "Data manager",
    Role.VIEWER: "Viewer",
}


# -- printers -----------------------------------------------------------------------------------

#: what the printers page says after each action (``?done=``), one message per outcome
PRINTER_DONE = {
    "added": "Printer {label} added",
    "changed": "Printer {label} changed",
    "retired": "Printer {label} retired: it stays on the cases printed with it",
    "reinstated": "Printer {label} is offered for new cases again",
}


def _printers_page(
    page: PageContext,
    code: str,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    place = place_of(page, facility=code)
    printers = FacilityService(page.platform, page.actor).printers(code)
    assert place.facility is not None  # noqa: S101 - place_of found the facility asked for
    done = PRINTER_DONE.get(page.request.query_params.get("done", ""))
    label = page.request.query_params.get("label", "")
    if not any(p.label == label for p in printers):
        done = None  # the message names one of the facility's printers, never text from a link
    return page.render(
        "printers.html",
        status_code=status_code,
        place=place,
        facility=place.facility,
        printers=printers,
        technologies=TECHNOLOGY_LABELS,
        may_manage=place.manages(code),
        error=error,
        entered=entered or {},
        # a refused post answers with its error alone, never beside an earlier success
        done=done.format(label=label) if done and error is None else None,
    )


def _printers_url(code: str, done: str, label: str) -> str:
    return f"/facilities/{code}/printers?{urlencode({'done': done, 'label': label})}"


@router.get("/facilities/{code}/printers", response_class=HTMLResponse)
def printers(page: Page, code: str) -> Response:
    """Show a facility's printers and, for its administrators, the form to add one."""
    return _printers_page(page, code)


@router.post("/facilities/{code}/printers", response_class=HTMLResponse)
def add_printer(
    page: Page,
    code: str,
    label: Field = "",
    manufacturer: Field = "",
    model: Field = "",
    technology: Field = "",
) -> Response:
    """Add a printer to the inventory; show the form again with the problem when refused."""
    info = PrinterInfo(code, label.strip(), manufacturer.strip(), model.strip(), technology)
    try:
        FacilityService(page.platform, page.actor).add_printer(info)
    except RegistryError as exc:
        return _printers_page(page, code, error_message(exc), dict(info.__dict__), status_of(exc))
    return RedirectResponse(_printers_url(code, "added", info.label), status_code=303)


def _edit_page(
    page: PageContext,
    code: str,
    printer: PrinterInfo,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page.render(
        "printer_edit.html",
        status_code=status_code,
        place=place_of(page, facility=code),
        printer=asdict(printer),
        technologies=TECHNOLOGY_LABELS,
        error=error,
    )


@router.get("/facilities/{code}/printers/{printer_id}/edit", response_class=HTMLResponse)
def edit_printer_form(page: Page, code: str, printer_id: int) -> Response:
    """Show the form to change a printer (the facility's administrators)."""
    printer = FacilityService(page.platform, page.actor).printer(code, printer_id)
    return _edit_page(page, code, printer)


@router.post("/facilities/{code}/printers/{printer_id}/edit", response_class=HTMLResponse)
def edit_printer(
    page: Page,
    code: str,
    printer_id: int,
    label: Field = "",
    manufacturer: Field = "",
    model: Field = "",
    technology: Field = "",
) -> Response:
    """Change a printer; show the form again with what was typed and the problem when refused."""
    changes = PrinterChanges(label.strip(), manufacturer.strip(), model.strip(), technology)
    service = FacilityService(page.platform, page.actor)
    printer = service.printer(code, printer_id)
    try:
        service.update_printer(code, printer_id, changes)
    except RegistryError as exc:
        typed = PrinterInfo(code, changes.label or "", changes.manufacturer or "",
                            changes.model or "", technology, printer_id, printer.active)  # fmt: skip
        return _edit_page(page, code, typed, error_message(exc), status_of(exc))
    return RedirectResponse(_printers_url(code, "changed", changes.label or ""), status_code=303)


@router.post("/facilities/{code}/printers/{printer_id}/retire", response_class=HTMLResponse)
def retire_printer(
    page: Page, code: str, printer_id: int, reason: LongField = "", confirmed: Field = ""
) -> Response:
    """Retire a printer after the confirmation page (a reason is required and audited)."""
    service = FacilityService(page.platform, page.actor)
    printer = service.printer(code, printer_id)
    confirmation = Confirmation(
        title=f"Retire printer {printer.label}?",
        consequence=(
            f"The case form will no longer offer {printer.label}. Cases already printed with "
            "it keep it, and it stays in their reports. You can offer it again later."
        ),
        action=f"/facilities/{code}/printers/{printer_id}/retire",
        button=f"Retire {printer.label}",
        cancel=f"/facilities/{code}/printers",
    )
    if not is_confirmed(confirmed):
        return confirm_page(page, confirmation, reason=reason)
    try:
        service.set_printer_active(code, printer_id, active=False, reason=reason)
    except RegistryError as exc:
        return confirm_page(page, confirmation, reason=reason, error=exc)
    return RedirectResponse(_printers_url(code, "retired", printer.label), status_code=303)


@router.post("/facilities/{code}/printers/{printer_id}/reinstate", response_class=HTMLResponse)
def reinstate_printer(page: Page, code: str, printer_id: int) -> Response:
    """Offer a retired printer for new cases again."""
    printer = FacilityService(page.platform, page.actor).set_printer_active(
        code, printer_id, active=True
    )
    return RedirectResponse(_printers_url(code, "reinstated", printer.label), status_code=303)


# -- people -------------------------------------------------------------------------------------


def _users_page(
    page: PageContext,
    code: str,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    place = place_of(page, facility=code)
    users = AccountService(page.platform).users_of(page.actor, code)
    registries = [r.code for r in RegistryService(page.platform, page.actor).registries()]
    return page.render(
        "users.html",
        status_code=status_code,
        place=place,
        facility=place.facility,
        users=users,
        registries=registries,
        roles=ROLE_LABELS,
        error=error,
        entered=entered or {},
        # a refused post answers with its error alone, never beside an earlier success
        done=page.request.query_params.get("done", "") if error is None else "",
        me=page.actor.user_id,
    )


@router.get("/facilities/{code}/users", response_class=HTMLResponse)
def users(page: Page, code: str) -> Response:
    """Show the facility's people and their role in each registry (facility and registry
    administrators)."""
    return _users_page(page, code)


@router.post("/facilities/{code}/users", response_class=HTMLResponse)
def add_user(
    page: Page,
    code: str,
    email: Field = "",
    name: Field = "",
    password: Field = "",
    role: Field = "",
    registry: Field = "",
) -> Response:
    """Create a person with a role at the facility in one registry (the one the person works in
    when none is chosen)."""
    registry = registry or page.registry
    entered = {"email": email, "name": name, "role": role, "registry": registry}
    try:
        chosen = Role(role)
    except ValueError:
        return _users_page(page, code, "choose a role", entered, 422)
    if not name.strip():
        return _users_page(page, code, "give the person's name", entered, 422)
    try:
        AccountService(page.platform).create_user(
            page.actor, email, name.strip(), password, memberships={registry: {code: chosen}}
        )
    except RegistryError as exc:
        return _users_page(page, code, error_message(exc), entered, status_of(exc))
    return RedirectResponse(f"/facilities/{code}/users?done=added", status_code=303)


@router.post("/facilities/{code}/users/{user_id}/role", response_class=HTMLResponse)
def set_role(
    page: Page, code: str, user_id: int, role: Field = "", registry: Field = ""
) -> Response:
    """Change a person's role at the facility in one registry, or ('remove') take it away."""
    registry = registry or page.registry
    try:
        chosen = None if role == "remove" else Role(role)
    except ValueError:
        return _users_page(page, code, "choose a role", None, 422)
    try:
        AccountService(page.platform).set_membership(page.actor, user_id, registry, code, chosen)
    except RegistryError as exc:
        return _users_page(page, code, error_message(exc), None, status_of(exc))
    return RedirectResponse(f"/facilities/{code}/users?done=changed", status_code=303)


def _person_here(page: PageContext, code: str, user_id: int) -> UserPublic:
    """Return a person with a role at the facility, for its administrators; NotFound for
    anyone else (the facility's people list is the one way to reach them here)."""
    found = [u for u in AccountService(page.platform).users_of(page.actor, code) if u.id == user_id]
    if not found:
        raise NotFound.no_such("person")
    return found[0]


@router.post("/facilities/{code}/users/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate_user(
    page: Page, code: str, user_id: int, reason: LongField = "", confirmed: Field = ""
) -> Response:
    """Deactivate a person once the confirmation page has said what it means (a reason is
    required and audited)."""
    service = ActivationService(page.platform, page.actor)
    try:
        person = _person_here(page, code, user_id)
        service.check(user_id)
    except RegistryError as exc:
        return _users_page(page, code, error_message(exc), None, status_of(exc))
    confirmation = Confirmation(
        title=f"Deactivate {person.display_name}?",
        consequence=(
            f"{person.display_name} ({person.email}) can no longer sign in: open sessions end "
            "now and their API tokens are refused from the next call. Their roles, cases and "
            "history stay; reactivating them gives everything back."
        ),
        action=f"/facilities/{code}/users/{user_id}/deactivate",
        button=f"Deactivate {person.display_name}",
        cancel=f"/facilities/{code}/users",
    )
    if not is_confirmed(confirmed):
        return confirm_page(page, confirmation, reason=reason)
    try:
        service.set_active(user_id, active=False, reason=reason)
    except RegistryError as exc:
        return confirm_page(page, confirmation, reason=reason, error=exc)
    return RedirectResponse(f"/facilities/{code}/users?done=deactivated", status_code=303)


@router.post("/facilities/{code}/users/{user_id}/reactivate", response_class=HTMLResponse)
def reactivate_user(page: Page, code: str, user_id: int) -> Response:
    """Let a deactivated person sign in again, with the roles they had."""
    try:
        _person_here(page, code, user_id)
        ActivationService(page.platform, page.actor).set_active(user_id, active=True)
    except RegistryError as exc:
        return _users_page(page, code, error_message(exc), None, status_of(exc))
    return RedirectResponse(f"/facilities/{code}/users?done=reactivated", status_code=303)
