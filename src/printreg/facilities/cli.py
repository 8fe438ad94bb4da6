"""`printreg facility …` and `printreg printer …`: facilities and their printer inventories."""

from __future__ import annotations

from typing import Annotated

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
        table = Table("facility", "label", "manufacturer", "model", "technology")
        for pr in printers:
            table.add_row(pr.facility, pr.label, pr.manufacturer, pr.model, pr.technology)
        console.print(table)

    run(body, as_json=as_json)
