"""`printreg query`: queries on case fields from the command line (as the local operator, who
acts as registry staff: raises, closes and re-opens any query, and may confirm values)."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from printreg.cli.common import JsonOpt, RegistryOpt, console, operator, platform, print_json, run
from printreg.cli.common import registry_code as _registry

if TYPE_CHECKING:
    from collections.abc import Callable

    from printreg.queries.schemas import QueryDetail, QueryPublic
    from printreg.queries.service import QueryService

query_app = typer.Typer(
    help="Queries on case fields: raise, list, confirm, close, re-open.",
    no_args_is_help=True,
)

IdArg = Annotated[uuid.UUID, typer.Argument(help="The query's id.", show_default=False)]
TextOpt = Annotated[
    str, typer.Option("--text", help="The question (checked for patient identifiers).")
]


def _print(view: QueryDetail) -> None:
    console.print(f"[bold]{view.local_case_id}[/] {view.path} ({view.id})", highlight=False)
    console.print(f"  {view.status}, facility {view.facility}, raised by {view.raised_by}",
                  highlight=False)  # fmt: skip
    console.print(view.text, highlight=False, markup=False)
    for event in view.history:
        line = f"  {event.at:%Y-%m-%d %H:%M} {event.actor}: {event.action} → {event.status}"
        console.print(line, highlight=False, markup=False)
        if event.text:
            console.print(f"    {event.text}", highlight=False, markup=False)


def _table(views: list[QueryPublic]) -> None:
    table = Table("id", "facility", "case", "field", "status", "days", "text")
    for v in views:
        days = "" if v.open_days is None else str(v.open_days)
        table.add_row(str(v.id), v.facility, v.local_case_id, v.path, v.status, days, v.text)
    console.print(table)


def _one(act: Callable[[QueryService], QueryDetail], as_json: bool) -> None:
    """Run ``act`` on a query service as the local operator and show the query it returns."""

    def body() -> None:
        from printreg.queries.service import QueryService

        with platform() as p:
            view = act(QueryService(p, operator()))
        if as_json:
            print_json(view)
            return
        _print(view)

    run(body, as_json=as_json)


@query_app.command("raise")
def query_raise(
    case_id: Annotated[uuid.UUID, typer.Argument(help="The case's id.", show_default=False)],
    path: Annotated[str, typer.Argument(help="The field: ELEMENT or GROUP[ROW].ELEMENT.")],
    text: TextOpt,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise a query on a field of a case; prints the new query's id."""
    from printreg.queries.service import QueryService

    def body() -> None:
        with platform() as p:
            view = QueryService(p, operator()).raise_query(_registry(registry), case_id, path, text)
        if as_json:
            print_json(view)
            return
        console.print(str(view.id))

    run(body, as_json=as_json)


@query_app.command("bulk")
def query_bulk(
    file: Annotated[
        Path, typer.Argument(help="CSV file with the columns case_id and path, one query a row.")
    ],
    text: TextOpt,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise the same query on many case fields at once, all or none."""
    from printreg.domain.errors import InvalidRequest
    from printreg.queries.schemas import QueryTarget
    from printreg.queries.service import QueryService

    def body() -> None:
        with platform() as p:
            try:
                with file.open(encoding="utf-8", newline="") as handle:
                    rows = list(csv.DictReader(handle))
                targets = [QueryTarget(uuid.UUID(r["case_id"]), r["path"]) for r in rows]
            except (OSError, KeyError, ValueError, TypeError, AttributeError):
                raise InvalidRequest(
                    "give a readable CSV file with the columns case_id (a case id) and path"
                ) from None
            views = QueryService(p, operator()).raise_many(_registry(registry), targets, text)
        if as_json:
            print_json(views)
            return
        console.print(f"{len(views)} queries raised")

    run(body, as_json=as_json)


@query_app.command("list")
def query_list(
    facility: Annotated[
        str | None, typer.Option("--facility", "-f", help="Only this facility's queries.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only queries in this state.")
    ] = None,
    min_days: Annotated[
        int | None, typer.Option("--min-days", min=0, help="Only those open this many days.")
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a registry's queries by facility, oldest first."""
    from printreg.domain.errors import InvalidRequest
    from printreg.queries.schemas import QueryState
    from printreg.queries.service import QueryService

    def body() -> None:
        if status is not None and status not in {s.value for s in QueryState}:
            raise InvalidRequest("--status is one of open, answered, closed")
        with platform() as p:
            views = QueryService(p, operator()).list(
                _registry(registry),
                facility=facility,
                status=QueryState(status) if status else None,
                min_days=min_days,
            )
        if as_json:
            print_json(views)
            return
        _table(views)

    run(body, as_json=as_json)


@query_app.command("show")
def query_show(query_id: IdArg, as_json: JsonOpt = False) -> None:
    """Show a query with its history."""
    _one(lambda service: service.get(query_id), as_json)


@query_app.command("confirm")
def query_confirm(
    query_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the stored value is right.")],
    as_json: JsonOpt = False,
) -> None:
    """Answer an open query by confirming the stored value, with a reason."""
    _one(lambda service: service.confirm(query_id, reason), as_json)


@query_app.command("close")
def query_close(query_id: IdArg, as_json: JsonOpt = False) -> None:
    """Close a query."""
    _one(lambda service: service.close(query_id), as_json)


@query_app.command("reopen")
def query_reopen(query_id: IdArg, text: TextOpt, as_json: JsonOpt = False) -> None:
    """Re-open an answered or closed query, saying what is still unclear."""
    _one(lambda service: service.reopen(query_id, text), as_json)
