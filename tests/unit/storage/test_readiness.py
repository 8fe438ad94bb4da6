"""The newest migration as the CLI reads it from the files, without Alembic, is Alembic's."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from printreg.storage.readiness import head_revision, migration_graph
from printreg.storage.schema import _alembic_config


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(_alembic_config()).get_current_head()


def test_every_migration_alembic_knows_is_in_the_graph() -> None:
    scripts = ScriptDirectory.from_config(_alembic_config())
    expected = {s.revision: tuple(s._normalized_down_revisions) for s in scripts.walk_revisions()}
    assert migration_graph() == expected


def _migration(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(f'"""{name}."""\n{body}\n\ndef upgrade() -> None: ...\n')


def test_a_merge_migration_follows_both_branches(tmp_path: Path) -> None:
    _migration(tmp_path, "a", 'revision = "a"\ndown_revision = None')
    _migration(tmp_path, "b", "revision: str = 'b'\ndown_revision: str | None = 'a'")
    _migration(tmp_path, "c", 'revision = "c"\ndown_revision = "a"')
    _migration(tmp_path, "m", 'revision = "m"\ndown_revision = ("b", "c")')
    (tmp_path / "notes.py").write_text("x = 1\n")
    assert migration_graph(tmp_path) == {"a": (), "b": ("a",), "c": ("a",), "m": ("b", "c")}
    assert head_revision(tmp_path) == "m"


def test_two_heads_are_refused(tmp_path: Path) -> None:
    _migration(tmp_path, "a", 'revision = "a"\ndown_revision = None')
    _migration(tmp_path, "b", 'revision = "b"\ndown_revision = "a"')
    _migration(tmp_path, "c", 'revision = "c"\ndown_revision = "a"')
    with pytest.raises(ValueError, match="2 heads"):
        head_revision(tmp_path)
