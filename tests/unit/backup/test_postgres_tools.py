"""Finding pg_dump and pg_restore: a version at least the server's, or a message naming both."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from printreg.backup.errors import BackupError
from printreg.backup.postgres import _summary, find_tool, tool_major


def fake_tool(folder: Path, name: str, version: str) -> Path:
    """Write an executable ``name`` that reports PostgreSQL ``version``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version} (Debian)"\n', "utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_oldest_tool_not_older_than_the_server_is_taken(tmp_path: Path) -> None:
    root = tmp_path / "postgresql"
    fake_tool(root / "13" / "bin", "pg_dump", "13.9")
    fake_tool(root / "15" / "bin", "pg_dump", "15.18")
    fake_tool(root / "16" / "bin", "pg_dump", "16.2")
    tool = find_tool("pg_dump", 15, roots=[root], search_path="")
    assert (tool.major, tool.path) == (15, root / "15" / "bin" / "pg_dump")
    assert find_tool("pg_dump", 14, roots=[root], search_path="").major == 15
    assert find_tool("pg_dump", 16, roots=[root], search_path="").major == 16


def test_path_is_searched_after_debians_folders(tmp_path: Path) -> None:
    root = tmp_path / "postgresql"
    fake_tool(root / "13" / "bin", "pg_restore", "13.9")
    on_path = fake_tool(tmp_path / "bin", "pg_restore", "17.0")
    tool = find_tool("pg_restore", 15, roots=[root], search_path=str(tmp_path / "bin"))
    assert (tool.major, tool.path) == (17, on_path)


def test_a_tool_older_than_the_server_is_refused_with_the_package_to_install(
    tmp_path: Path,
) -> None:
    root = tmp_path / "postgresql"
    fake_tool(root / "13" / "bin", "pg_dump", "13.9")
    with pytest.raises(
        BackupError, match="pg_dump of PostgreSQL 16 or newer is needed, found only version 13"
    ) as refused:
        find_tool("pg_dump", 16, roots=[root], search_path="")
    assert "install postgresql-client-16" in str(refused.value)
    with pytest.raises(BackupError, match=r"no pg_restore found .* install postgresql-client-16"):
        find_tool("pg_restore", 16, roots=[root], search_path="")


def test_tool_major_reads_a_version_line() -> None:
    assert tool_major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)") == 15
    assert tool_major(None) == 0


def test_a_tools_error_is_one_line_without_the_values_it_quotes() -> None:
    stderr = (
        "pg_restore: while PROCESSING TOC:\n"
        'pg_restore: error: COPY failed for table "x": ERROR:  invalid input syntax for type '
        'integer: "Jane Doe"\n'
        'CONTEXT:  COPY x, line 1, column n: "Jane Doe"\n'
    )
    message = _summary("pg_restore", stderr)
    assert "Jane Doe" not in message
    assert message.startswith("pg_restore failed: pg_restore: error: COPY failed")
    assert "\n" not in message
