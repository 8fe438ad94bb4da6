"""`printreg backup` and `printreg restore`: the registry in one archive, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from printreg.cli.common import JsonOpt, console, operator, print_json, run

backup_app = typer.Typer(help="Backups of the database and the data folder.")


def _size(size: int) -> str:
    """Return a size in bytes as a person reads it: 812 bytes, 3.4 MiB."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@backup_app.command("backup")
def backup(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Archive file to write, or a folder for printreg-backup-<UTC time>.tar "
            "(default: that name in the current folder).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write one archive of the database and the data folder (while printreg keeps running)."""
    from printreg.backup.service import BackupService
    from printreg.settings import Settings

    def body() -> None:
        report = BackupService(Settings(), operator()).backup(out)
        if as_json:
            print_json(report)
            return
        console.print(
            f"wrote {report.archive} ({_size(report.size)}): {report.database} database at "
            f"migration {report.alembic_revision}, {report.data_files} data file(s)",
            highlight=False,
        )
        if report.skipped:
            console.print(f"skipped {report.skipped} link(s) or special file(s) in the data folder")
        console.print("it holds patient-derived data: keep it encrypted (docs/operations.md)")

    run(body, as_json=as_json)


@backup_app.command("restore")
def restore(
    archive: Annotated[Path, typer.Argument(help="Archive written by `printreg backup`.")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Overwrite a database and data folder that are not empty (all they hold is lost).",
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Only check the archive against its checksums; restore nothing."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore an archive into an empty database and data folder (stop printreg first)."""
    from printreg.backup.service import BackupService
    from printreg.settings import Settings

    def body() -> None:
        service = BackupService(Settings(), operator())
        if check:
            checked = service.check(archive)
            if as_json:
                print_json({"archive": checked.archive, "needs_upgrade": checked.needs_upgrade,
                            "manifest": checked.manifest})  # fmt: skip
                return
            m = checked.manifest
            console.print(
                f"{archive}: every member matches its checksum; {m.database} database at "
                f"migration {m.alembic_revision}, {len(m.data_members)} data file(s), written "
                f"{m.created_at:%Y-%m-%d %H:%M} UTC by printreg {m.printreg_version}",
                highlight=False,
            )
            return
        report = service.restore(archive, replace=replace)
        if as_json:
            print_json(report)
            return
        migrated = (
            f", migrated from {report.archive_revision} to {report.revision}"
            if report.upgraded
            else f" at migration {report.revision}"
        )
        console.print(
            f"restored the {report.database} database{migrated} and {report.data_files} data "
            f"file(s) from the backup of {report.created_at:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )

    run(body, as_json=as_json)
