"""`printreg report`: the facility feedback report (PDF) and its figures (JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from printreg.cli.common import RegistryOpt, console, operator, platform, print_json, run
from printreg.cli.common import registry_code as _registry

# `printreg report` itself, merged into the top-level command by printreg.cli.app.
report_app = typer.Typer()


@report_app.command("report")
def report(
    facility: Annotated[str, typer.Option("--facility", "-f", help="Facility code.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the PDF here (e.g. report.pdf).")
    ] = None,
    stratum: Annotated[
        list[str] | None,
        typer.Option(
            "--stratum",
            help="STRATUM=VALUE: only this code or label of a stratum of the registry's "
            "analytics spec (repeat the option).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report's figures as JSON instead.")
    ] = False,
    registry: RegistryOpt = None,
) -> None:
    """Write a facility's feedback report: its figures beside the registry's and its peers'."""
    from printreg.cases.service import parse_filters
    from printreg.dashboards.service import AnalyticsService

    def action() -> None:
        code = _registry(registry)
        with platform() as instance:
            service = AnalyticsService(instance, operator())
            chosen = parse_filters(stratum or [])
            dashboard = service.facility_dashboard(code, facility, chosen)
        if as_json:
            print_json(dashboard.model_dump(mode="json", exclude_unset=True))
        if out is not None:
            from printreg.dashboards.pdf import render_report  # a slow import, only for a PDF

            with console.status("rendering charts and the PDF..."):
                out.write_bytes(render_report(dashboard))
            console.print(
                f"wrote {out} ({out.stat().st_size:,} bytes): {dashboard.cases} cases of "
                f"{dashboard.facility.code}"
            )
        if out is None and not as_json:
            raise typer.BadParameter("give --out FILE.pdf, --json, or both")

    run(action, as_json=as_json)
