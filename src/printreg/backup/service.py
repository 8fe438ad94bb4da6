"""Back up a registry into one archive, check an archive, restore one into an empty registry.

A backup dumps the database first and copies the data folder after it, so every file the
database refers to is in the archive (a file newer than the dump is harmless). A restore checks
everything it can before it changes anything: the archive's manifest and members, that the
database kind matches and the archive's migration is one this printreg knows, that the target
database and data folder are empty (unless ``replace``); it then copies the data folder beside
its target while checking every byte, puts the database in place (migrated, like `printreg db
upgrade`, when the archive is older than this printreg), and last renames the data folder in.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from printreg import __version__
from printreg.accounts.actor import Actor
from printreg.backup.archive import (
    DATABASE_MEMBERS,
    ArchiveReader,
    ArchiveWriter,
    DatabaseKind,
    Dump,
    Manifest,
    data_name,
    restorable,
)
from printreg.backup.errors import BackupError, TargetNotEmpty, not_empty
from printreg.domain.errors import Forbidden
from printreg.settings import Settings
from printreg.storage.readiness import DatabaseNotReady, head_revision, migration_graph

#: the folder of the data folder whose files are temporary (all-or-nothing imports' staging)
SKIPPED_FOLDERS = frozenset({"staging"})
KIND_NAMES = {"sqlite": "an SQLite", "postgresql": "a PostgreSQL"}


class Database(Protocol):
    """One kind of database, as backup and restore use it."""

    kind: DatabaseKind
    where: str

    def revision(self) -> str:
        """Return the live database's migration; DatabaseNotReady when it has none."""

    def dump(self, target: Path) -> Dump:
        """Write the dump to ``target``; return its facts for the manifest."""

    def objects(self) -> int:
        """Return how many tables (and the like) the database holds."""

    def files(self) -> list[Path]:
        """Return the database's files on this machine (SQLite), so the data folder skips them."""

    def restore(
        self, reader: ArchiveReader, *, revision: str, upgrade: bool, replace: bool
    ) -> None:
        """Put the archive's database in place, migrating it when ``upgrade``."""


@dataclass(frozen=True)
class BackupReport:
    """What `backup` wrote: the archive, its database and migration, the data files copied."""

    archive: Path
    database: DatabaseKind
    alembic_revision: str
    data_files: int
    skipped: int
    size: int


@dataclass(frozen=True)
class ArchiveCheck:
    """An archive whose every member matched its checksum, and whether restoring migrates it."""

    archive: Path
    manifest: Manifest
    needs_upgrade: bool


@dataclass(frozen=True)
class RestoreReport:
    """What `restore` did: from which archive, to which migration, how many data files."""

    archive: Path
    database: DatabaseKind
    archive_revision: str
    revision: str
    upgraded: bool
    data_files: int
    created_at: dt.datetime
    printreg_version: str


def default_name(moment: dt.datetime) -> str:
    """Return the archive name a backup taken at ``moment`` gets when none is given."""
    return f"printreg-backup-{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.tar"


def _empty_folder(folder: Path) -> bool:
    return not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))


def _inside(path: Path, folder: Path) -> bool:
    return path.absolute().resolve().is_relative_to(folder.absolute().resolve())


@contextmanager
def _files_named() -> Iterator[None]:
    """Turn a file system error (a full disk, a file it may not read) into a BackupError that
    names the file and the reason, not a traceback."""
    try:
        yield
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise BackupError(f"{where}{exc.strerror or exc}") from None


def upgrade_needed(revision: str, printreg_version: str) -> bool:
    """Return whether an archive at ``revision`` must be migrated after its restore.

    BackupError when the revision is newer than this printreg knows.
    """
    head = head_revision()
    if revision == head:
        return False
    if revision in migration_graph():
        return True
    raise BackupError(
        f"the archive is at migration {revision}, newer than this printreg knows ({head}): "
        f"restore it with printreg {printreg_version} or newer"
    )


class BackupService:
    """Backs up and restores the registry of the settings; the local operator's alone."""

    def __init__(self, settings: Settings, actor: Actor) -> None:
        if not actor.system:
            raise Forbidden("only the local operator may back up or restore the registry")
        self.settings = settings
        self.data_dir = Path(settings.data_dir).absolute()

    @contextmanager
    def _database(self) -> Iterator[Database]:
        """Yield the settings' database; DatabaseNotReady when its URL cannot be used."""
        from sqlalchemy.engine import make_url  # noqa: PLC0415 - SQLAlchemy only when it runs
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError  # noqa: PLC0415

        from printreg.backup.postgres import PostgresDatabase  # noqa: PLC0415
        from printreg.backup.sqlite import SqliteDatabase  # noqa: PLC0415
        from printreg.storage.engine import make_engine  # noqa: PLC0415

        try:
            url = make_url(self.settings.database_url)
            backend = url.get_backend_name()
            if backend == "sqlite":
                yield SqliteDatabase(url, self.settings.sqlite_busy_ms)
                return
            if backend != "postgresql":
                raise BackupError(
                    f"cannot back up a {backend} database: printreg backs up SQLite and PostgreSQL"
                )
            engine = make_engine(self.settings.database_url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise DatabaseNotReady(f"PRINTREG_DATABASE_URL cannot be used: {exc}") from None
        try:
            yield PostgresDatabase(engine)
        finally:
            engine.dispose()

    # -- backup -----------------------------------------------------------------------------

    def _archive_path(self, out: Path | None, moment: dt.datetime) -> Path:
        """Return where the archive goes; BackupError if that is taken or inside the data folder."""
        target = (out or Path()).absolute()
        if out is None or target.is_dir():
            target /= default_name(moment)
        if not target.parent.is_dir():
            raise BackupError(f"there is no folder {target.parent} to write the archive in")
        if target.exists():
            raise BackupError(f"{target} exists: name a new archive file")
        if _inside(target, self.data_dir):
            raise BackupError(
                f"{target} is inside the data folder {self.data_dir}: write the archive elsewhere"
            )
        return target

    def _data_files(self, database: Database) -> tuple[list[tuple[PurePosixPath, Path]], int]:
        """Return the data folder's regular files (relative path, path), sorted, and how many
        other entries (links, devices, names with a backslash) were skipped."""
        own = {p.absolute() for p in database.files()}
        found: list[tuple[PurePosixPath, Path]] = []
        skipped = 0
        if not self.data_dir.is_dir():
            return found, skipped
        for root, folders, names in os.walk(self.data_dir):
            here = Path(root)
            folders.sort()
            if here == self.data_dir:
                folders[:] = [f for f in folders if f not in SKIPPED_FOLDERS]
            kept = [f for f in folders if not (here / f).is_symlink()]
            skipped += len(folders) - len(kept)
            folders[:] = kept
            for name in sorted(names):
                path = here / name
                if path in own:
                    continue
                relative = PurePosixPath(path.relative_to(self.data_dir).as_posix())
                if path.is_symlink() or not path.is_file() or not restorable(relative):
                    skipped += 1
                    continue
                found.append((relative, path))
        return found, skipped

    def backup(self, out: Path | None = None) -> BackupReport:
        """Write one archive of the database and the data folder; return what it holds.

        DatabaseNotReady when the database has no printreg tables; BackupError when the archive
        cannot be written (nothing is left behind then).
        """
        moment = dt.datetime.now(dt.UTC)
        with _files_named(), self._database() as database:
            database.revision()
            target = self._archive_path(out, moment)
            member = DATABASE_MEMBERS[database.kind]
            work = Path(tempfile.mkdtemp(prefix=".printreg-backup-", dir=target.parent))
            try:
                with ArchiveWriter(target) as writer:
                    dump = work / member
                    dumped = database.dump(dump)
                    writer.add(member, dump)
                    dump.unlink()
                    files, skipped = self._data_files(database)
                    copied = 0
                    for relative, path in files:
                        try:
                            writer.add(data_name(relative), path)
                        except FileNotFoundError:
                            continue  # deleted since the folder was listed (an expired upload)
                        copied += 1
                    writer.finish(
                        Manifest(
                            printreg_version=__version__,
                            created_at=moment,
                            database=database.kind,
                            alembic_revision=dumped.revision,
                            server_version=dumped.server_version,
                            dump_tool=dumped.tool,
                            members=writer.members,
                        )
                    )
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return BackupReport(
            target, database.kind, dumped.revision, copied, skipped, target.stat().st_size
        )

    # -- check and restore ------------------------------------------------------------------

    def check(self, archive: Path) -> ArchiveCheck:
        """Read every member of an archive against its checksum; return its manifest.

        BackupError (ArchiveDamaged) at the first problem; opens no database.
        """
        with _files_named(), ArchiveReader(archive) as reader:
            manifest = reader.manifest
            upgrade = upgrade_needed(manifest.alembic_revision, manifest.printreg_version)
            reader.verify()
        return ArchiveCheck(archive, manifest, upgrade)

    def restore(self, archive: Path, *, replace: bool = False) -> RestoreReport:
        """Restore an archive into the settings' database and data folder; return what it did.

        TargetNotEmpty when either holds anything (unless ``replace``); ArchiveDamaged when a
        member does not match the manifest; BackupError for an archive of the other database
        kind or of a newer printreg. Each is raised before the target is changed.
        """
        with _files_named(), ArchiveReader(archive) as reader, self._database() as database:
            manifest = reader.manifest
            if manifest.database != database.kind:
                raise BackupError(
                    f"the archive holds {KIND_NAMES[manifest.database]} database and "
                    f"PRINTREG_DATABASE_URL names {KIND_NAMES[database.kind]} one: restore it "
                    f"into {KIND_NAMES[manifest.database]} database"
                )
            upgrade = upgrade_needed(manifest.alembic_revision, manifest.printreg_version)
            if any(_inside(path, self.data_dir) for path in database.files()):
                raise BackupError(
                    f"the database file lies inside the data folder {self.data_dir}: keep them "
                    "apart (PRINTREG_DATABASE_URL, PRINTREG_DATA_DIR)"
                )
            if not replace:
                objects = database.objects()
                if objects:
                    raise TargetNotEmpty(not_empty(database.where, objects))
                if not _empty_folder(self.data_dir):
                    raise TargetNotEmpty(
                        f"the data folder {self.data_dir} is not empty: restore only into an "
                        "empty folder, or add --replace to overwrite it (everything in it is lost)"
                    )
            elif self.data_dir.exists() and not self.data_dir.is_dir():
                raise BackupError(f"the data folder {self.data_dir} is a file")
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            staging = self._sibling("restore")
            staging.mkdir(mode=0o700)
            try:
                count = reader.extract_data(staging)
                database.restore(
                    reader, revision=manifest.alembic_revision, upgrade=upgrade, replace=replace
                )
                self._swap_in(staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return RestoreReport(
            archive,
            database.kind,
            manifest.alembic_revision,
            head_revision() if upgrade else manifest.alembic_revision,
            upgrade,
            count,
            manifest.created_at,
            manifest.printreg_version,
        )

    def _sibling(self, purpose: str) -> Path:
        """Return a new hidden path beside the data folder (the same file system: renames)."""
        return self.data_dir.with_name(f".{self.data_dir.name}.{purpose}-{secrets.token_hex(4)}")

    def _swap_in(self, staging: Path) -> None:
        """Rename the restored folder into the data folder's place, the old one removed."""
        if not self.data_dir.exists():
            staging.rename(self.data_dir)
            return
        old = self._sibling("old")
        self.data_dir.rename(old)
        staging.rename(self.data_dir)
        shutil.rmtree(old, ignore_errors=True)
