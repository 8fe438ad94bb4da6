"""Attacks on backups: an archive that writes outside the data folder, a data folder that links
outside itself, a database password shown to other users, case values echoed in an error.

An archive is restored by an operator who may have fetched it from anywhere; it must not be
able to write anywhere but the target. A backup runs pg_dump, whose command line every user of
the machine can read in `ps`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from printreg.accounts.actor import Actor
from printreg.backup.archive import MANIFEST, ArchiveReader, Manifest, Member
from printreg.backup.errors import ArchiveDamaged, BackupError
from printreg.backup.postgres import PostgresDatabase, Tool
from printreg.backup.service import BackupService
from printreg.domain.errors import Forbidden
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.engine import make_engine

PAYLOAD = b"written by the archive\n"


def hostile_archive(path: Path, name: str, *, kind: bytes = tarfile.REGTYPE) -> Path:
    """Write an archive whose manifest lists ``name`` with the right checksum: only the name
    (or the member's type) is hostile."""
    members = {"database.sqlite3": b"SQLite format 3\x00", name: PAYLOAD}
    manifest = Manifest(
        printreg_version="0.1.0",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        database="sqlite",
        alembic_revision="0010",
        members=[
            Member(name=n, size=len(d), sha256=hashlib.sha256(d).hexdigest())
            for n, d in members.items()
        ],
    )
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for member_name, data in [
            *members.items(),
            (MANIFEST, manifest.model_dump_json().encode()),
        ]:
            info = tarfile.TarInfo(member_name)
            if member_name == name and kind != tarfile.REGTYPE:
                info.type = kind
                info.linkname = "/etc/passwd"
                tar.addfile(info)
                continue
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    "name",
    [
        "data/../escaped.txt",
        "data/a/../../escaped.txt",
        "data//escaped.txt",
        "data/./escaped.txt",
        "data/..\\escaped.txt",
        "../escaped.txt",
        "/escaped.txt",
        "escaped.txt",
    ],
)
def test_an_archive_cannot_name_a_file_outside_the_data_folder(tmp_path: Path, name: str) -> None:
    archive = hostile_archive(tmp_path / "hostile.tar", name)
    with pytest.raises(ArchiveDamaged, match="would be restored outside the data folder"):
        ArchiveReader(archive)
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_an_archive_cannot_hold_links(tmp_path: Path, kind: bytes) -> None:
    archive = hostile_archive(tmp_path / "hostile.tar", "data/link", kind=kind)
    with pytest.raises(ArchiveDamaged, match="data/link is not a file"):
        ArchiveReader(archive)


def test_a_link_in_the_data_folder_is_not_followed_out_of_it(
    platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"not the registry's")
    data = Path(settings.data_dir)
    (data / "imports").mkdir(parents=True)
    (data / "imports" / "upload.csv").write_bytes(b"a,b\n")
    (data / "imports" / "link.txt").symlink_to(secret)
    (data / "linked-folder").symlink_to(secret.parent, target_is_directory=True)
    (data / "imports" / "..\\escaped.txt").write_bytes(b"a name a restore would refuse")
    report = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar")
    assert (report.data_files, report.skipped) == (1, 3)
    with tarfile.open(report.archive) as tar:
        names = tar.getnames()
        contents = b"".join(
            handle.read() for info in tar.getmembers() if (handle := tar.extractfile(info))
        )
    assert "data/imports/upload.csv" in names
    assert not [n for n in names if "link" in n]
    assert b"not the registry's" not in contents
    assert stat.S_IMODE(report.archive.stat().st_mode) == 0o600
    ArchiveReader(report.archive).close()  # the archive it wrote is one a restore accepts


def test_only_the_local_operator_may_back_up(settings: Settings) -> None:
    person = Actor(name="admin@example.org", system=False)
    with pytest.raises(Forbidden, match="only the local operator may back up or restore"):
        BackupService(settings, person)


def _recording_tool(tmp_path: Path, exit_code: int = 0, stderr: str = "") -> Tool:
    """A stand-in pg_dump that records its arguments, environment and PGPASSFILE."""
    record = tmp_path / "record.json"
    script = tmp_path / "pg_dump"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, stat, sys\n"
        "passfile = os.environ.get('PGPASSFILE')\n"
        "seen = {'argv': sys.argv, 'PGPASSWORD': os.environ.get('PGPASSWORD'),\n"
        "        'passfile': passfile,\n"
        "        'content': open(passfile).read() if passfile else None,\n"
        "        'mode': stat.S_IMODE(os.stat(passfile).st_mode) if passfile else None}\n"
        f"json.dump(seen, open({str(record)!r}, 'w'))\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({exit_code})\n",
        "utf-8",
    )
    script.chmod(0o700)
    return Tool(script, 15, "pg_dump (PostgreSQL) 15.0")


def test_the_database_password_never_reaches_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "an-inherited-one")
    engine = make_engine("postgresql+psycopg://reader:s3cr:et\\x@127.0.0.1:5999/registry")
    try:
        PostgresDatabase(engine)._run(_recording_tool(tmp_path), ["--format=custom"])
    finally:
        engine.dispose()
    seen = json.loads((tmp_path / "record.json").read_text("utf-8"))
    assert not [arg for arg in seen["argv"] if "s3cr" in arg]
    assert "dbname=registry" in " ".join(seen["argv"])
    assert seen["content"] == "*:*:*:*:s3cr\\:et\\\\x\n"  # libpq's escapes of : and \
    assert seen["mode"] == 0o600
    assert seen["PGPASSWORD"] is None
    assert not Path(seen["passfile"]).exists()  # removed once the tool has run
    assert "s3cr" not in json.dumps({k: v for k, v in os.environ.items() if k.startswith("PG")})


def test_a_failing_tool_echoes_no_case_value(tmp_path: Path) -> None:
    stderr = (
        'pg_restore: error: COPY failed for table "cases": ERROR:  value too long: "Doe, Jane"\n'
        'CONTEXT:  COPY cases, line 3: "Doe, Jane\t1961-05-23"\n'
    )
    engine = make_engine("postgresql+psycopg://reader@127.0.0.1:5999/registry")
    try:
        with pytest.raises(BackupError) as failed:
            PostgresDatabase(engine)._run(_recording_tool(tmp_path, 1, stderr), [])
    finally:
        engine.dispose()
    assert "Doe" not in str(failed.value)
    assert "1961" not in str(failed.value)
    assert "COPY failed" in str(failed.value)
