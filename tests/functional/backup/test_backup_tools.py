"""The pg_dump and pg_restore that backups use match the test run's PostgreSQL server."""

from __future__ import annotations

import pytest
from tests.support.pgserver import PostgresServer

from printreg.backup.postgres import find_tool, server_major
from printreg.storage.engine import make_engine


@pytest.mark.postgresql
@pytest.mark.parametrize("name", ["pg_dump", "pg_restore"])
def test_the_tools_found_are_of_the_servers_major_version(
    request: pytest.FixtureRequest, name: str
) -> None:
    if request.config.getoption("--db") == "sqlite":
        pytest.skip("--db sqlite")
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL unavailable")
    engine = make_engine(server.url())
    try:
        major, shown = server_major(engine)
    finally:
        engine.dispose()
    tool = find_tool(name, major)
    # Debian's postgresql package brings the server and its client tools of one version
    assert tool.major == major, f"{tool.version} against a PostgreSQL {shown} server"
    assert shown.split(".")[0] == str(major)
    assert server.bindir.parent.name == str(major)
