"""Fixtures for the backup tests: a seeded registry, empty databases to restore into, exports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.support.factories import make_person
from tests.support.pgserver import PostgresServer, create_database, drop_database

from printreg.accounts.actor import Actor
from printreg.demo.synth import load_synthetic
from printreg.platform import Platform
from printreg.settings import Settings


@pytest.fixture
def empty_database(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Yield a maker of URLs of new, empty databases of the test's kind (no tables at all)."""
    made: list[str] = []
    server: PostgresServer | None = None
    if settings.database_url.startswith("postgresql"):
        server = request.getfixturevalue("pg_server")
        assert server is not None

    def make() -> str:
        name = f"r_{uuid.uuid4().hex[:12]}"
        if server is None:
            return f"sqlite:///{tmp_path / f'{name}.db'}"
        create_database(server, name)
        made.append(name)
        return server.url(name)

    yield make
    for name in made:
        assert server is not None
        drop_database(server, name)


@pytest.fixture
def registry(platform: Platform, operator: Actor, settings: Settings) -> Platform:
    """Return the platform with facilities, cases in both registries, a person, and data files."""
    load_synthetic(platform, operator, registry="3dp", seed=7, facilities=3, cases=40)
    load_synthetic(platform, operator, registry="gsae", seed=8, facilities=3, cases=15)
    make_person(platform, "dm@f0001.example.org", roles={"3dp": {"F0001": "data_manager"}})
    data = Path(settings.data_dir)
    upload = data / "imports" / str(uuid.UUID(int=7)) / "upload.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("local_case_id,facility\nA-1,F0001\n", "utf-8")
    extract = data / "requests" / str(uuid.UUID(int=9)) / "extract.parquet"
    extract.parent.mkdir(parents=True)
    extract.write_bytes(bytes(range(256)) * 64)
    (data / "requests" / "empty.txt").write_bytes(b"")
    (data / "staging").mkdir()
    (data / "staging" / "staging-1.db").write_bytes(b"a half-written staging file")
    return platform
