"""What goes wrong with a backup or a restore, each a one-line message that says what to do."""

from __future__ import annotations

from printreg.domain.errors import RegistryError


class BackupError(RegistryError):
    """An archive cannot be written, read or restored; the message says why and what to do."""


class ArchiveDamaged(BackupError):  # noqa: N818 - reads as the condition it names
    """The archive does not match its manifest: damaged or altered since it was written."""


class TargetNotEmpty(BackupError):  # noqa: N818 - reads as the condition it names
    """The database or data folder to restore into already holds something."""


def not_empty(where: str, objects: int) -> str:
    """Return the message refusing to restore into a database that holds ``objects`` tables
    (and views, sequences, routines, types)."""
    return (
        f"the database {where} is not empty ({objects} tables or other objects): restore only "
        "into an empty "
        "database, or add --replace to overwrite it (everything in it is lost)"
    )
