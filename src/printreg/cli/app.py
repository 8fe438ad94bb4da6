"""The printreg command: `printreg --help` lists every command.

This entry module declares the core commands and assembles the command modules' sub-apps (at
the end); those modules never import it back. Commands import their services when they run.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from printreg.accounts import cli as users
from printreg.cli import pool, redcap, reports
from printreg.cli.common import (
    JsonOpt,
    RegistryOpt,
    console,
    err_console,
    operator,
    platform,
    print_issues,
    print_json,
    require_database,
    run,
)
from printreg.cli.common import registry_code as _registry
from printreg.domain.errors import ValidationFailed
from printreg.domain.issues import Issue
from printreg.files import cli as files
from printreg.governance import cli as governance
from printreg.requests import cli as requests

app = typer.Typer(
    help="printreg: a clinical data registry for point-of-care 3D printing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database set-up.", no_args_is_help=True)
registry_app = typer.Typer(help="Registries and their definitions.", no_args_is_help=True)
facility_app = typer.Typer(help="Participating facilities.", no_args_is_help=True)
printer_app = typer.Typer(help="Facilities' printer inventories.", no_args_is_help=True)
case_app = typer.Typer(
    help="Cases: add, show, list, update, delete, restore, history.", no_args_is_help=True
)


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


# -- facility and printer -----------------------------------------------------------------------


@facility_app.command("add")
def facility_add(
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. F0001.")],
    name: Annotated[str, typer.Option(help="Facility name.")],
    facility_type: Annotated[
        str, typer.Option("--type", help="academic, community, childrens, freestanding, other")
    ] = "academic",
    location: Annotated[str, typer.Option(help="metropolitan, suburban, rural")] = "metropolitan",
    region: Annotated[str, typer.Option(help="northeast, midwest, south, west")] = "northeast",
    lab: Annotated[
        str, typer.Option(help="radiology, surgery, engineering_core, other")
    ] = "radiology",
) -> None:
    """Add a participating facility (active in every registry)."""
    from printreg.facilities.schemas import FacilityProfile
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            FacilityService(p, operator()).add(
                FacilityProfile(code, name, facility_type, location, region, lab)
            )
        console.print(f"added facility {code}")

    run(body)


@facility_app.command("date-order")
def facility_date_order(
    code: Annotated[str, typer.Argument(help="Facility code.")],
    order: Annotated[
        str, typer.Argument(help="DMY (02/11/2026 is 2 November), MDY (February 11), or iso.")
    ],
) -> None:
    """Set the local date order a facility's imports and forms read besides YYYY-MM-DD."""
    from printreg.dictionary.dates import date_formats
    from printreg.facilities.service import FacilityService

    def body() -> None:
        wanted = None if order.strip().lower() == "iso" else order.strip()
        with platform() as p:
            stored = FacilityService(p, operator()).set_date_order(code, wanted)
        console.print(f"{code} reads dates as {date_formats(stored)}")

    run(body)


@facility_app.command("list")
def facility_list(as_json: JsonOpt = False) -> None:
    """List facilities with their printer counts."""
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            rows = FacilityService(p, operator()).facilities()
        if as_json:
            print_json([{**f.__dict__, "printers": n} for f, n in rows])
            return
        table = Table("code", "name", "type", "location", "census region", "lab", "printers")
        for f, n in rows:
            table.add_row(
                f.code,
                f.name,
                f.facility_type,
                f.location,
                f.census_region,
                f.lab_service_model,
                str(n),
            )
        console.print(table)

    run(body, as_json=as_json)


@printer_app.command("add")
def printer_add(
    facility: Annotated[str, typer.Option("--facility", "-f", help="Facility code.")],
    label: Annotated[str, typer.Option(help="Label, unique in the facility.")],
    technology: Annotated[
        str, typer.Option(help="ISO/ASTM 52900 category, e.g. material_jetting.")
    ],
    manufacturer: Annotated[str, typer.Option()] = "",
    model: Annotated[str, typer.Option()] = "",
) -> None:
    """Add a printer to a facility's inventory."""
    from printreg.facilities.schemas import PrinterInfo
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            FacilityService(p, operator()).add_printer(
                PrinterInfo(facility, label, manufacturer, model, technology)
            )
        console.print(f"added printer {label} to {facility}")

    run(body)


@printer_app.command("list")
def printer_list(
    facility: Annotated[str | None, typer.Option("--facility", "-f")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List printers, of one facility or all."""
    from printreg.facilities.service import FacilityService

    def body() -> None:
        with platform() as p:
            printers = FacilityService(p, operator()).printers(facility)
        if as_json:
            print_json(printers)
            return
        table = Table("facility", "label", "manufacturer", "model", "technology")
        for pr in printers:
            table.add_row(pr.facility, pr.label, pr.manufacturer, pr.model, pr.technology)
        console.print(table)

    run(body, as_json=as_json)


# -- case ---------------------------------------------------------------------------------------


def _read_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed(
            [
                Issue(
                    "error",
                    path.name,
                    "",
                    "type",
                    "the file must hold one JSON object: the case record",
                )
            ]
        )
    return data


@case_app.command("add")
def case_add(
    path: Annotated[Path, typer.Argument(help="JSON file with one case record.")],
    facility: Annotated[str, typer.Option("--facility", "-f", help="Submitting facility code.")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate and add one case; print its id, or every issue and exit 1."""
    from printreg.cases.service import CaseService

    def body() -> None:
        record = _read_record(path)
        with platform() as p:
            saved = CaseService(p, operator()).create(_registry(registry), facility, record)
        if as_json:
            print_json(
                {
                    "ok": True,
                    "id": saved.id,
                    "status": saved.status,
                    "warnings": [w.to_dict() for w in saved.warnings],
                }
            )
        else:
            print_issues(saved.warnings)
            console.print(str(saved.id))

    run(body, as_json=as_json)


@case_app.command("update")
def case_update(
    case_id: Annotated[uuid.UUID, typer.Argument(help="Case id.")],
    path: Annotated[Path, typer.Argument(help="JSON file with the whole new record.")],
    registry: RegistryOpt = None,
) -> None:
    """Replace a case's record with the file's (validated and audited)."""
    from printreg.cases.service import CaseService

    def body() -> None:
        record = _read_record(path)
        with platform() as p:
            saved = CaseService(p, operator()).update(_registry(registry), case_id, record)
        print_issues(saved.warnings)
        console.print(f"{saved.id} version {saved.row_version}")

    run(body)


@case_app.command("show")
def case_show(
    case_id: Annotated[uuid.UUID, typer.Argument(help="Case id.")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case; --json prints the record in the shape `case add` accepts."""
    from printreg.cases.service import CaseService

    def body() -> None:
        with platform() as p:
            view = CaseService(p, operator()).get(_registry(registry), case_id)
        if as_json:
            print_json(view.as_input())
            return
        console.print(
            f"[bold]{view.record.get('local_case_id')}[/] {view.id} at {view.facility}: "
            f"{view.status}, definition {view.definition_version}, "
            f"version {view.row_version}" + (" [red]DELETED[/]" if view.deleted_at else "")
        )
        table = Table("field", "value")
        for key, value in view.record.items():
            table.add_row(
                key, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            )
        for key, value in view.derived.items():
            table.add_row(f"[dim]{key} (derived)[/]", str(value))
        console.print(table)

    run(body, as_json=as_json)


@case_app.command("list")
def case_list(
    registry: RegistryOpt = None,
    facility: Annotated[str | None, typer.Option("--facility", "-f")] = None,
    status: Annotated[str | None, typer.Option(help="draft, complete or locked.")] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="ELEMENT=VALUE: only cases with this code or label of a coded element "
            "(repeat the option).",
        ),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Case date from (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Case date to (YYYY-MM-DD).")] = None,
    deleted: Annotated[bool, typer.Option(help="List deleted cases instead.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    cursor: Annotated[str | None, typer.Option(help="Cursor printed by the previous page.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List cases, newest change first, one page at a time."""
    import datetime as dt

    from printreg.cases.service import CaseQuery, CaseService, decode_cursor, parse_filters

    def body() -> None:
        filters = parse_filters(where or [])
        query = CaseQuery(
            status=status,
            where=filters,
            date_from=dt.date.fromisoformat(date_from) if date_from else None,
            date_to=dt.date.fromisoformat(date_to) if date_to else None,
            only_deleted=deleted,
            limit=limit,
            after=decode_cursor(cursor) if cursor else None,
        )
        with platform() as p:
            page = CaseService(p, operator()).list_cases(_registry(registry), query, facility)
        if as_json:
            print_json({"items": page.items, "next_cursor": page.next_cursor})
            return
        table = Table("id", "facility", "local case id", "status", "version", "updated")
        for c in page.items:
            table.add_row(
                str(c.id),
                c.facility,
                c.local_case_id,
                c.status,
                c.definition_version,
                c.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)
        if page.next_cursor:
            console.print(f"next page: --cursor {page.next_cursor}")

    run(body, as_json=as_json)


def _state_command(action: str) -> None:
    def command(
        case_id: Annotated[uuid.UUID, typer.Argument(help="Case id.")], registry: RegistryOpt = None
    ) -> None:
        from printreg.cases.service import CaseService

        def body() -> None:
            with platform() as p:
                service = CaseService(p, operator())
                view = getattr(service, action)(_registry(registry), case_id)
            console.print(f"{view.id}: {action}d" if action != "lock" else f"{view.id}: locked")

        run(body)

    command.__doc__ = {
        "delete": "Soft-delete a case (restorable, audited).",
        "restore": "Restore a soft-deleted case.",
        "lock": "Lock a complete case against change.",
    }[action]
    case_app.command(action)(command)


for _action in ("delete", "restore", "lock"):
    _state_command(_action)


@case_app.command("history")
def case_history(
    case_id: Annotated[uuid.UUID, typer.Argument(help="Case id.")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show who changed a case, when, and which fields."""
    from printreg.cases.service import CaseService

    def body() -> None:
        with platform() as p:
            entries = CaseService(p, operator()).history(_registry(registry), case_id)
        if as_json:
            print_json(entries)
            return
        table = Table("when", "who", "action", "changed")
        for e in entries:
            table.add_row(
                e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, ", ".join(e.changed)
            )
        console.print(table)

    run(body, as_json=as_json)


# -- import and export --------------------------------------------------------------------------


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="CSV, JSON Lines (.jsonl) or JSON (.json) file.")],
    facility: Annotated[
        str, typer.Option("--facility", "-f", help="Facility the cases belong to.")
    ],
    commit: Annotated[bool, typer.Option(help="Write to the database (default: dry run).")] = False,
    all_or_nothing: Annotated[
        bool, typer.Option(help="Write nothing unless every row is valid.")
    ] = False,
    errors: Annotated[
        Path | None, typer.Option(help="Error file (default: FILE.errors.csv|jsonl).")
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
            f"{path.stem}.errors.{'csv' if kind == 'csv' else 'jsonl'}"
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


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet.")] = "csv",
    facility: Annotated[str | None, typer.Option("--facility", "-f")] = None,
    registry: RegistryOpt = None,
) -> None:
    """Export cases (streamed) with a codebook beside them (OUT.codebook.json)."""
    from printreg.cases.exports import export_cases

    def body() -> None:
        if fmt not in ("csv", "jsonl", "parquet"):
            raise ValueError("--format must be csv, jsonl or parquet")
        with platform() as p:
            count, codebook = export_cases(p, operator(), _registry(registry), fmt, out, facility)  # type: ignore[arg-type]
        console.print(f"exported {count} cases to {out} (codebook: {codebook})")

    run(body)


@app.command("template")
def template(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="CSV template to write (.zip: the whole bundle).")
    ],
    registry: RegistryOpt = None,
) -> None:
    """Write an empty CSV import template and a README of its columns (OUT.README.txt)."""
    from printreg.ingest import FlatLayout
    from printreg.registries.service import RegistryService

    def body() -> None:
        code = _registry(registry)
        with platform() as p:
            definition = RegistryService(p, operator()).definition(code)
        layout = FlatLayout(definition)
        if out.suffix.lower() == ".zip":  # template, example row, code lists, codebook, README
            from printreg.imports.template import bundle

            out.write_bytes(bundle(definition, code))
            console.print(f"wrote {out} (template, example, codes, codebook and README)")
            return
        out.write_text(layout.template_csv(), encoding="utf-8")
        readme = out.with_name(out.name + ".README.txt")
        readme.write_text(layout.template_readme(), encoding="utf-8")
        console.print(f"wrote {out} ({len(layout.columns)} columns) and {readme}")

    run(body)


# -- synthetic data and demo --------------------------------------------------------------------


@app.command("synth")
def synth(
    facilities: Annotated[int, typer.Option(min=1, help="Number of facilities.")] = 12,
    cases: Annotated[int, typer.Option(min=0, help="Number of cases.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    registry: RegistryOpt = None,
) -> None:
    """Add realistic synthetic facilities, printers and cases (validated like real data)."""
    from rich.progress import Progress

    from printreg.demo.synth import load_synthetic

    def body() -> None:
        with platform() as p, Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("adding cases", total=cases)
            loaded = load_synthetic(
                p,
                operator(),
                registry=_registry(registry),
                seed=seed,
                facilities=facilities,
                cases=cases,
                progress=lambda n: bar.advance(task, n),
            )
        console.print(
            f"added {loaded.facilities} facilities, {loaded.printers} printers, "
            f"{loaded.cases} cases ({loaded.rejected} rejected)"
        )

    run(body)


HostOpt = Annotated[str, typer.Option(help="Address to listen on (loopback by default).")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


@app.command("demo")
def demo(
    facilities: Annotated[int, typer.Option(min=2)] = 12,
    cases: Annotated[int, typer.Option(min=0)] = 2600,  # services.demo.DEMO_CASES
    seed: Annotated[int, typer.Option()] = 42,
    serve: Annotated[bool, typer.Option(help="Start the web server afterwards.")] = True,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
) -> None:
    """Set up synthetic data and demo accounts (once), print a summary, serve the web app."""
    from printreg.demo.cli import run_demo

    run(lambda: run_demo(facilities=facilities, cases=cases, seed=seed, serve=serve, host=host,
                         port=port))  # fmt: skip


@app.command("serve")
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Serve the web application and REST API (run `printreg db upgrade` first)."""
    from printreg.cli.serve import serve_app

    def body() -> None:
        require_database()
        serve_app(host, port)

    run(body)


# -- assembly: the order here is the order `--help` lists -------------------------------------


def _merge(group: typer.Typer, part: typer.Typer) -> None:
    """Add the commands a module declared on its own Typer to ``group`` itself."""
    group.registered_commands.extend(part.registered_commands)


_merge(app, pool.pool_app)
_merge(app, reports.report_app)
_merge(registry_app, governance.registry_app)
_merge(registry_app, redcap.registry_app)
app.add_typer(db_app, name="db")
app.add_typer(registry_app, name="registry")
app.add_typer(facility_app, name="facility")
app.add_typer(printer_app, name="printer")
app.add_typer(case_app, name="case")
app.add_typer(files.dicom_app, name="dicom")
app.add_typer(files.mesh_app, name="mesh")
app.add_typer(governance.enrollment_app, name="enrollment")
app.add_typer(requests.request_app, name="request")
app.add_typer(users.user_app, name="user")


def main() -> None:
    """Run the printreg command."""
    app()
