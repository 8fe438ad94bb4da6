"""`printreg registry redcap-*`: REDCap data dictionaries both ways, and cases as REDCap rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from printreg.cli.common import RegistryOpt, console, err_console, operator, platform, run
from printreg.cli.common import registry_code as _registry

# Commands of `printreg registry`, merged into that group by printreg.cli.app.
registry_app = typer.Typer()
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="File to write.")]


def _print_notes(title: str, notes: list[str]) -> None:
    if notes:
        err_console.print(f"[yellow]{title}[/]")
        for note in notes:
            err_console.print(f"  - {note}", highlight=False, markup=False)


@registry_app.command("redcap-export")
def redcap_export(out: OutOpt, registry: RegistryOpt = None) -> None:
    """Write a registry's current definition as a REDCap data dictionary (CSV)."""
    from printreg.dictionary.redcap import export_dictionary
    from printreg.registries.service import RegistryService

    def body() -> None:
        with platform() as p:
            definition = RegistryService(p, operator()).definition(_registry(registry))
        exported = export_dictionary(definition)
        out.write_text(exported.text, encoding="utf-8")
        _print_notes("not expressible in REDCap:", exported.notes)
        console.print(
            f"wrote {out}: {len(exported.fields)} REDCap fields of "
            f"{definition.registry.code} {definition.version}"
        )

    run(body)


@registry_app.command("redcap-import")
def redcap_import(
    path: Annotated[Path, typer.Argument(help="REDCap data dictionary (CSV).")],
    code: Annotated[str, typer.Option("--code", help="Code of the new registry, e.g. gsae.")],
    name: Annotated[str, typer.Option("--name", help="Name of the new registry.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Draft definition YAML to write.")],
) -> None:
    """Turn a REDCap data dictionary into a draft definition (0.1.0) and report what was lost."""
    from printreg.dictionary.redcap import definition_yaml, from_redcap_dictionary

    def body() -> None:
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None
        definition, report = from_redcap_dictionary(text, code, name)
        out.write_text(definition_yaml(definition, path.name), encoding="utf-8")
        _print_notes("not mapped:", report)
        console.print(
            f"wrote {out}: draft {definition.registry.code} {definition.version} with "
            f"{len(list(definition.walk()))} elements in {len(definition.sections)} sections"
        )

    run(body)


@registry_app.command("redcap-records")
def redcap_records(
    out: OutOpt,
    facility: Annotated[
        str | None, typer.Option("--facility", "-f", help="Only this facility's cases.")
    ] = None,
    registry: RegistryOpt = None,
) -> None:
    """Export cases in REDCap's flat import format (CSV), matching `redcap-export`."""
    from printreg.cases.exports import export_records
    from printreg.dictionary.redcap import write_redcap_records
    from printreg.registries.service import RegistryService

    def body() -> None:
        code = _registry(registry)
        with platform() as p:
            definition = RegistryService(p, operator()).definition(code)
            records = export_records(p, operator(), code, facility)
            try:
                with out.open("w", encoding="utf-8", newline="") as handle:
                    count = write_redcap_records(
                        definition, records, handle, data_access_group=facility is None
                    )
            except BaseException:
                out.unlink(missing_ok=True)  # no half-written file that looks complete
                raise
        console.print(f"exported {count} cases of {code} to {out}")

    run(body)
