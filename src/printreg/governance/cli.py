"""Governance commands: registry lifecycle and definition versions (`printreg registry …`),
facility enrollment (`printreg enrollment …`). The command line acts as the operator."""

from __future__ import annotations

import datetime as dt
import uuid
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from printreg.cli.common import (
    JsonOpt,
    RegistryOpt,
    console,
    err_console,
    operator,
    platform,
    print_issues,
    print_json,
)
from printreg.cli.common import registry_code as _registry
from printreg.cli.common import run as run_command

if TYPE_CHECKING:
    from printreg.governance.schemas import EnrollmentOut
    from printreg.governance.versions import (
        IssueCount,
        MappingCount,
        MigrationReport,
        UpgradeReport,
    )

# Commands of `printreg registry`, merged into that group by printreg.cli.app.
registry_app = typer.Typer()
enrollment_app = typer.Typer(
    help="Facility enrollment: applications, decisions, agreements.", no_args_is_help=True
)
FacilityArg = Annotated[str, typer.Argument(help="Facility code, e.g. F0001.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]


def _issues_table(issues: list[IssueCount]) -> None:
    if not issues:
        return
    table = Table("rule", "field", "cases", "example", title="why cases are not valid")
    for issue in issues:
        table.add_row(issue.rule, issue.field, str(issue.cases), issue.example)
    console.print(table)


# -- registry lifecycle and versions ------------------------------------------------------------


@registry_app.command("status")
def registry_status(
    code: Annotated[str, typer.Argument(help="Registry code, e.g. 3dp.")],
    state: Annotated[str, typer.Argument(help="draft, pilot, active or closed.")],
    reason: ReasonOpt = "",
) -> None:
    """Move a registry through its lifecycle: draft → pilot → active → closed."""
    from printreg.registries.service import RegistryService

    def body() -> None:
        with platform() as p:
            info = RegistryService(p, operator()).set_lifecycle(code, state, reason)
        console.print(f"registry {info.code} is now {info.lifecycle}")

    run_command(body)


@registry_app.command("versions")
def registry_versions(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """List a registry's published definition versions and their case counts."""
    from printreg.registries.service import RegistryService

    def body() -> None:
        with platform() as p:
            versions = RegistryService(p, operator()).versions(_registry(registry))
        if as_json:
            print_json(versions)
            return
        table = Table("version", "published", "current", "cases")
        for v in versions:
            table.add_row(
                v.version, f"{v.published_at:%Y-%m-%d}", "yes" if v.current else "", str(v.cases)
            )
        console.print(table)

    run_command(body, as_json=as_json)


def _print_report(report: MigrationReport) -> None:
    source = report.from_version or "(new registry)"
    console.print(f"[bold]{report.registry}[/] {source} → {report.to_version}")
    for change in report.changes:
        console.print(f"  {change.kind:<16} {change.path}: {change.detail} ({change.bump})")
    for name in report.tables_added:
        console.print(f"  adds table {name}")
    for column in report.columns_added:
        console.print(f"  adds column {column.table}.{column.column} {column.type}")
    console.print(
        f"stored cases checked: {report.cases_checked}; "
        f"not valid under {report.to_version}: {report.cases_invalid}"
    )
    _issues_table(report.issues)
    _mappings_table(report.mappings)
    for problem in report.problems:
        err_console.print(f"[red]cannot publish:[/] {problem}", highlight=False)


@registry_app.command("publish")
def registry_publish(
    path: Annotated[Path, typer.Argument(help="Definition file (YAML).")],
    commit: Annotated[
        bool, typer.Option("--commit", help="Publish; without it, only report (dry run).")
    ] = False,
    registry: Annotated[
        str | None, typer.Option("--registry", "-r", help="Registry code (default: the file's).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Report what a new definition version changes and which cases it would make invalid."""
    from printreg.dictionary import load_definition
    from printreg.registries.service import RegistryService

    def body() -> None:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None
        code = registry or load_definition(path).registry.code
        with platform() as p:
            report = RegistryService(p, operator()).publish(
                code, text, dry_run=not commit, base=path.parent
            )
        if as_json:
            print_json(report)
            return
        _print_report(report)
        if report.published:
            console.print(f"published {report.registry} {report.to_version}")
        elif not report.problems:
            console.print("dry run: nothing was published (add --commit to publish)")

    run_command(body, as_json=as_json)


@registry_app.command("upgrade-cases")
def registry_upgrade_cases(
    version: Annotated[str, typer.Argument(help="Version to move the cases to, e.g. 2.0.0.")],
    case_ids: Annotated[
        list[uuid.UUID] | None, typer.Argument(help="Case ids (or --all).", show_default=False)
    ] = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="Every undeleted case on another version.")
    ] = False,
    commit: Annotated[
        bool, typer.Option("--commit", help="Move the valid cases; without it, only report.")
    ] = False,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-validate cases against a published version and move the valid ones (audited)."""
    from printreg.registries.service import RegistryService

    def body() -> None:
        if all_cases == bool(case_ids):
            raise ValueError("give case ids or --all (not both)")
        with platform() as p:
            report = RegistryService(p, operator()).upgrade_cases(
                _registry(registry),
                "all" if all_cases else list(case_ids or []),
                version,
                dry_run=not commit,
            )
        if as_json:
            print_json(report)
            return
        _print_upgrade(report)

    run_command(body, as_json=as_json)


def _print_upgrade(report: UpgradeReport) -> None:
    verb = "would move" if report.dry_run else "moved"
    console.print(
        f"{report.requested} case(s) checked against {report.registry} {report.to_version}: "
        f"{verb} {report.moved}, {len(report.not_moved)} stay"
    )
    for case in report.not_moved:
        where = " ".join(filter(None, (case.facility, case.local_case_id)))
        err_console.print(f"  {case.id} {where}: {case.reason}", highlight=False)
        print_issues(case.issues)
    _issues_table(report.issues)
    _mappings_table(report.mappings)
    if report.dry_run:
        console.print("dry run: no case was changed (add --commit to move them)")


def _mappings_table(mappings: list[MappingCount]) -> None:
    """Print how many stored texts took each code (counts only: the texts never leave)."""
    if not mappings:
        return
    console.print("stored texts mapped to codes:")
    for row in mappings:
        how = "matched" if row.matched else "no match: other + specify-text"
        console.print(f"  {row.element} = {row.code}: {row.values} ({how})", highlight=False)


# -- enrollment ---------------------------------------------------------------------------------


def _print_enrollment(e: EnrollmentOut) -> None:
    console.print(f"[bold]{e.facility}[/] in {e.registry}: {e.status or 'not enrolled'}")
    if e.agreement_date:
        waived = " (waived)" if e.application_fee_waived else ""
        console.print(
            f"  agreement {e.agreement_date}; application fee ${e.application_fee}{waived}; "
            f"annual fee ${e.annual_fee}"
        )
    for event in e.history:
        after = event.after or {}
        note = after.get("reason") or after.get("decided_by") or ""
        console.print(f"  {event.at:%Y-%m-%d %H:%M} {event.action:<10} {event.actor} {note}")


@enrollment_app.command("apply")
def enrollment_apply(
    facility: FacilityArg,
    contact: Annotated[
        list[str],
        typer.Option("--contact", help='A contact person, "Name <e-mail>"; repeatable.'),
    ],
    statement: Annotated[str, typer.Option("--statement", help="Why the facility joins.")] = "",
    registry: RegistryOpt = None,
) -> None:
    """Apply for a facility to join a registry (its profile and printers as they are now)."""
    from printreg.governance.enrollment import Contact, EnrollmentService

    def body() -> None:
        contacts = [Contact("", *parseaddr(c)) for c in contact]
        with platform() as p:
            e = EnrollmentService(p, operator()).apply(
                _registry(registry), facility, contacts, statement
            )
        _print_enrollment(e)

    run_command(body)


@enrollment_app.command("list")
def enrollment_list(
    status: Annotated[
        str | None, typer.Option("--status", help="open, approved, declined or withdrawn.")
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a registry's enrollment applications, newest first."""
    from printreg.governance.enrollment import EnrollmentService

    def body() -> None:
        with platform() as p:
            rows = EnrollmentService(p, operator()).applications(_registry(registry), status)
        if as_json:
            print_json(rows)
            return
        table = Table("id", "facility", "status", "submitted", "by", "printers", "contacts")
        for a in rows:
            table.add_row(
                str(a.id),
                a.facility,
                a.status,
                f"{a.submitted_at:%Y-%m-%d}",
                a.submitted_by,
                str(len(a.printers)),
                str(len(a.contacts)),
            )
        console.print(table)

    run_command(body, as_json=as_json)


@enrollment_app.command("show")
def enrollment_show(
    facility: FacilityArg, registry: RegistryOpt = None, as_json: JsonOpt = False
) -> None:
    """Show a facility's enrollment: status, agreement, fees and every step."""
    from printreg.governance.enrollment import EnrollmentService

    def body() -> None:
        with platform() as p:
            e = EnrollmentService(p, operator()).get(_registry(registry), facility)
        if as_json:
            print_json(e)
            return
        _print_enrollment(e)

    run_command(body, as_json=as_json)


@enrollment_app.command("decide")
def enrollment_decide(
    facility: FacilityArg,
    decision: Annotated[str, typer.Argument(help="approve or decline.")],
    reason: ReasonOpt = "",
    registry: RegistryOpt = None,
) -> None:
    """Record the committee's decision on a facility's open application."""
    from printreg.governance.enrollment import EnrollmentService

    def body() -> None:
        if decision not in {"approve", "decline"}:
            raise ValueError("decide approve or decline")
        with platform() as p:
            e = EnrollmentService(p, operator()).decide(
                _registry(registry), facility, decision == "approve", reason
            )
        _print_enrollment(e)

    run_command(body)


@enrollment_app.command("status")
def enrollment_status(
    facility: FacilityArg,
    state: Annotated[str, typer.Argument(help="active, suspended or withdrawn.")],
    agreement_date: Annotated[
        dt.datetime | None,
        typer.Option(
            "--agreement-date",
            formats=["%Y-%m-%d"],
            help="Date the participation agreement was signed (activation).",
        ),
    ] = None,
    reason: ReasonOpt = "",
    registry: RegistryOpt = None,
) -> None:
    """Activate (agreement date and fees), suspend, reinstate or withdraw a facility."""
    from printreg.governance.enrollment import EnrollmentService

    def body() -> None:
        with platform() as p:
            e = EnrollmentService(p, operator()).set_status(
                _registry(registry),
                facility,
                state,
                agreement_date=agreement_date.date() if agreement_date else None,
                reason=reason,
            )
        _print_enrollment(e)

    run_command(body)
