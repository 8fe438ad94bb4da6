"""`printreg backup` then `printreg restore` into an empty database gives the same registry.

Each test runs on SQLite and on PostgreSQL: the registry is seeded, exported (CSV, JSON Lines,
Parquet, both registries), backed up through the command line, restored into a new empty
database and an empty data folder, and exported again: the exports are byte-identical, every
table holds the same rows, and the data folder's files have the same hashes.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.support.backups import exports, file_hashes, table_rows
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.backup.errors import ArchiveDamaged, BackupError, TargetNotEmpty
from printreg.backup.service import BackupService
from printreg.cli.app import app
from printreg.demo.synth import load_synthetic
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.engine import make_engine
from printreg.storage.readiness import current_revisions, head_revision

runner = CliRunner()


def _cli(*args: str) -> str:
    """Run printreg in-process; return its output, failing the test on a non-zero exit."""
    result = runner.invoke(app, list(args))
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    assert "Traceback" not in output
    return output


def _target(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the command line (and the returned settings) at a restore target."""
    data_dir = tmp_path / "restored-data"
    monkeypatch.setenv("PRINTREG_DATABASE_URL", url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(data_dir))
    return Settings(database_url=url, data_dir=str(data_dir))


def test_a_restore_into_an_empty_database_gives_byte_identical_exports(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = exports(registry, tmp_path / "before")
    rows = table_rows(settings.database_url)
    archive = tmp_path / "backup.tar"
    said = _cli("backup", "--out", str(archive))
    assert "3 data file(s)" in said  # staging/ holds temporary files: left out
    assert "encrypted" in said
    said = _cli("restore", "--check", str(archive))
    assert "every member matches its checksum" in said

    target = _target(empty_database(), tmp_path, monkeypatch)
    said = _cli("restore", str(archive))
    assert f"at migration {head_revision()}" in said
    restored = Platform.from_settings(target)
    try:
        after = exports(restored, tmp_path / "after")
    finally:
        restored.close()
    assert sorted(after) == sorted(before)
    for name, content in before.items():
        assert after[name] == content, f"{name} differs after the restore"
    assert table_rows(target.database_url) == rows
    source_files = file_hashes(Path(settings.data_dir))
    assert file_hashes(Path(target.data_dir)) == {
        name: digest for name, digest in source_files.items() if not name.startswith("staging/")
    }
    assert len(source_files) == 4


def test_a_backup_does_not_wait_for_a_writer_nor_take_its_uncommitted_change(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = tmp_path / "backup.tar"
    with registry.engine.connect() as writer:
        writer.execute(text("UPDATE facilities SET name = 'Renamed' WHERE code = 'F0001'"))
        # the writer holds its lock (SQLite's write lock, PostgreSQL's row lock) meanwhile
        report = BackupService(settings, Actor.operator("test")).backup(archive)
        writer.rollback()
    assert report.data_files == 3
    target = _target(empty_database(), tmp_path, monkeypatch)
    BackupService(target, Actor.operator("test")).restore(archive)
    engine = make_engine(target.database_url)
    with engine.connect() as connection:
        name = connection.scalar(text("SELECT name FROM facilities WHERE code = 'F0001'"))
    engine.dispose()
    assert name != "Renamed"
    assert name


def test_restore_refuses_a_database_or_data_folder_that_is_not_empty(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar").archive
    before = exports(registry, tmp_path / "before")
    # the source itself: a database full of tables
    with pytest.raises(TargetNotEmpty, match=r"is not empty \(\d+ tables or other objects\): restore only into an empty database, or add --replace"):  # fmt: skip
        BackupService(settings, Actor.operator("test")).restore(archive)
    result = runner.invoke(app, ["restore", str(archive)])
    assert result.exit_code == 1
    assert "is not empty" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # an empty database but a data folder with files in it
    target = _target(empty_database(), tmp_path, monkeypatch)
    (Path(target.data_dir) / "notes").mkdir(parents=True)
    (Path(target.data_dir) / "notes" / "keep.txt").write_text("mine", "utf-8")
    with pytest.raises(TargetNotEmpty, match=r"the data folder .* is not empty"):
        BackupService(target, Actor.operator("test")).restore(archive)
    assert (Path(target.data_dir) / "notes" / "keep.txt").read_text("utf-8") == "mine"

    # --replace overwrites both: cases added since the backup are gone again
    load_synthetic(registry, Actor.operator("test"), registry="3dp", seed=9, facilities=3, cases=5)
    monkeypatch.setenv("PRINTREG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", settings.data_dir)
    registry.close()
    _cli("restore", "--replace", str(archive))
    again = Platform.from_settings(settings)
    try:
        assert exports(again, tmp_path / "again") == before
    finally:
        again.close()
    assert not (Path(settings.data_dir) / "staging").exists()


def _rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copy an archive member by member, passing each member's bytes through ``change``."""
    with tarfile.open(archive) as source, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as copy:
        for info in source.getmembers():
            handle = source.extractfile(info)
            assert handle is not None
            data = change(info.name, handle.read())
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return out


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


@pytest.mark.parametrize("member", ["data/requests/", "database."])
def test_restore_refuses_an_altered_archive_and_changes_nothing(
    member: str,
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar").archive
    altered = _rewrite(
        archive,
        tmp_path / "altered.tar",
        lambda name, data: _flip_last_byte(data) if name.startswith(member) and data else data,
    )
    target = _target(empty_database(), tmp_path, monkeypatch)
    with pytest.raises(ArchiveDamaged, match=r"damaged or altered: .* does not match its checksum"):
        BackupService(target, Actor.operator("test")).check(altered)
    result = runner.invoke(app, ["restore", str(altered)])
    assert result.exit_code == 1
    assert "does not match its checksum" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not Path(target.data_dir).exists()
    service = BackupService(target, Actor.operator("test"))
    with service._database() as database:
        assert database.objects() == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_restore_refuses_an_archive_newer_than_this_printreg(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with registry.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    # a backup is taken whatever the migration: before an upgrade is when it matters most
    archive = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar").archive
    target = _target(empty_database(), tmp_path, monkeypatch)
    with pytest.raises(BackupError, match=r"at migration f00d, newer than this printreg knows \(\w+\): restore it with printreg"):  # fmt: skip
        BackupService(target, Actor.operator("test")).restore(archive)
    with BackupService(target, Actor.operator("test"))._database() as database:
        assert database.objects() == 0


def _migrate_to(url: str, revision: str) -> None:
    from alembic import command  # noqa: PLC0415 - only this test migrates part way

    from printreg.storage.schema import _alembic_config  # noqa: PLC0415

    engine = make_engine(url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_an_older_archive_is_migrated_as_db_upgrade_would(
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from printreg.storage.readiness import migration_graph  # noqa: PLC0415

    older = migration_graph()[head_revision()][0]
    source = _target(empty_database(), tmp_path, monkeypatch)
    _migrate_to(source.database_url, older)
    archive = BackupService(source, Actor.operator("test")).backup(tmp_path / "old.tar").archive
    target = Settings(database_url=empty_database(), data_dir=str(tmp_path / "other-data"))
    report = BackupService(target, Actor.operator("test")).restore(archive)
    assert (report.archive_revision, report.revision, report.upgraded) == (
        older,
        head_revision(),
        True,
    )
    engine = make_engine(target.database_url)
    assert current_revisions(engine) == {head_revision()}
    with engine.connect() as connection:
        codes = set(connection.scalars(text("SELECT code FROM registries")))
    engine.dispose()
    assert {"3dp", "gsae"} <= codes


def test_restore_refuses_an_archive_of_the_other_database_kind(
    settings: Settings, empty_database: Callable[[], str], tmp_path: Path
) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("an SQLite archive restored into PostgreSQL stands for both directions")
    source = Settings(
        database_url=f"sqlite:///{tmp_path / 'source.db'}", data_dir=str(tmp_path / "d")
    )
    _migrate_to(source.database_url, head_revision())
    archive = BackupService(source, Actor.operator("test")).backup(tmp_path / "s.tar").archive
    target = Settings(database_url=empty_database(), data_dir=str(tmp_path / "restored"))
    with pytest.raises(BackupError, match="the archive holds an SQLite database and PRINTREG_DATABASE_URL names a PostgreSQL one"):  # fmt: skip
        BackupService(target, Actor.operator("test")).restore(archive)


def test_a_postgresql_database_with_routines_or_types_is_not_empty(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite has no routines or types of its own")
    archive = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar").archive
    target = _target(empty_database(), tmp_path, monkeypatch)
    engine = make_engine(target.database_url)
    with engine.begin() as connection:  # what a job-queue library leaves, without a table
        connection.execute(text("CREATE TYPE job_status AS ENUM ('todo', 'done')"))
        connection.execute(text("CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'"))
        connection.execute(text("CREATE SCHEMA queue"))
    with pytest.raises(TargetNotEmpty, match=r"is not empty \(3 tables or other objects\)"):
        BackupService(target, Actor.operator("test")).restore(archive)
    BackupService(target, Actor.operator("test")).restore(archive, replace=True)
    with engine.connect() as connection:
        left = (
            connection.scalar(text("SELECT count(*) FROM pg_type WHERE typname = 'job_status'")),
            connection.scalar(text("SELECT count(*) FROM pg_proc WHERE proname = 'answer'")),
        )
        schemas = set(connection.scalars(text("SELECT nspname FROM pg_namespace")))
    engine.dispose()
    assert left == (0, 0)
    assert "queue" not in schemas
    assert table_rows(target.database_url) == table_rows(settings.database_url)


def test_a_file_system_error_is_one_line_not_a_traceback(
    platform: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = tmp_path / "b.tar"
    _cli("backup", "--out", str(archive))
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", "utf-8")
    monkeypatch.setenv("PRINTREG_DATABASE_URL", empty_database())
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(blocker / "data"))
    result = runner.invoke(app, ["restore", str(archive)])
    output = result.stdout + result.stderr
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    assert f"error: {blocker}: " in " ".join(output.split())
    assert len(output.strip().splitlines()) == 1, output


def test_a_backup_taken_while_another_process_commits_is_one_consistent_snapshot(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading  # noqa: PLC0415

    stop = threading.Event()
    commits: list[int] = []

    def keep_writing() -> None:
        # two rows changed together in each transaction: a torn copy would show them apart
        engine = make_engine(settings.database_url)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                with engine.begin() as connection:
                    for code in ("F0001", "F0002"):
                        connection.execute(
                            text("UPDATE facilities SET name = :name WHERE code = :code"),
                            {"name": f"write {n}", "code": code},
                        )
                commits.append(n)
        finally:
            engine.dispose()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while not commits:
            stop.wait(0.01)
        before = len(commits)
        archive = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar")
        after = len(commits)
    finally:
        stop.set()
        writer.join()
    assert after > before  # the writer was not held up by the backup
    target = _target(empty_database(), tmp_path, monkeypatch)
    BackupService(target, Actor.operator("test")).restore(archive.archive)
    engine = make_engine(target.database_url)
    with engine.connect() as connection:
        names = set(
            connection.scalars(text("SELECT name FROM facilities WHERE code IN ('F0001', 'F0002')"))
        )
    engine.dispose()
    assert len(names) == 1, names
    assert names.pop().startswith("write ")


def _with_database(archive: Path, out: Path, database: bytes) -> Path:
    """Copy an archive with other database bytes and a manifest that vouches for them."""
    import hashlib  # noqa: PLC0415
    import json  # noqa: PLC0415

    with tarfile.open(archive) as source:
        handle = source.extractfile("manifest.json")
        assert handle is not None
        manifest = json.loads(handle.read())
    for member in manifest["members"]:
        if member["name"].startswith("database."):
            member["size"] = len(database)
            member["sha256"] = hashlib.sha256(database).hexdigest()
    return _rewrite(
        archive,
        out,
        lambda name, data: (
            database
            if name.startswith("database.")
            else json.dumps(manifest).encode()
            if name == "manifest.json"
            else data
        ),
    )


def test_a_database_that_fails_to_load_leaves_the_target_as_it_was(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = BackupService(settings, Actor.operator("test")).backup(tmp_path / "b.tar").archive
    with tarfile.open(archive) as tar:
        member = next(n for n in tar.getnames() if n.startswith("database."))
        handle = tar.extractfile(member)
        assert handle is not None
        dump = handle.read()
    # the first 90 % of a real dump: its tables are created (pg_restore without one transaction
    # leaves all of them behind, measured), then the data runs out
    broken = _with_database(archive, tmp_path / "broken.tar", dump[: len(dump) * 9 // 10])
    # over a full database with --replace: SQLite swaps the file in only once it checks out;
    # PostgreSQL drops and loads in one transaction, rolled back when the load fails
    rows = table_rows(settings.database_url)
    registry.close()
    says = "its database fails SQLite's check" if "sqlite" in settings.database_url else "failed"
    with pytest.raises(BackupError, match=says) as failed:
        BackupService(settings, Actor.operator("test")).restore(broken, replace=True)
    assert len(str(failed.value).splitlines()) == 1, str(failed.value)
    assert table_rows(settings.database_url) == rows
    if "sqlite" in settings.database_url:
        return
    # into an empty PostgreSQL database: pg_restore's one transaction leaves it empty
    target = _target(empty_database(), tmp_path, monkeypatch)
    with pytest.raises(BackupError, match="pg_restore failed"):
        BackupService(target, Actor.operator("test")).restore(broken)
    with BackupService(target, Actor.operator("test"))._database() as database:
        assert database.objects() == 0
    assert not Path(target.data_dir).exists()


def test_a_url_with_a_password_backs_up_and_restores_through_a_password_file(
    registry: Platform,
    settings: Settings,
    empty_database: Callable[[], str],
    tmp_path: Path,
) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite has no password")
    # the test server trusts loopback, so any password is accepted: what is tested here is that a
    # URL with a password (and a ':' in it) takes pg_dump, pg_restore and psql through their
    # PGPASSFILE set-up; that the password goes only there is tests/security/test_backup.py's
    with_password = settings.database_url.replace("postgres@", "postgres:s3cr%3Aet@")
    assert with_password != settings.database_url
    source = Settings(database_url=with_password, data_dir=settings.data_dir)
    archive = BackupService(source, Actor.operator("test")).backup(tmp_path / "b.tar").archive
    target_url = empty_database().replace("postgres@", "postgres:s3cr%3Aet@")
    target = Settings(database_url=target_url, data_dir=str(tmp_path / "restored"))
    BackupService(target, Actor.operator("test")).restore(archive)
    BackupService(target, Actor.operator("test")).restore(archive, replace=True)
    assert table_rows(target_url) == table_rows(settings.database_url)
