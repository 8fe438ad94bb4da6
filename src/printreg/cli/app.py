"""The printreg command: `printreg --help` lists every command.

This entry module declares `db` and `serve` and assembles each feature's commands (its
`cli.py`, at the end); those modules never import it back. Commands import their services when
they run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from printreg.accounts import cli as users
from printreg.assessment_links import cli as assessment_links
from printreg.backup import cli as backup
from printreg.cases import cli as cases
from printreg.cli import pool, redcap
from printreg.cli.common import (
    HostOpt,
    PortOpt,
    console,
    operator,
    platform,
    require_database,
    run,
)
from printreg.dashboards import cli as dashboards
from printreg.demo import cli as demo
from printreg.facilities import cli as facilities
from printreg.files import cli as files
from printreg.governance import cli as governance
from printreg.imports import cli as imports
from printreg.jobs import cli as jobs
from printreg.notifications import cli as notifications
from printreg.quality import cli as quality
from printreg.queries import cli as queries
from printreg.registries import cli as registries
from printreg.requests import cli as requests

app = typer.Typer(
    help="printreg: a clinical data registry for point-of-care 3D printing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database set-up.", no_args_is_help=True)
serve_app = typer.Typer()  # its command joins the top level, after the data commands


# -- db -----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database: platform tables, shipped definitions, case tables."""
    from printreg.storage.maintenance import upgrade_database

    def body() -> None:
        with platform(upgrading=True) as p:
            changes = upgrade_database(p, operator())
        for change in changes:
            console.print(f"  {change}")
        console.print(f"database is up to date ({len(changes)} change(s))")

    run(body)


@serve_app.command("serve")
def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Web processes sharing the port; they share only the database and the data "
            "folder (see docs/deploy.md).",
        ),
    ] = 1,
) -> None:
    """Serve the web application and REST API (run `printreg db upgrade` first)."""
    from printreg.cli.serve import serve_app as serve_web

    def body() -> None:
        require_database()
        serve_web(host, port, workers)

    run(body)


# -- assembly: the order here is the order `--help` lists -------------------------------------


def _merge(group: typer.Typer, part: typer.Typer) -> None:
    """Add the commands a module declared on its own Typer to ``group`` itself."""
    group.registered_commands.extend(part.registered_commands)


_merge(app, imports.import_app)
_merge(app, cases.export_app)
_merge(app, demo.demo_app)
_merge(app, serve_app)
_merge(app, pool.pool_app)
_merge(app, dashboards.report_app)
_merge(app, backup.backup_app)
_merge(app, jobs.worker_app)
_merge(registries.registry_app, governance.registry_app)
_merge(registries.registry_app, redcap.registry_app)
app.add_typer(db_app, name="db")
app.add_typer(registries.registry_app, name="registry")
app.add_typer(facilities.facility_app, name="facility")
app.add_typer(facilities.printer_app, name="printer")
app.add_typer(cases.case_app, name="case")
app.add_typer(files.dicom_app, name="dicom")
app.add_typer(files.mesh_app, name="mesh")
app.add_typer(governance.enrollment_app, name="enrollment")
app.add_typer(requests.request_app, name="request")
app.add_typer(queries.query_app, name="query")
app.add_typer(users.user_app, name="user")
app.add_typer(notifications.notification_app, name="notification")
app.add_typer(quality.quality_app, name="quality")
app.add_typer(assessment_links.assessment_link_app, name="assessment-link")


def main() -> None:
    """Run the printreg command."""
    app()
