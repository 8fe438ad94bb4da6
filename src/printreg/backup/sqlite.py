"""SQLite databases: copied with SQLite's online backup API, restored by swapping in a file.

The backup API copies the whole database in one step, inside one read transaction: with the
write-ahead log (how printreg opens SQLite) writers carry on meanwhile, and the copy is the
database as it was when the step began. A restore writes the archive's file beside the target,
checks and (if older) migrates it there, and only then renames it over the target: a failure
anywhere leaves the target as it was.
"""

from __future__ import annotations

import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL

from printreg.backup.archive import ArchiveReader, DatabaseKind, Dump
from printreg.backup.errors import ArchiveDamaged, BackupError, TargetNotEmpty, not_empty
from printreg.storage.readiness import UPGRADE, DatabaseNotReady

#: files SQLite keeps beside a database; stale ones must not outlive a database swapped in
SIDE_FILES = ("-wal", "-shm", "-journal")


def _revisions(connection: sqlite3.Connection) -> set[str]:
    """Return the migrations the database says it is at; empty without printreg tables."""
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if found is None:
        return set()
    return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}


def _settle(path: Path) -> None:
    """Fold any write-ahead log into the file itself, so the file alone is the database."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")


class SqliteDatabase:
    """The file-backed SQLite database of PRINTREG_DATABASE_URL."""

    kind: DatabaseKind = "sqlite"

    def __init__(self, url: URL, busy_ms: int) -> None:
        database = url.database or ""
        if database in {"", ":memory:"} or database.startswith("file:") or url.query.get("uri"):
            raise BackupError(
                "only an SQLite database in a file can be backed up or restored: set "
                "PRINTREG_DATABASE_URL to sqlite:///path/to/registry.db"
            )
        self.path = Path(database)
        self.where = database
        self._timeout = busy_ms / 1000

    def _connect(self, path: Path) -> sqlite3.Connection:
        """Open an existing file (never creating one), waiting for locks as the app does."""
        uri = f"{path.resolve().as_uri()}?mode=rw"
        return sqlite3.connect(uri, uri=True, timeout=self._timeout)

    def _open_error(self, exc: sqlite3.Error) -> DatabaseNotReady:
        reason = (str(exc).strip() or "no reason given").splitlines()[0]
        return DatabaseNotReady(f"cannot open the database {self.where}: {reason}")

    def revision(self) -> str:
        """Return the live database's migration; DatabaseNotReady when there is none."""
        if not self.path.exists():
            raise DatabaseNotReady(f"there is no database at {self.where}: {UPGRADE} to create it")
        try:
            with closing(self._connect(self.path)) as connection:
                revisions = _revisions(connection)
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        if not revisions:
            raise DatabaseNotReady(f"the database {self.where} has no printreg tables: {UPGRADE}")
        return ",".join(sorted(revisions))

    def dump(self, target: Path) -> Dump:
        """Copy the database to ``target`` while it stays in use; return its migration."""
        self.revision()
        try:
            with (
                closing(self._connect(self.path)) as source,
                closing(sqlite3.connect(target)) as copy,
            ):
                source.backup(copy)  # pages=-1: the whole database in one step, one snapshot
                copy.execute("PRAGMA journal_mode=DELETE")
                revisions = _revisions(copy)
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        if not revisions:
            raise DatabaseNotReady(f"the database {self.where} has no printreg tables: {UPGRADE}")
        return Dump(",".join(sorted(revisions)))

    def objects(self) -> int:
        """Return how many tables and views the target holds (0 when the file is missing)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0
        try:
            with closing(self._connect(self.path)) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%'"
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        return int(row[0])

    def files(self) -> list[Path]:
        """Return the database's files: the file itself and those SQLite keeps beside it."""
        return [self.path, *(Path(f"{self.path}{suffix}") for suffix in SIDE_FILES)]

    def restore(
        self, reader: ArchiveReader, *, revision: str, upgrade: bool, replace: bool
    ) -> None:
        """Put the archive's database in place of the target, migrated to this printreg if
        ``upgrade``; the target is untouched unless every step before the swap succeeded.

        Without ``replace``, TargetNotEmpty if the target holds tables by the time of the swap.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staged = self.path.with_name(f".{self.path.name}.restore-{secrets.token_hex(4)}")
        try:
            reader.extract_database(staged)
            try:
                with closing(sqlite3.connect(staged)) as connection:
                    check = connection.execute("PRAGMA quick_check").fetchone()[0]
                    found = _revisions(connection)
            except sqlite3.DatabaseError:
                check, found = "not an SQLite database", set()
            if check != "ok":
                raise ArchiveDamaged(
                    "the archive is damaged or altered: its database fails SQLite's check"
                )
            if found != {revision}:
                raise ArchiveDamaged(
                    "the archive is damaged or altered: its database is not at the migration "
                    "its manifest names"
                )
            if upgrade:
                _upgrade(staged)
            _settle(staged)
            if not replace and self.objects():
                raise TargetNotEmpty(not_empty(self.where, self.objects()))
            for suffix in SIDE_FILES:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            staged.replace(self.path)
        finally:
            for leftover in (staged, *(Path(f"{staged}{s}") for s in SIDE_FILES)):
                leftover.unlink(missing_ok=True)


def _upgrade(path: Path) -> None:
    """Migrate a database file to this printreg, as `printreg db upgrade` does."""
    from printreg.storage.engine import make_engine  # noqa: PLC0415 - only an older archive
    from printreg.storage.schema import upgrade  # noqa: PLC0415 - loads Alembic

    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
