"""`printreg case …` and `printreg export`: cases one at a time, and streamed exports."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from printreg.cli.common import (
    JsonOpt,
    RegistryOpt,
    console,
    operator,
    platform,
    print_issues,
    print_json,
    run,
)
from printreg.cli.common import registry_code as _registry
from printreg.domain.errors import ValidationFailed
from printreg.domain.issues import Issue

case_app = typer.Typer(
    help="Cases: add, show, list, update, delete, restore, history.", no_args_is_help=True
)
export_app = typer.Typer()  # its commands join the top level


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

    from printreg.cases.service import CaseService, case_query, parse_filters

    def body() -> None:
        filters = parse_filters(where or [])
        query = case_query(
            status=status,
            where=filters,
            date_from=dt.date.fromisoformat(date_from) if date_from else None,
            date_to=dt.date.fromisoformat(date_to) if date_to else None,
            deleted=deleted,
            limit=limit,
            cursor=cursor,
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


@export_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[
        str, typer.Option("--format", help="csv, jsonl, parquet or fhir (NDJSON of Bundles).")
    ] = "csv",
    facility: Annotated[str | None, typer.Option("--facility", "-f")] = None,
    registry: RegistryOpt = None,
) -> None:
    """Export cases (streamed) with a codebook beside them (OUT.codebook.json).

    With --format fhir: one FHIR R4 Bundle per line, the Questionnaire beside it
    (OUT.questionnaire.json)."""
    from printreg.cases.exports import export_cases

    def body() -> None:
        if fmt not in ("csv", "jsonl", "parquet", "fhir"):
            raise ValueError("--format must be csv, jsonl, parquet or fhir")
        if fmt == "fhir":
            from printreg.fhir.service import FhirService

            with platform() as p:
                count = FhirService(p, operator()).export_ndjson(_registry(registry), out, facility)
            console.print(f"exported {count} cases to {out} (FHIR R4 Bundles, one per line)")
            return
        with platform() as p:
            count, codebook = export_cases(p, operator(), _registry(registry), fmt, out, facility)  # type: ignore[arg-type]
        console.print(f"exported {count} cases to {out} (codebook: {codebook})")

    run(body)
