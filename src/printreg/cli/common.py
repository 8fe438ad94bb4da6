"""What every command shares: the platform, options, console output, error reporting.

This module and the command modules import only Typer and Rich at their top, so that
`printreg --help` and the commands that need no analytics, imaging or PDF answer at once: each
command imports its services, and so SQLAlchemy, pydantic and the heavy libraries, when it runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from printreg.accounts.actor import Actor
    from printreg.domain.issues import Issue
    from printreg.platform import Platform

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="Registry code (default: PRINTREG_DEFAULT_REGISTRY)."),
]

HostOpt = Annotated[str, typer.Option(help="Address to listen on (loopback by default).")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


def registry_code(value: str | None) -> str:
    """Return the registry code given, or the configured default registry's."""
    from printreg.settings import Settings

    return value or Settings().default_registry


@contextmanager
def platform(*, upgrading: bool = False) -> Iterator[Platform]:
    """Yield the platform for the configured database, and close it afterwards.

    Unless ``upgrading``, the database must be at the newest migration: DatabaseNotReady (one
    line saying to run `printreg db upgrade`) when it is missing, empty or older. Either way,
    DatabaseNotReady when it cannot be opened at all.
    """
    from sqlalchemy.exc import ArgumentError

    from printreg.platform import Platform
    from printreg.settings import Settings
    from printreg.storage.readiness import DatabaseNotReady, check_ready, current_revisions

    try:
        instance = Platform.from_settings(Settings())
    except ArgumentError as exc:
        raise DatabaseNotReady(f"PRINTREG_DATABASE_URL cannot be used: {exc}") from None
    try:
        if upgrading:
            current_revisions(instance.engine)  # a database that cannot be opened: one line
        else:
            check_ready(instance.engine)
        yield instance
    finally:
        instance.close()


def require_database() -> None:
    """Return when the configured database is ready; DatabaseNotReady saying what to do if not."""
    with platform():
        pass


def operator() -> Actor:
    """Return the actor of a command-line session: the local operator."""
    from printreg.accounts.actor import Actor

    return Actor.operator("cli")


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):  # a pydantic schema, by duck typing: no pydantic import here
        return value.model_dump(mode="json", by_alias=True)
    return str(value)


def print_json(data: Any) -> None:
    """Print data as indented JSON on standard output."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default, ensure_ascii=False) + "\n")


def print_issues(issues: list[Issue]) -> None:
    """Print issues, errors first, one per line on standard error."""
    for issue in sorted(issues, key=lambda i: (i.severity != "error", i.path)):
        colour = "red" if issue.severity == "error" else "yellow"
        where = " ".join(filter(None, (issue.record_key, issue.path or "(record)")))
        err_console.print(
            f"[{colour}]{issue.severity}[/] {where} [dim]\\[{issue.rule}][/] {issue.message}",
            highlight=False,
            markup=True,
        )


def run(action: Callable[[], None], *, as_json: bool = False) -> None:
    """Run a command body, turning printreg's errors into a message and exit code 1."""
    try:
        action()
    except Exception as exc:
        if not _report(exc, as_json=as_json):
            raise
        raise typer.Exit(1) from None


def _report(exc: Exception, *, as_json: bool) -> bool:
    """Print a printreg error for a person; return False for any other exception."""
    # The error classes are imported only when there is an error to report: the dictionary's
    # pulls in pydantic and YAML, which a successful light command does not need.
    from printreg.dictionary.errors import DefinitionError
    from printreg.domain.errors import RegistryError, ValidationFailed

    if isinstance(exc, ValidationFailed):
        if as_json:
            print_json({"ok": False, "issues": [i.to_dict() for i in exc.issues]})
        print_issues(exc.issues)
        errors = sum(i.severity == "error" for i in exc.issues)
        err_console.print(f"[red]rejected:[/] {errors} error(s); nothing was saved")
    elif isinstance(exc, DefinitionError):
        err_console.print(f"[red]{exc}[/]", highlight=False)
    elif isinstance(exc, RegistryError | ValueError):
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
    else:
        return False
    return True
