"""`printreg request`: research data requests from the command line (as the local operator)."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from printreg.cli.common import JsonOpt, RegistryOpt, console, operator, platform, print_json, run
from printreg.cli.common import registry_code as _registry

if TYPE_CHECKING:
    from printreg.requests.schemas import DataRequestPublic

request_app = typer.Typer(
    help="Research data requests: submit, list, feasibility, decide, extract.",
    no_args_is_help=True,
)

IdArg = Annotated[uuid.UUID, typer.Argument(help="The request's id.", show_default=False)]


def _strata(values: list[str]) -> dict[str, list[str]]:
    """Parse ``element=code,code`` options (``element=`` for every code) into strata."""
    strata: dict[str, list[str]] = {}
    for value in values:
        name, sep, codes = value.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(
                f"{value!r}: write ELEMENT=CODE[,CODE...]", param_hint="--stratum"
            )
        strata.setdefault(name.strip(), []).extend(c.strip() for c in codes.split(",") if c.strip())
    return strata


def _print_request(view: DataRequestPublic) -> None:
    console.print(f"[bold]{view.title}[/] ({view.id})", highlight=False)
    console.print(f"  registry {view.registry}, requested by {view.requester}, {view.status}")
    console.print(f"  elements: {', '.join(view.elements)}", highlight=False)
    if view.strata:
        shown = "; ".join(f"{k}={','.join(v) or '(all)'}" for k, v in view.strata.items())
        console.print(f"  strata: {shown}", highlight=False)
    if view.period_from or view.period_to:
        console.print(f"  period: {view.period_from or '…'} to {view.period_to or '…'}")
    if view.decided_at:
        console.print(f"  decided {view.decided_at:%Y-%m-%d} by {view.decided_by}", highlight=False)
    if view.approved_elements is not None:
        console.print(f"  approved: {', '.join(view.approved_elements)}", highlight=False)
    if view.expires_at:
        console.print(
            f"  extract: {view.extract_rows} rows, expires {view.expires_at:%Y-%m-%d %H:%M} UTC"
        )


@request_app.command("submit")
def request_submit(
    researcher: Annotated[
        str, typer.Option("--researcher", help="E-mail of the researcher asking.")
    ],
    title: Annotated[str, typer.Option("--title", help="Short title of the study.")],
    aims: Annotated[str, typer.Option("--aims", help="Aims of the study.")],
    element: Annotated[
        list[str], typer.Option("--element", "-e", help="An element wanted (repeat the option).")
    ],
    stratum: Annotated[
        list[str] | None,
        typer.Option("--stratum", help="ELEMENT=CODE[,CODE...]: only these cases (repeat)."),
    ] = None,
    period_from: Annotated[
        dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First case date.")
    ] = None,
    period_to: Annotated[
        dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last case date.")
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a data request for a researcher; every refused element or stratum is listed."""
    from printreg.requests.service import DataRequestService, RequestDraft

    def body() -> None:
        draft = RequestDraft(
            title, aims, element, _strata(stratum or []),
            period_from.date() if period_from else None, period_to.date() if period_to else None,
        )  # fmt: skip
        with platform() as p:
            view = DataRequestService(p, operator()).submit(_registry(registry), draft, researcher)
        if as_json:
            print_json(view)
            return
        console.print(str(view.id))

    run(body, as_json=as_json)


@request_app.command("list")
def request_list(
    status: Annotated[
        str | None, typer.Option("--status", help="Only requests in this state.")
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a registry's data requests, newest first."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        with platform() as p:
            views = DataRequestService(p, operator()).requests(_registry(registry), status)
        if as_json:
            print_json(views)
            return
        table = Table("id", "submitted", "requester", "title", "status", "expires")
        for v in views:
            expires = f"{v.expires_at:%Y-%m-%d}" if v.expires_at else ""
            table.add_row(str(v.id), f"{v.submitted_at:%Y-%m-%d}", v.requester, v.title, v.status,
                          expires)  # fmt: skip
        console.print(table)

    run(body, as_json=as_json)


@request_app.command("show")
def request_show(request_id: IdArg, as_json: JsonOpt = False) -> None:
    """Show a data request: aims, elements, strata, decision and extract."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        with platform() as p:
            view = DataRequestService(p, operator()).get(request_id)
        if as_json:
            print_json(view)
            return
        _print_request(view)
        console.print(view.aims, highlight=False, markup=False)

    run(body, as_json=as_json)


def _cell(value: Any) -> str:
    return "·" if value is None else str(value)


@request_app.command("feasibility")
def request_feasibility(request_id: IdArg, as_json: JsonOpt = False) -> None:
    """Show how many cases match a request, by stratum, with small counts suppressed."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        with platform() as p:
            found = DataRequestService(p, operator()).feasibility(request_id)
        if as_json:
            print_json(found)
            return
        rows, columns = found["rows"], found["columns"]
        heads = [*(columns["codes"] if columns else []), "total"]
        table = Table(rows["element"] if rows else "", *heads)
        labels = [*(rows["codes"] if rows else []), "total"] if rows else ["cases"]
        for label, line in zip(labels, found["cells"] or [[found["total"]]], strict=True):
            table.add_row(label, *(_cell(v) for v in line))
        console.print(table)
        console.print(f"· = suppressed: {found['note']}", highlight=False)

    run(body, as_json=as_json)


@request_app.command("decide")
def request_decide(
    request_id: IdArg,
    approve: Annotated[
        bool, typer.Option("--approve/--decline", help="The decision.", show_default=False)
    ],
    element: Annotated[
        list[str] | None,
        typer.Option("--element", "-e", help="Approve only these elements (repeat)."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Reason or conditions, for the record.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Approve or decline a submitted request; approval builds the extract at once."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        with platform() as p:
            view = DataRequestService(p, operator(), build_now=True).decide(
                request_id, approve, element, note
            )
        if as_json:
            print_json(view)
            return
        _print_request(view)

    run(body, as_json=as_json)


@request_app.command("extract")
def request_extract(
    request_id: IdArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the two files to.")],
) -> None:
    """Save a request's extract and codebook (each download is logged)."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        out.mkdir(parents=True, exist_ok=True)
        with platform() as p:
            service = DataRequestService(p, operator(), build_now=True)
            for which in ("extract", "codebook"):
                opened = service.open_file(request_id, which)
                target = out / opened.filename
                with opened.handle, target.open("wb") as handle:
                    shutil.copyfileobj(opened.handle, handle)
                console.print(f"wrote {target} ({opened.size:,} bytes)")

    run(body)


@request_app.command("downloads")
def request_downloads(request_id: IdArg, as_json: JsonOpt = False) -> None:
    """List who downloaded a request's files, when, and how many bytes."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        with platform() as p:
            logged = DataRequestService(p, operator()).downloads(request_id)
        if as_json:
            print_json(logged)
            return
        table = Table("at", "who", "file", "bytes")
        for d in logged:
            table.add_row(f"{d.at:%Y-%m-%d %H:%M:%S}", d.actor, d.file, f"{d.bytes:,}")
        console.print(table)

    run(body, as_json=as_json)


@request_app.command("expire")
def request_expire() -> None:
    """Delete the extracts whose time is up (run it daily, e.g. from cron)."""
    from printreg.requests.service import DataRequestService

    def body() -> None:
        with platform() as p:
            expired = DataRequestService(p, operator()).expire_due()
        for request_id in expired:
            console.print(f"expired {request_id}")
        console.print(f"{len(expired)} extract(s) expired")

    run(body)
