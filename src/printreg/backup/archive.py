"""The backup archive: an uncompressed POSIX tar whose last member is a manifest of the others.

Members, in the order they are written::

    database.sqlite3 | database.pgdump   the database: an SQLite file, or pg_dump's custom format
    data/<path>                          each regular file of the data folder
    manifest.json                        what wrote the archive, and each member's size and SHA-256

The manifest comes last so that the archive is written in one pass, each member hashed as it is
copied; a reader finds it by name. A reader refuses any member the manifest does not list, any
name that could leave the folder it is restored into, and any member whose bytes do not match
their checksum. The checksums catch damage and alteration; they are not a signature (see
docs/operations.md on keeping archives).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from printreg.backup.errors import ArchiveDamaged, BackupError

FORMAT = "printreg-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_PREFIX = "data/"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
#: a manifest lists every data file: a few hundred bytes each, so this allows about a million
MANIFEST_MAX_BYTES = 256 * 1024**2

DatabaseKind = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class Dump:
    """A database dump's facts for the manifest: its migration and, for PostgreSQL, the
    server's version and the pg_dump that wrote it."""

    revision: str
    server_version: str | None = None
    tool: str | None = None


class Member(BaseModel):
    """One file in the archive: its name there, its size in bytes, its SHA-256 (hex)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    size: int
    sha256: str


class Manifest(BaseModel):
    """What an archive holds and what wrote it (``manifest.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["printreg-backup"] = "printreg-backup"
    format_version: int = FORMAT_VERSION
    printreg_version: str
    created_at: dt.datetime
    database: DatabaseKind
    alembic_revision: str
    #: PostgreSQL only: the server's version and the pg_dump that wrote the dump
    server_version: str | None = None
    dump_tool: str | None = None
    members: list[Member]

    @property
    def database_member(self) -> str:
        """Return the name of the database's member."""
        return DATABASE_MEMBERS[self.database]

    @property
    def data_members(self) -> list[Member]:
        """Return the data folder's members (empty when the folder was empty)."""
        return [m for m in self.members if m.name.startswith(DATA_PREFIX)]


def data_name(relative: PurePosixPath) -> str:
    """Return the member name of a data-folder file given by its path inside the folder."""
    return DATA_PREFIX + relative.as_posix()


def restorable(relative: PurePosixPath) -> bool:
    """Return whether a data-folder file at ``relative`` can be restored (a reader refuses a
    name with a backslash, which could be a separator elsewhere)."""
    return _safe_data_path(data_name(relative)) is not None


def _safe_data_path(name: str) -> PurePosixPath | None:
    """Return the path inside the data folder a member name stands for; None if it may not be
    restored (absolute, with '..', empty or '.' parts, or a backslash)."""
    if not name.startswith(DATA_PREFIX) or "\\" in name:
        return None
    relative = name[len(DATA_PREFIX) :]
    parts = relative.split("/")
    if not relative or any(part in {"", ".", ".."} for part in parts):
        return None
    return PurePosixPath(*parts)


class _HashingReader:
    """Reads at most ``size`` bytes of a file for tarfile, hashing what it hands over."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self._handle = handle
        self._left = size
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        want = self._left if n < 0 else min(n, self._left)
        chunk = self._handle.read(want)
        self._left -= len(chunk)
        self.digest.update(chunk)
        return chunk


class ArchiveWriter:
    """Writes an archive to ``<path>.partial`` (owner-only), renamed to ``path`` by `finish`.

    Used as a context manager: an error before `finish` deletes the partial file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        try:
            # The archive holds patient-derived data: readable by its owner only, from the start.
            descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise BackupError(
                f"{self.partial} exists: another backup is being written there, or one was "
                "interrupted (delete it)"
            ) from None
        except OSError as exc:
            raise BackupError(f"cannot write {path}: {exc.strerror}") from None
        self._file = os.fdopen(descriptor, "wb")
        self._tar = tarfile.open(  # noqa: SIM115 - closed by __exit__, after finish or on error
            fileobj=self._file, mode="w", format=tarfile.PAX_FORMAT
        )
        self.members: list[Member] = []
        self._finished = False

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._finished:
            self._tar.close()
            self._file.close()
            self.partial.unlink(missing_ok=True)

    def add(self, name: str, source: Path) -> Member:
        """Copy a file into the archive as ``name``; return its member entry.

        A file that grows while it is copied is cut at the size it had when opened; one that
        shrinks is a BackupError (run the backup again).
        """
        with source.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            info = tarfile.TarInfo(name)
            info.size = stat.st_size
            info.mtime = int(stat.st_mtime)
            info.mode = 0o600
            reader = _HashingReader(handle, stat.st_size)
            try:
                self._tar.addfile(info, reader)
            except OSError as exc:
                if exc.errno is not None:
                    raise  # the archive's disk, not the file: the caller names it
                # tarfile's "unexpected end of data": fewer bytes than the size it was given
                raise BackupError(
                    f"{name} shrank while it was copied: run the backup again"
                ) from None
        member = Member(name=name, size=stat.st_size, sha256=reader.digest.hexdigest())
        self.members.append(member)
        return member

    def finish(self, manifest: Manifest) -> None:
        """Write the manifest last, make the archive durable and give it its final name."""
        payload = manifest.model_dump_json(indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(payload)
        info.mtime = int(manifest.created_at.timestamp())
        info.mode = 0o600
        reader = _HashingReader(io.BytesIO(payload), len(payload))
        self._tar.addfile(info, reader)
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.partial.replace(self.path)
        self._finished = True
        _fsync_folder(self.path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename itself has happened
    finally:
        os.close(descriptor)


class ArchiveReader:
    """Opens an archive and checks its manifest against its members (not yet their bytes).

    BackupError when the file is missing or is not a printreg archive; ArchiveDamaged when its
    members and manifest disagree. Each `extract` checks the bytes it copies.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise BackupError(f"there is no archive at {path}")
        try:
            self._tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError):
            raise BackupError(
                f"{path} is not a printreg backup archive (not a tar file; decrypt or "
                "decompress an archive before restoring it)"
            ) from None
        try:
            self._entries = {info.name: info for info in self._tar.getmembers()}
            self.manifest = self._read_manifest()
            self._check_members()
        except BaseException:
            self._tar.close()
            raise

    def close(self) -> None:
        """Close the archive file."""
        self._tar.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read_manifest(self) -> Manifest:
        info = self._entries.get(MANIFEST)
        if info is None or not info.isfile():
            raise BackupError(f"{self.path} is not a printreg backup archive (no {MANIFEST})")
        if info.size > MANIFEST_MAX_BYTES:
            raise ArchiveDamaged(f"the archive's {MANIFEST} is too large to be a manifest")
        handle = self._tar.extractfile(info)
        assert handle is not None  # a regular file always has a handle  # noqa: S101
        try:
            data = json.loads(handle.read())
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ArchiveDamaged(
                f"the archive is damaged or altered: its {MANIFEST} is not a printreg manifest"
            )
        version = data.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise BackupError(
                f"the archive is in format {version}, newer than this printreg reads "
                f"({FORMAT_VERSION}): restore it with a newer printreg"
            )
        try:
            return Manifest.model_validate(data)
        except ValidationError:
            raise ArchiveDamaged(
                f"the archive is damaged or altered: its {MANIFEST} is not a printreg manifest"
            ) from None

    def _check_members(self) -> None:
        if len(self._entries) != len(self._tar.getmembers()):
            raise ArchiveDamaged("the archive is damaged or altered: a member appears twice")
        listed = {m.name for m in self.manifest.members}
        if len(listed) != len(self.manifest.members):
            raise ArchiveDamaged(
                "the archive is damaged or altered: its manifest lists a member twice"
            )
        present = set(self._entries) - {MANIFEST}
        if present - listed:
            raise ArchiveDamaged(
                f"the archive is damaged or altered: it holds {len(present - listed)} file(s) its "
                "manifest does not list"
            )
        if listed - present:
            raise ArchiveDamaged(
                f"the archive is damaged or altered: {len(listed - present)} file(s) its manifest "
                "lists are missing"
            )
        if self.manifest.database_member not in listed:
            raise ArchiveDamaged("the archive is damaged or altered: it holds no database")
        for name in listed - {self.manifest.database_member}:
            if _safe_data_path(name) is None:
                raise ArchiveDamaged(
                    "the archive is damaged or altered: a member's name would be restored "
                    "outside the data folder"
                )
        for name in listed:
            if not self._entries[name].isfile():
                raise ArchiveDamaged(f"the archive is damaged or altered: {name} is not a file")

    def _copy(self, member: Member, out: IO[bytes] | None) -> None:
        """Stream a member to ``out`` (or nowhere); ArchiveDamaged unless it matches."""
        info = self._entries[member.name]
        handle = self._tar.extractfile(info)
        assert handle is not None  # noqa: S101 - checked to be a regular file
        digest = hashlib.sha256()
        size = 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
        if size != member.size or digest.hexdigest() != member.sha256:
            raise ArchiveDamaged(
                f"the archive is damaged or altered: {member.name} does not match its checksum"
            )

    def verify(self) -> None:
        """Read every member and compare it with its checksum; ArchiveDamaged at the first that
        differs."""
        for member in self.manifest.members:
            self._copy(member, None)

    def extract(self, member: Member, target: Path) -> None:
        """Copy a member to ``target`` (owner-only); ArchiveDamaged, and no file left, unless
        its bytes match the manifest."""
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                self._copy(member, out)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        info = self._entries[member.name]
        os.utime(target, (info.mtime, info.mtime))

    def extract_database(self, target: Path) -> None:
        """Copy the database member to ``target``, checked against its checksum."""
        database = next(m for m in self.manifest.members if m.name == self.manifest.database_member)
        self.extract(database, target)

    def extract_data(self, folder: Path) -> int:
        """Copy every data-folder member under ``folder``, each checked; return how many."""
        count = 0
        for member in self.manifest.data_members:
            relative = _safe_data_path(member.name)
            assert relative is not None  # noqa: S101 - _check_members refused the others
            target = folder.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.extract(member, target)
            count += 1
        return count
