"""`printreg facility …` and `printreg printer …`: facilities and their printer inventories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from printreg.cli.common import (
    JsonOpt,
    console,
    operator,
    platform,
    print_json,
    run,
)

if TYPE_CHECKING:
    from printreg.platform import Platform

facility_app = typer.Typer(help="Participating facilities.", no_args_is_help=True)
printer_app = typer.Typer(help="Facilities' printer inventories.", no_args_is_help=True)


# -- facility and printer -----------------------------------------------------------------------


@facility_app.command("add")
def facility_add(
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. F0001.")],
    name: Annotated[str, typer.Option(help="Facility name.")],
    facility_type: Annotated[
        str, typer.Option("--type", help="academic, community, childrens, freestanding, other")
    ] = "academic",
    location: Annotated[str, typer.Option(help="metropolitan, suburban, rural")] = "metropolitan",
    region: Annotated[str, typer.Option(help="northeast, midwest, south, west")] = "northeast",
    lab: Annotated[
        str, typer.Option(help="radiology, surgery, engineering_core, other")
    ] = "radiology",
) -> None:
    """Add a participating facility (active in every registry)."""
    from printreg.facilities.schemas import FacilityProfile
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            FacilityService(p, operator()).add(
                FacilityProfile(code, name, facility_type, location, region, lab)
            )
        console.print(f"added facility {code}")

    run(body)


@facility_app.command("date-order")
def facility_date_order(
    code: Annotated[str, typer.Argument(help="Facility code.")],
    order: Annotated[
        str, typer.Argument(help="DMY (02/11/2026 is 2 November), MDY (February 11), or iso.")
    ],
) -> None:
    """Set the local date order a facility's imports and forms read besides YYYY-MM-DD."""
    from printreg.dictionary.dates import date_formats
    from printreg.facilities.service import FacilityService

    def body() -> None:
        wanted = None if order.strip().lower() == "iso" else order.strip()
        with platform() as p:
            stored = FacilityService(p, operator()).set_date_order(code, wanted)
        console.print(f"{code} reads dates as {date_formats(stored)}")

    run(body)


@facility_app.command("list")
def facility_list(as_json: JsonOpt = False) -> None:
    """List facilities with their printer counts."""
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            rows = FacilityService(p, operator()).facilities()
        if as_json:
            print_json([{**f.__dict__, "printers": n} for f, n in rows])
            return
        table = Table("code", "name", "type", "location", "census region", "lab", "printers")
        for f, n in rows:
            table.add_row(
                f.code,
                f.name,
                f.facility_type,
                f.location,
                f.census_region,
                f.lab_service_model,
                str(n),
            )
        console.print(table)

    run(body, as_json=as_json)


@printer_app.command("add")
def printer_add(
    facility: Annotated[str, typer.Option("--facility", "-f", help="Facility code.")],
    label: Annotated[str, typer.Option(help="Label, unique in the facility.")],
    technology: Annotated[
        str, typer.Option(help="ISO/ASTM 52900 category, e.g. material_jetting.")
    ],
    manufacturer: Annotated[str, typer.Option()] = "",
    model: Annotated[str, typer.Option()] = "",
) -> None:
    """Add a printer to a facility's inventory."""
    from printreg.facilities.schemas import PrinterInfo
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            FacilityService(p, operator()).add_printer(
                PrinterInfo(facility, label, manufacturer, model, technology)
            )
        console.print(f"added printer {label} to {facility}")

    run(body)


@printer_app.command("list")
def printer_list(
    facility: Annotated[str | None, typer.Option("--facility", "-f")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List printers, of one facility or all."""
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            printers = FacilityService(p, operator()).printers(facility)
        if as_json:
            print_json(printers)
            return
        table = Table("facility", "label", "manufacturer", "model", "technology", "status")
        for pr in printers:
            table.add_row(pr.facility, pr.label, pr.manufacturer, pr.model, pr.technology,
                          "in use" if pr.active else "retired")  # fmt: skip
        console.print(table)

    run(body, as_json=as_json)


FacilityOpt = Annotated[str, typer.Option("--facility", "-f", help="Facility code.")]
LabelOpt = Annotated[str, typer.Option("--label", help="The printer's current label.")]


def _printer_id(p: Platform, facility: str, label: str) -> int:
    """Return the id of a facility's printer by label; NotFound when it has none so labelled."""
    from printreg.domain.errors import NotFound
    from printreg.facilities.service import FacilityService

    found = [x for x in FacilityService(p, operator()).printers(facility) if x.label == label]
    if not found or found[0].id is None:
        raise NotFound.no_such("printer")
    return found[0].id


@printer_app.command("edit")
def printer_edit(
    facility: FacilityOpt,
    label: LabelOpt,
    new_label: Annotated[str | None, typer.Option("--new-label", help="A new label.")] = None,
    technology: Annotated[
        str | None, typer.Option(help="ISO/ASTM 52900 category, e.g. material_jetting.")
    ] = None,
    manufacturer: Annotated[str | None, typer.Option()] = None,
    model: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Change a printer; a new label shows on every case printed with it."""
    from printreg.facilities.schemas import PrinterChanges
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            changed = FacilityService(p, operator()).update_printer(
                facility,
                _printer_id(p, facility, label),
                PrinterChanges(new_label, manufacturer, model, technology),
            )
        console.print(f"printer {changed.label} of {facility} changed")

    run(body)


@printer_app.command("retire")
def printer_retire(
    facility: FacilityOpt,
    label: LabelOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why (required; kept in the audit log).")],
) -> None:
    """Retire a printer: its cases keep it, the case form no longer offers it."""
    _printer_active(facility, label, active=False, reason=reason)


@printer_app.command("reinstate")
def printer_reinstate(facility: FacilityOpt, label: LabelOpt) -> None:
    """Offer a retired printer for new cases again."""
    _printer_active(facility, label, active=True, reason="")


def _printer_active(facility: str, label: str, *, active: bool, reason: str) -> None:
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            FacilityService(p, operator()).set_printer_active(
                facility, _printer_id(p, facility, label), active=active, reason=reason
            )
        console.print(f"printer {label} of {facility} is {'in use' if active else 'retired'}")

    run(body)
