"""Every printreg command, run against a database that is not ready, says what to run.

The commands are found by walking the click command tree, so a new command fails
`test_every_command_has_arguments_here` until it is given arguments below. A database command
on an empty database exits non-zero with one line naming `printreg db upgrade`; the commands that
do not need the database (listed with their reason) fail or succeed cleanly; none lets a
traceback out.
"""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from sqlalchemy import text
from tests.support.pgserver import PostgresServer, create_database, drop_database
from typer.testing import CliRunner

from printreg.cli.app import app
from printreg.dictionary import shipped_definition_paths
from printreg.storage.engine import make_engine
from printreg.storage.readiness import head_revision, migration_graph
from printreg.storage.schema import _alembic_config

runner = CliRunner()
UPGRADE = "printreg db upgrade"
PLACES = {
    "case": str(uuid.UUID(int=1)),
    "definition": str(next(p for p in shipped_definition_paths() if "3dp" in str(p))),
}

#: Arguments for each command (shell words): enough to get past argument parsing to the database
#: (or, for the commands that need none, to their own work). {case} and {definition} are in
#: PLACES; the files named here are made by `_files`.
ARGS: dict[str, str] = {
    "import": "{csv} -f F0001",
    "export": "-o {out}/cases.csv",
    "template": "-o {out}/template.csv",
    "synth": "--facilities 1 --cases 1",
    "demo": "--facilities 2 --cases 0 --no-serve",
    "serve": "--port 8765",
    "pool": "{out}/missing.csv --effect y --variance v",
    "report": "-f F0001 --json",
    "backup": "-o {out}/backup.tar",
    "restore": "{out}/missing.tar",
    "worker": "--once",
    "db upgrade": "",
    "registry list": "",
    "registry show": "3dp",
    "registry fhir-questionnaire": "3dp -o {out}/questionnaire.json",
    "registry check-definition": "{definition}",
    "registry status": "3dp active",
    "registry versions": "",
    "registry publish": "{definition}",
    "registry upgrade-cases": "1.0.0 --all",
    "registry redcap-export": "-o {out}/dictionary.csv",
    "registry redcap-import": "{out}/missing.csv --code x --name X -o {out}/x.yaml",
    "registry redcap-records": "-o {out}/records.csv",
    "facility add": "F0009 --name 'A facility'",
    "facility date-order": "F0001 DMY",
    "facility list": "",
    "printer add": "-f F0001 --label P1 --technology material_jetting",
    "printer list": "",
    "printer edit": "-f F0001 --label P1 --new-label P2",
    "printer retire": "-f F0001 --label P1 --reason sold",
    "printer reinstate": "-f F0001 --label P1",
    "case add": "{record} -f F0001",
    "case update": "{case} {record}",
    "case show": "{case}",
    "case list": "",
    "case delete": "{case}",
    "case restore": "{case}",
    "case lock": "{case}",
    "case history": "{case}",
    "dicom inspect": "{out}/missing.dcm",
    "mesh inspect": "{out}/missing.stl",
    "mesh export-dicom": "{out}/missing.stl --out {out}/model.dcm",
    "enrollment apply": "F0001 --contact 'A Person <a@example.org>'",
    "enrollment list": "",
    "enrollment show": "F0001",
    "enrollment decide": "F0001 approve",
    "enrollment status": "F0001 active --agreement-date 2024-01-02",
    "request submit": "--researcher r@example.org --title T --aims A -e organ_system",
    "request list": "",
    "request show": "{case}",
    "request feasibility": "{case}",
    "request decide": "{case} --approve",
    "request extract": "{case} -o {out}/extract",
    "request downloads": "{case}",
    "request expire": "",
    "assessment-link send": "{case} --to clinician@example.org",
    "assessment-link list": "",
    "assessment-link revoke": "{case}",
    "assessment-link resend": "{case}",
    "assessment-link run-due": "",
    "query raise": "{case} local_case_id --text 'Please check'",
    "query bulk": "{csv} --text 'Please check'",
    "query list": "",
    "query show": "{case}",
    "query confirm": "{case} --reason 'It is right'",
    "query close": "{case}",
    "query reopen": "{case} --text 'Still unclear'",
    "user add": "a@example.org --name 'A Person'",
    "user role": "a@example.org F0001 viewer",
    "user reset-2fa": "a@example.org",
    "user deactivate": "a@example.org --reason 'left the lab'",
    "user reactivate": "a@example.org",
    "user show": "a@example.org",
    "notification test-mail": "a@example.org",
    "notification list": "a@example.org",
    "quality evaluate": "",
    "quality show": "-f F0001",
}

#: Commands that do not open the database, and why; each still must end cleanly.
NO_DATABASE = {
    "db upgrade": "creates or migrates the database",
    "demo": "upgrades the database itself before loading synthetic data",
    "pool": "pools a CSV of effects, no registry data",
    "dicom inspect": "reads DICOM headers in memory",
    "mesh inspect": "measures a model file",
    "mesh export-dicom": "wraps a model file from disk as a DICOM object",
    "registry redcap-import": "turns a REDCap dictionary file into a definition file",
    "restore": "fills an empty database from an archive (here: a missing one)",
    "notification test-mail": "sends one e-mail through the SMTP settings (here: none is set)",
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Return the words of every runnable command below ``command``, e.g. 'case add'."""
    found: list[str] = []
    for name, sub in getattr(command, "commands", {}).items():
        words = (*path, name)
        found += _commands(sub, words) if hasattr(sub, "commands") else [" ".join(words)]
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database (no tables at all) of each kind."""
    wanted = request.config.getoption("--db")
    if request.param == "sqlite":
        if wanted == "postgresql":
            pytest.skip("--db postgresql")
        path = tmp_path / "empty.db"
        path.touch()
        yield f"sqlite:///{path}"
        return
    if wanted == "sqlite":
        pytest.skip("--db sqlite")
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL unavailable")
    name = f"e_{uuid.uuid4().hex[:12]}"
    create_database(server, name)
    try:
        yield server.url(name)
    finally:
        drop_database(server, name)


def _files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "record.json").write_text("{}", "utf-8")
    (tmp_path / "cases.csv").write_text("local_case_id\nA1\n", "utf-8")
    (tmp_path / "out").mkdir(exist_ok=True)
    return {
        **PLACES,
        "record": str(tmp_path / "record.json"),
        "csv": str(tmp_path / "cases.csv"),
        "out": str(tmp_path / "out"),
    }


def _invoke(
    name: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """Run one command against ``url``; return its exit code and everything it printed."""
    monkeypatch.setenv("PRINTREG_DATABASE_URL", url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(tmp_path / "data"))

    def no_server(host: str, port: int) -> None:
        raise AssertionError("serve started a server on a database that is not ready")

    monkeypatch.setattr("printreg.cli.serve.serve_app", no_server)
    files = _files(tmp_path)
    quoted = {key: shlex.quote(value) for key, value in files.items()}
    args = [*name.split(), *shlex.split(ARGS[name].format(**quoted))]
    # nothing is typed: a command that prompts (`user add` asks for a password) must check the
    # database first, or it would end at the prompt without saying what to run
    result = runner.invoke(app, args, input="")
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"`printreg {name}` let {result.exception!r} out:\n{output}")
    return result.exit_code, output


def test_every_command_has_arguments_here() -> None:
    assert sorted(ARGS) == sorted(COMMANDS), "give each command its arguments in ARGS"
    assert set(NO_DATABASE) <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - set(NO_DATABASE)))
def test_a_database_command_on_an_empty_database_says_to_upgrade(
    name: str, empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _invoke(name, empty_url, tmp_path, monkeypatch)
    assert code != 0, output
    assert UPGRADE in output, output
    assert len(output.strip().splitlines()) == 1, output


@pytest.mark.parametrize("name", sorted(NO_DATABASE))
def test_a_command_without_the_database_ends_cleanly(
    name: str, empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _invoke(name, empty_url, tmp_path, monkeypatch)
    assert code == 0 or output.strip(), f"`printreg {name}` failed silently"


def test_a_missing_sqlite_file_is_named_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.db"
    code, output = _invoke("registry list", f"sqlite:///{missing}", tmp_path, monkeypatch)
    assert code == 1
    assert str(missing) in output
    assert f"{UPGRADE}` to create it" in output
    assert not missing.exists()


def _database_at(tmp_path: Path, revision: str) -> str:
    """Return the URL of an SQLite database migrated up to ``revision`` only."""
    from alembic import command  # noqa: PLC0415 - only this test migrates part way

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()
    return url


def test_an_older_database_names_its_migration_and_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = head_revision()
    older = migration_graph()[head][0]
    url = _database_at(tmp_path, older)
    for name in ("registry list", "case list", "user show"):
        code, output = _invoke(name, url, tmp_path, monkeypatch)
        assert code == 1, output
        assert f"at migration {older}, this printreg needs {head}: run `{UPGRADE}`" in output
    code, output = _invoke("db upgrade", url, tmp_path, monkeypatch)
    assert code == 0, output
    code, output = _invoke("registry list", url, tmp_path, monkeypatch)
    assert code == 0, output
    assert "3dp" in output


def test_a_database_newer_than_the_code_asks_to_upgrade_printreg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _database_at(tmp_path, head_revision())
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    engine.dispose()
    code, output = _invoke("registry list", url, tmp_path, monkeypatch)
    assert code == 1
    assert "at migration f00d, newer than this printreg knows" in output
    assert UPGRADE not in output


@pytest.mark.parametrize("command", ["registry list", "db upgrade"])
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://reader:s3cret@127.0.0.1:1/registry", "cannot open the database"),
        ("nosuchdb://somewhere/registry", "PRINTREG_DATABASE_URL cannot be used"),
        ("sqlite:///{path}", "file is not a database"),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line_without_its_password(
    command: str, url: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("these are notes, not a database\n" * 100, "utf-8")
    code, output = _invoke(command, url.format(path=not_a_database), tmp_path, monkeypatch)
    assert code == 1
    assert says in output
    assert "s3cret" not in output
    assert len(output.strip().splitlines()) == 1, output


def test_db_upgrade_into_a_missing_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'registry.db'}"
    code, output = _invoke("db upgrade", url, tmp_path, monkeypatch)
    assert code == 1
    assert "cannot open the database" in output
    assert "unable to open database file" in output
    assert len(output.strip().splitlines()) == 1, output


def test_user_add_checks_the_database_before_asking_for_the_password(
    empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _invoke("user add", empty_url, tmp_path, monkeypatch)
    assert code == 1, output
    assert UPGRADE in output
    assert "Password" not in output
