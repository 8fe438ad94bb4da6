"""`printreg assessment-link`: send, list, revoke and resend assessment links, and run the
periodic pass (expiry, reminders) by hand, as the local operator."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.table import Table

from printreg.cli.common import JsonOpt, RegistryOpt, console, operator, platform, print_json, run
from printreg.cli.common import registry_code as _registry

assessment_link_app = typer.Typer(
    help="A case's user assessment answered by the clinician through an e-mailed link.",
    no_args_is_help=True,
)

IdArg = Annotated[uuid.UUID, typer.Argument(help="The sending's id.", show_default=False)]


@assessment_link_app.command("send")
def link_send(
    case_id: Annotated[uuid.UUID, typer.Argument(help="The case's id.", show_default=False)],
    to: Annotated[str, typer.Option("--to", help="The clinician's e-mail address.")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """E-mail the case's user-assessment section to the clinician who used the print."""
    from printreg.assessment_links.service import AssessmentLinkService

    def body() -> None:
        with platform() as p:
            view = AssessmentLinkService(p, operator()).send(_registry(registry), case_id, to)
        if as_json:
            print_json(view)
            return
        console.print(f"sent {view.id}, valid until {view.expires_at:%Y-%m-%d %H:%M} UTC")

    run(body, as_json=as_json)


@assessment_link_app.command("list")
def link_list(
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only: sent, reminded, answered, expired or revoked."),
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a registry's sendings, newest first."""
    from printreg.assessment_links.schemas import LinkStatus
    from printreg.assessment_links.service import AssessmentLinkService

    if status is not None and status not in {s.value for s in LinkStatus}:
        raise typer.BadParameter(
            "give sent, reminded, answered, expired or revoked", param_hint="--status"
        )

    def body() -> None:
        chosen = LinkStatus(status) if status else None
        with platform() as p:
            views = AssessmentLinkService(p, operator()).links(_registry(registry), chosen)
        if as_json:
            print_json(views)
            return
        table = Table("id", "case", "facility", "sent", "to", "state", "until")
        for v in views:
            table.add_row(str(v.id), str(v.case_id), v.facility, f"{v.sent_at:%Y-%m-%d}",
                          v.contact_email, v.status.value, f"{v.expires_at:%Y-%m-%d}")  # fmt: skip
        console.print(table)

    run(body, as_json=as_json)


@assessment_link_app.command("revoke")
def link_revoke(link_id: IdArg, as_json: JsonOpt = False) -> None:
    """Stop an open link at once."""
    from printreg.assessment_links.service import AssessmentLinkService

    def body() -> None:
        with platform() as p:
            view = AssessmentLinkService(p, operator()).revoke(link_id)
        if as_json:
            print_json(view)
            return
        console.print(f"revoked {view.id}")

    run(body, as_json=as_json)


@assessment_link_app.command("resend")
def link_resend(
    link_id: IdArg,
    to: Annotated[
        str | None, typer.Option("--to", help="Another address (default: the same one).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a link when still open and e-mail a new one for the same case."""
    from printreg.assessment_links.service import AssessmentLinkService

    def body() -> None:
        with platform() as p:
            view = AssessmentLinkService(p, operator()).resend(link_id, to)
        if as_json:
            print_json(view)
            return
        console.print(f"sent {view.id} (replaces {link_id})")

    run(body, as_json=as_json)


@assessment_link_app.command("run-due")
def link_run_due(as_json: JsonOpt = False) -> None:
    """Mark links past their date expired and send the reminders due (what the workers do
    every hour)."""
    from printreg.assessment_links.due import run_due

    def body() -> None:
        with platform() as p:
            done = run_due(p)
        if as_json:
            print_json(done)
            return
        console.print(f"{done.expired} expired, {done.reminded} reminded, {done.not_sent} not sent")

    run(body, as_json=as_json)
