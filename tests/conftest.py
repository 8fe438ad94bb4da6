"""Test fixtures: every database test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is the test run's own (tests/support/pgserver.py), started once per run on
a loopback port. Each test gets a fresh database cloned from a migrated template, so tests can
commit, roll back and run the CLI in-process without seeing one another. A test that asks for
``seeded`` gets its clone from a second template that already holds the two synthetic
facilities (loading them is the same for every test: done once per run and database kind).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from printreg.accounts.actor import Actor
from printreg.demo.synth import load_synthetic
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.engine import make_engine
from printreg.storage.schema import upgrade
from tests.support.orthanc import orthanc_problem
from tests.support.pgserver import (
    PostgresServer,
    PostgresUnavailable,
    create_database,
    drop_database,
    start_postgres,
)
from tests.support.records import SYNTH_SEED
from tests.support.smtp import SmtpSink, mailing, smtp_sink

# `printreg worker` lowers its CPU priority (setting worker_nice); run in-process by a test it
# would lower the test process's for the rest of the run. Workers the tests start inherit this;
# tests/functional/jobs/test_worker_priority.py checks the setting on a worker of its own.
os.environ.setdefault("PRINTREG_WORKER_NICE", "0")

TEMPLATE = "printreg_template"
SEEDED_TEMPLATE = "printreg_template_seeded"
_pg_problem = pytest.StashKey[str]()
_preseeded = pytest.StashKey[bool]()


def _seed(url: str) -> None:
    """Add the ``seeded`` fixture's facilities and printers to the database at ``url``."""
    instance = Platform.from_settings(Settings(database_url=url))
    try:
        load_synthetic(instance, Actor.operator("test"), registry="3dp", seed=SYNTH_SEED,
                       facilities=2, cases=0)  # fmt: skip
    finally:
        instance.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("both", "sqlite", "postgresql"),
        default="both",
        help="which databases the database tests run on",
    )


#: Page and browser tests drive the same services as the API and service tests, which run on
#: both databases; they run on SQLite only (what they check is the page, not the SQL), unless
#: marked ``both_databases``.
ONE_DATABASE_FOLDERS = ("browser", "functional/web")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the PostgreSQL runs of page and browser tests (``ONE_DATABASE_FOLDERS``)."""
    root = Path(__file__).parent
    folders = tuple(root / folder for folder in ONE_DATABASE_FOLDERS)
    kept, left_out = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("database_url") == "postgresql"
        ui = any(item.path.is_relative_to(folder) for folder in folders)
        if on_postgresql and ui and item.get_closest_marker("both_databases") is None:
            left_out.append(item)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    problem = config.stash.get(_pg_problem, None)
    if problem:
        terminalreporter.write_sep("!", "PostgreSQL TESTS WERE SKIPPED", red=True, bold=True)
        terminalreporter.write_line(problem, red=True)
    orthanc = config.stash.get(orthanc_problem, None)
    if orthanc:
        terminalreporter.write_sep("!", "PACS (ORTHANC) TESTS WERE SKIPPED", red=True, bold=True)
        terminalreporter.write_line(orthanc, red=True)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer | None]:
    """Yield the run's PostgreSQL server, or None (loudly reported) when it cannot start."""
    if request.config.getoption("--db") == "sqlite":
        yield None
        return
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        request.config.stash[_pg_problem] = str(exc)
        yield None
        return
    try:
        create_database(server, TEMPLATE)
        engine = make_engine(server.url(TEMPLATE))
        upgrade(engine)
        engine.dispose()
        create_database(server, SEEDED_TEMPLATE, template=TEMPLATE)
        _seed(server.url(SEEDED_TEMPLATE))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated SQLite database file to copy for each test."""
    path = tmp_path_factory.mktemp("template") / "printreg.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_seeded_template(sqlite_template: Path) -> Path:
    """Return a copy of the SQLite template holding the ``seeded`` fixture's facilities."""
    path = sqlite_template.with_name("seeded.db")
    shutil.copyfile(sqlite_template, path)
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database of each kind (already seeded when the test
    asks for ``seeded``)."""
    wanted = request.config.getoption("--db")
    preseed = "seeded" in request.fixturenames
    request.node.stash[_preseeded] = preseed
    if request.param == "sqlite":
        if wanted == "postgresql":
            pytest.skip("--db postgresql")
        path = tmp_path / "printreg.db"
        template = "sqlite_seeded_template" if preseed else "sqlite_template"
        shutil.copyfile(request.getfixturevalue(template), path)
        yield f"sqlite:///{path}"
        return
    if wanted == "sqlite":
        pytest.skip("--db sqlite")
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {request.config.stash.get(_pg_problem, '')}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    create_database(server, name, template=SEEDED_TEMPLATE if preseed else TEMPLATE)
    try:
        yield server.url(name)
    finally:
        drop_database(server, name)


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Return settings for the test database, also exported for in-process CLI runs."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATABASE_URL", database_url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(data_dir))
    return Settings(database_url=database_url, data_dir=str(data_dir))


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    """Yield a platform on the test database."""
    instance = Platform.from_settings(settings)
    yield instance
    instance.close()


@pytest.fixture
def operator() -> Actor:
    """Return the local operator actor."""
    return Actor.operator("test")


@pytest.fixture
def seeded(request: pytest.FixtureRequest, platform: Platform, operator: Actor) -> Platform:
    """Return the platform with two synthetic facilities (F0001, F0002) and their printers."""
    if not request.node.stash.get(_preseeded, False):  # a database the test made itself
        load_synthetic(platform, operator, registry="3dp", seed=SYNTH_SEED, facilities=2,
                       cases=0)  # fmt: skip
    return platform


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """Yield a real SMTP server on loopback that keeps the messages it receives."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def mail_settings(
    settings: Settings, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Return the test settings sending e-mail to ``smtp_server`` (also exported for CLI runs)."""
    return mailing(settings, smtp_server, monkeypatch)
