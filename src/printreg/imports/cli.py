"""`printreg import` and `printreg template`: bulk import of cases and its CSV template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from printreg.cli.common import (
    JsonOpt,
    RegistryOpt,
    console,
    err_console,
    operator,
    platform,
    print_json,
    run,
)
from printreg.cli.common import registry_code as _registry

import_app = typer.Typer()  # its commands join the top level


# -- import and export --------------------------------------------------------------------------


@import_app.command("import")
def import_file(
    path: Annotated[
        Path, typer.Argument(help="CSV, Excel (.xlsx), JSON Lines (.jsonl) or JSON (.json) file.")
    ],
    facility: Annotated[
        str, typer.Option("--facility", "-f", help="Facility the cases belong to.")
    ],
    commit: Annotated[bool, typer.Option(help="Write to the database (default: dry run).")] = False,
    all_or_nothing: Annotated[
        bool, typer.Option(help="Write nothing unless every row is valid.")
    ] = False,
    errors: Annotated[
        Path | None, typer.Option(help="Error file (default: FILE.errors.csv|xlsx|jsonl).")
    ] = None,
    batch: Annotated[int, typer.Option(min=100, max=100_000, help="Rows per batch.")] = 5000,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import cases; a dry run unless --commit. Rejected rows go to an error file to fix and re-upload."""
    from rich.progress import Progress

    from printreg.imports.service import Importer, detect_format

    def body() -> None:
        kind = detect_format(path)
        error_path = errors or path.with_name(
            f"{path.stem}.errors.{kind if kind in {'csv', 'xlsx'} else 'jsonl'}"
        )
        with platform() as p, Progress(console=err_console, transient=True) as bar:
            task = bar.add_task(f"{'importing' if commit else 'checking'} {path.name}", total=None)
            importer = Importer(p, operator(), _registry(registry), facility, batch_rows=batch)
            report = importer.run(path, kind, commit=commit, all_or_nothing=all_or_nothing,
                                  error_path=error_path, progress=lambda n: bar.advance(task, n))  # fmt: skip
        if as_json:
            print_json(report.as_dict())
        else:
            _print_import(report)
        if report.problem or (report.rejected and (all_or_nothing or not commit)):
            raise typer.Exit(1)

    run(body, as_json=as_json)


def _print_import(report: Any) -> None:
    if report.problem:
        err_console.print(f"[red]{report.file}: the file cannot be imported:[/] {report.problem}")
        return
    verb = "imported" if report.committed else ("rolled back" if report.rolled_back else "dry run")
    console.print(f"{report.file}: {report.rows} rows — {report.new} new, {report.updated} updated, "
                  f"{report.unchanged} unchanged, {report.rejected} rejected ({verb})")  # fmt: skip
    for rule, count in report.by_rule.most_common():
        console.print(f"  {count:>6}  {rule}")
    for problem in report.problems[:10]:  # the first few; the error file has every row
        where = f"line {problem['line']}" if problem["line"] else "a stored case"
        console.print(f"  {where}, {problem['column']}: {problem['message']}", markup=False)
    if report.error_file:
        console.print(f"rejected rows with their problems: {report.error_file}")
    if not report.committed and not report.rolled_back and report.rows:
        console.print("nothing was written: add --commit to import")


@import_app.command("template")
def template(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="CSV template to write (.zip: the whole bundle).")
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, xlsx or zip (default: from the --out suffix)."),
    ] = None,
    registry: RegistryOpt = None,
) -> None:
    """Write an empty import template (CSV with a README of its columns, Excel workbook with
    drop-down lists and column help, or the zip bundle)."""
    from printreg.ingest import FlatLayout
    from printreg.registries.service import RegistryService

    def body() -> None:
        code = _registry(registry)
        with platform() as p:
            definition = RegistryService(p, operator()).definition(code)
        layout = FlatLayout(definition)
        kind = (fmt or out.suffix.lstrip(".") or "csv").lower()
        if kind not in {"csv", "xlsx", "zip"}:
            raise typer.BadParameter("--format must be csv, xlsx or zip")
        if kind == "xlsx":  # drop-down lists of codes, column help as comments
            from printreg.imports.template_xlsx import template_xlsx

            out.write_bytes(template_xlsx(definition))
            console.print(f"wrote {out} ({len(layout.columns)} columns)")
            return
        if kind == "zip":  # template, example row, code lists, codebook, README
            from printreg.imports.template import bundle

            out.write_bytes(bundle(definition, code))
            console.print(f"wrote {out} (template, example, codes, codebook and README)")
            return
        out.write_text(layout.template_csv(), encoding="utf-8")
        readme = out.with_name(out.name + ".README.txt")
        readme.write_text(layout.template_readme(), encoding="utf-8")
        console.print(f"wrote {out} ({len(layout.columns)} columns) and {readme}")

    run(body)
