"""The archive format: what a reader accepts, and each way it refuses an archive."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import stat
import tarfile
from pathlib import Path, PurePosixPath

import pytest

from printreg.backup.archive import (
    MANIFEST,
    ArchiveReader,
    ArchiveWriter,
    Manifest,
    data_name,
)
from printreg.backup.errors import ArchiveDamaged, BackupError

FILES = {"imports/1/upload.csv": b"local_case_id\nA-1\n", "requests/2/x.bin": bytes(range(256))}


def write_archive(tmp_path: Path, **manifest: object) -> Path:
    """Write an archive of a fake database and two data files; return its path."""
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    (source / "db").write_bytes(b"SQLite format 3\x00" + b"\x01" * 500)
    path = tmp_path / "backup.tar"
    with ArchiveWriter(path) as writer:
        writer.add("database.sqlite3", source / "db")
        for name, content in FILES.items():
            (source / "f").write_bytes(content)
            writer.add(data_name(PurePosixPath(name)), source / "f")
        fields: dict[str, object] = {
            "printreg_version": "0.1.0",
            "created_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            "database": "sqlite",
            "alembic_revision": "0010",
            "members": writer.members,
        }
        writer.finish(Manifest.model_validate(fields | manifest))
    return path


def rebuild(path: Path, out: Path, members: dict[str, bytes | None]) -> Path:
    """Copy an archive, replacing (bytes), dropping (None) or adding the members named."""
    with tarfile.open(path) as source, tarfile.open(out, "w") as copy:
        for info in source.getmembers():
            handle = source.extractfile(info)
            assert handle is not None
            data = members.pop(info.name, handle.read())
            if data is None:
                continue
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
        for name, data in members.items():
            assert data is not None
            info = tarfile.TarInfo(name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return out


def test_an_archive_reads_back_member_for_member(tmp_path: Path) -> None:
    path = write_archive(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name("backup.tar.partial").exists()
    with tarfile.open(path) as tar:
        assert tar.getnames()[-1] == MANIFEST  # written last, after every hash is known
    with ArchiveReader(path) as reader:
        reader.verify()
        assert reader.manifest.database_member == "database.sqlite3"
        assert [m.name for m in reader.manifest.data_members] == [
            "data/imports/1/upload.csv",
            "data/requests/2/x.bin",
        ]
        assert reader.extract_data(tmp_path / "out") == 2
    for name, content in FILES.items():
        assert (tmp_path / "out" / name).read_bytes() == content


def test_a_failed_backup_leaves_no_partial_archive(tmp_path: Path) -> None:
    path = tmp_path / "backup.tar"
    with pytest.raises(FileNotFoundError), ArchiveWriter(path) as writer:
        writer.add("database.sqlite3", tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_backup_is_named_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "backup.tar.partial").write_bytes(b"half")
    with pytest.raises(BackupError, match=r"backup.tar.partial exists: .* \(delete it\)"):
        ArchiveWriter(tmp_path / "backup.tar")
    assert (tmp_path / "backup.tar.partial").read_bytes() == b"half"


def test_missing_and_foreign_files_are_not_archives(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="there is no archive at"):
        ArchiveReader(tmp_path / "missing.tar")
    notes = tmp_path / "notes.tar"
    notes.write_text("not a tar file\n" * 100, "utf-8")
    with pytest.raises(
        BackupError, match=r"not a printreg backup archive \(not a tar file; decrypt or decompress"
    ):
        ArchiveReader(notes)
    other = rebuild(write_archive(tmp_path), tmp_path / "other.tar", {MANIFEST: None})
    with pytest.raises(BackupError, match=r"not a printreg backup archive \(no manifest.json\)"):
        ArchiveReader(other)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"data/extra.txt": b"x"}, "holds 1 file(s) its manifest does not list"),
        ({"data/imports/1/upload.csv": None}, "1 file(s) its manifest lists are missing"),
        ({MANIFEST: b"{not json"}, "its manifest.json is not a printreg manifest"),
        (
            {MANIFEST: b'{"format": "printreg-backup", "format_version": 1}'},
            "not a printreg manifest",
        ),
    ],
)
def test_an_archive_that_disagrees_with_its_manifest_is_refused_on_opening(
    tmp_path: Path, change: dict[str, bytes | None], says: str
) -> None:
    altered = rebuild(write_archive(tmp_path), tmp_path / "altered.tar", dict(change))
    with pytest.raises(ArchiveDamaged, match=f"damaged or altered: .*{re.escape(says)}"):
        ArchiveReader(altered)


def test_a_changed_byte_is_found_by_its_checksum(tmp_path: Path) -> None:
    altered = rebuild(
        write_archive(tmp_path), tmp_path / "altered.tar", {"data/requests/2/x.bin": b"\x00" * 256}
    )
    with (
        ArchiveReader(altered) as reader,
        pytest.raises(ArchiveDamaged, match=r"data/requests/2/x\.bin does not match its checksum"),
    ):
        reader.verify()
    with ArchiveReader(altered) as reader, pytest.raises(ArchiveDamaged):
        reader.extract_data(tmp_path / "out")
    assert not (tmp_path / "out" / "requests" / "2" / "x.bin").exists()


def test_an_archive_of_a_newer_format_asks_for_a_newer_printreg(tmp_path: Path) -> None:
    path = write_archive(tmp_path)
    with tarfile.open(path) as tar:
        handle = tar.extractfile(MANIFEST)
        assert handle is not None
        manifest = json.loads(handle.read())
    manifest["format_version"] = 2
    manifest["a_field_of_format_2"] = True
    newer = rebuild(path, tmp_path / "newer.tar", {MANIFEST: json.dumps(manifest).encode()})
    with pytest.raises(BackupError, match="in format 2, newer than this printreg reads"):
        ArchiveReader(newer)
