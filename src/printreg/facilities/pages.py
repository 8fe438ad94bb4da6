"""Facility administration pages: the printer inventory and the facility's people."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.accounts.service import AccountService
from printreg.domain.errors import RegistryError
from printreg.domain.facility import PrinterTechnology, Role
from printreg.facilities.schemas import PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.registries.service import RegistryService
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, Page, PageContext, error_message
from printreg.web.pages.home import error_page, place_of

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


def _printers_page(
    page: PageContext,
    code: str,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        place = place_of(page, facility=code)
        printers = FacilityService(page.platform, page.actor).printers(code)
    except RegistryError as exc:
        return error_page(page, exc, "Facility not found")
    assert place.facility is not None  # noqa: S101 - place_of found the facility asked for
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
        added=page.request.query_params.get("added") == "1",
    )


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
    return RedirectResponse(f"/facilities/{code}/printers?added=1", status_code=303)


# -- people -------------------------------------------------------------------------------------


def _users_page(
    page: PageContext,
    code: str,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        place = place_of(page, facility=code)
        users = AccountService(page.platform).users_of(page.actor, code)
        registries = [r.code for r in RegistryService(page.platform, page.actor).registries()]
    except RegistryError as exc:
        return error_page(page, exc)
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
        done=page.request.query_params.get("done", ""),
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
    """Create a person with a role at the facility in one registry (the default registry when
    none is chosen)."""
    registry = registry or page.platform.settings.default_registry
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
    registry = registry or page.platform.settings.default_registry
    try:
        chosen = None if role == "remove" else Role(role)
    except ValueError:
        return _users_page(page, code, "choose a role", None, 422)
    try:
        AccountService(page.platform).set_membership(page.actor, user_id, registry, code, chosen)
    except RegistryError as exc:
        return _users_page(page, code, error_message(exc), None, status_of(exc))
    return RedirectResponse(f"/facilities/{code}/users?done=changed", status_code=303)
