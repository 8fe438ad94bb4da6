"""`printreg registry …`: the hosted registries and their definitions (governance and REDCap
commands join this group in `printreg.cli.app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from printreg.cli.common import (
    JsonOpt,
    console,
    err_console,
    operator,
    platform,
    print_json,
    run,
)

registry_app = typer.Typer(help="Registries and their definitions.", no_args_is_help=True)


# -- registry -----------------------------------------------------------------------------------


@registry_app.command("list")
def registry_list(as_json: JsonOpt = False) -> None:
    """List the hosted registries."""
    from printreg.registries.service import RegistryService

    def body() -> None:
        with platform() as p:
            registries = RegistryService(p, operator()).registries()
        if as_json:
            print_json(registries)
            return
        table = Table("code", "name", "lifecycle", "current version", "versions")
        for r in registries:
            table.add_row(r.code, r.name, r.lifecycle, r.current_version, ", ".join(r.versions))
        console.print(table)

    run(body, as_json=as_json)


@registry_app.command("show")
def registry_show(
    code: Annotated[str, typer.Argument(help="Registry code, e.g. 3dp.")],
    version: Annotated[
        str | None, typer.Option(help="Definition version (default: current).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a registry's definition: sections, elements, rules and derived values."""
    from printreg.registries.service import RegistryService

    def body() -> None:
        with platform() as p:
            definition = RegistryService(p, operator()).definition(code, version)
        if as_json:
            print_json(definition.model_dump(mode="json", by_alias=True, exclude_defaults=True))
            return
        console.print(
            f"[bold]{definition.registry.name}[/] ({definition.registry.code}) "
            f"version {definition.version}"
        )
        for section in definition.sections:
            table = Table("element", "type", "required", "label", title=section.label)
            for element in section.elements:
                table.add_row(element.name, element.type, _required(element), element.label)
                for child in getattr(element, "elements", []):
                    table.add_row(f"  · {child.name}", child.type, _required(child), child.label)
            console.print(table)
        for rule in definition.rules:
            console.print(f"rule {rule.code} ({rule.severity}): {rule.description}")
        for ref in definition.derived:
            console.print(f"derived {ref.name}: {ref.label}")

    run(body, as_json=as_json)


def _required(element: Any) -> str:
    if element.required:
        return "yes" if element.applies_when is None else "when applicable"
    return "conditional" if element.required_when is not None else ""


@registry_app.command("fhir-questionnaire")
def registry_fhir_questionnaire(
    code: Annotated[str, typer.Argument(help="Registry code, e.g. 3dp.")],
    version: Annotated[
        str | None, typer.Option(help="Definition version (default: current).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: print).")
    ] = None,
) -> None:
    """Write a registry's definition as a FHIR R4 Questionnaire (JSON)."""
    import json

    from printreg.fhir.service import FhirService

    def body() -> None:
        with platform() as p:
            questionnaire = FhirService(p, operator()).questionnaire(code, version)
        text = json.dumps(questionnaire, indent=1, ensure_ascii=False)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", "utf-8")
            err_console.print(f"wrote the Questionnaire to {out}")

    run(body)


@registry_app.command("check-definition")
def registry_check(
    path: Annotated[Path, typer.Argument(help="Definition YAML file.")], as_json: JsonOpt = False
) -> None:
    """Check a definition file; compare it with the stored version; exit 1 when it is not valid."""
    from printreg.registries.service import RegistryService

    def body() -> None:
        with platform() as p:
            check = RegistryService(p, operator()).check_definition(path)
        d = check.definition
        changes = check.diff.changes if check.diff else []
        problem = check.diff.version_problem if check.diff else None
        if as_json:
            print_json(
                {
                    "ok": problem is None,
                    "registry": d.registry.code,
                    "version": d.version,
                    "changes": changes,
                    "version_problem": problem,
                }
            )
        else:
            console.print(
                f"{path}: valid definition of {d.registry.code} {d.version} "
                f"({len(list(d.walk()))} elements)"
            )
            for change in changes:
                console.print(f"  {change.kind:16} {change.path}: {change.detail} ({change.bump})")
            if problem:
                err_console.print(f"[red]version:[/] {problem}")
        if problem:
            raise typer.Exit(1)

    run(body, as_json=as_json)
