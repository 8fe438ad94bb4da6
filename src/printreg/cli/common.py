"""What every command shares: the platform, console output, error reporting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from printreg.dictionary import DefinitionError
from printreg.domain.errors import RegistryError, ValidationFailed
from printreg.domain.issues import Issue
from printreg.services.actor import Actor
from printreg.services.platform import Platform
from printreg.settings import Settings

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@contextmanager
def platform() -> Iterator[Platform]:
    """Yield the platform for the configured database, and close it afterwards."""
    instance = Platform.from_settings(Settings())
    try:
        yield instance
    finally:
        instance.close()


def operator() -> Actor:
    """Return the actor of a command-line session: the local operator."""
    return Actor.operator("cli")


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
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
    except ValidationFailed as exc:
        if as_json:
            print_json({"ok": False, "issues": [i.to_dict() for i in exc.issues]})
        print_issues(exc.issues)
        errors = sum(i.severity == "error" for i in exc.issues)
        err_console.print(f"[red]rejected:[/] {errors} error(s); nothing was saved")
        raise typer.Exit(1) from None
    except DefinitionError as exc:
        err_console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from None
    except (RegistryError, ValueError) as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
