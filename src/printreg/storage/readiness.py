"""Whether a database is ready for this printreg: there, created, and at the newest migration.

Cheap enough to run before every command: the newest migration is read from the migration
files themselves (no Alembic import), and the database answers with one row of its
``alembic_version`` table. Each problem is one line that says what to run.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from printreg.domain.errors import RegistryError

if TYPE_CHECKING:
    from sqlalchemy import Engine

VERSIONS = Path(__file__).parent / "migrations" / "versions"
UPGRADE = "run `printreg db upgrade`"


class MigrationState(StrEnum):
    """Where a reachable database stands against this printreg's migrations."""

    CURRENT = "current"
    NO_DATABASE = "no database"  # an SQLite file that is not there (never created by a check)
    EMPTY = "no printreg tables"
    BEHIND = "older migration"
    AHEAD = "newer migration than this printreg knows"


class DatabaseNotReady(RegistryError):  # noqa: N818 - reads as the condition it names
    """The database is missing, empty, at an older migration, or at one this code does not know."""


def _literal(tree: ast.Module, name: str) -> object:
    """Return the literal assigned to a top-level ``name`` (plain or annotated); None if absent."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(value)
    return None


def migration_graph(versions: Path = VERSIONS) -> dict[str, tuple[str, ...]]:
    """Return each migration's revision id with the ids it follows; empty if there are none."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        revision = _literal(tree, "revision")
        if not isinstance(revision, str):
            continue
        down = _literal(tree, "down_revision")
        # A merge migration follows several revisions; the first one follows none.
        downs = down if isinstance(down, tuple | list) else [down]
        graph[revision] = tuple(d for d in downs if isinstance(d, str))
    return graph


def head_revision(versions: Path = VERSIONS) -> str:
    """Return the newest migration's id; ValueError unless the migrations have exactly one head."""
    graph = migration_graph(versions)
    followed = {down for downs in graph.values() for down in downs}
    heads = sorted(set(graph) - followed)
    if len(heads) != 1:
        raise ValueError(f"the migrations in {versions} have {len(heads)} heads: {heads}")
    return heads[0]


def shown_url(engine: Engine) -> str:
    """Return the engine's database as a person should see it: a file path, or a URL sans password."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def _sqlite_file(engine: Engine) -> Path | None:
    """Return the file of a file-backed SQLite database; None for other databases and memory."""
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return None
    if database.startswith("file:") or url.query.get("uri"):
        return None  # an SQLite URI: its own rules (memory, modes), left to SQLite
    return Path(database)


def current_revisions(engine: Engine) -> set[str]:
    """Return the revisions the database says it is at; empty when it has no printreg tables.

    Raises DatabaseNotReady when the database cannot be opened, naming the reason in one line.
    """
    from sqlalchemy import inspect, text  # noqa: PLC0415 - SQLAlchemy loads only for a database
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return set()
            return set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError as exc:
        reason = (str(exc.orig).strip() or "no reason given").splitlines()[0]
        raise DatabaseNotReady(f"cannot open the database {shown_url(engine)}: {reason}") from None


def check_ready(engine: Engine, versions: Path = VERSIONS) -> None:
    """Return when the database is at the newest migration; DatabaseNotReady saying what to do."""
    where = shown_url(engine)
    path = _sqlite_file(engine)
    if path is not None and not path.exists():
        # Connecting would create an empty file: say what is missing instead.
        raise DatabaseNotReady(f"there is no database at {where}: {UPGRADE} to create it")
    current = current_revisions(engine)
    head = head_revision(versions)
    if current == {head}:
        return
    if not current:
        raise DatabaseNotReady(f"the database {where} has no printreg tables: {UPGRADE}")
    known = migration_graph(versions)
    shown = ", ".join(sorted(current))
    if current <= set(known):
        raise DatabaseNotReady(
            f"the database {where} is at migration {shown}, this printreg needs {head}: {UPGRADE}"
        )
    raise DatabaseNotReady(
        f"the database {where} is at migration {shown}, newer than this printreg knows "
        f"({head}): upgrade printreg, or set PRINTREG_DATABASE_URL to another database"
    )


def migration_state(engine: Engine, head: str, versions: Path = VERSIONS) -> MigrationState:
    """Return where the database stands against ``head`` without creating anything (a missing
    SQLite file stays missing); DatabaseNotReady when it cannot be opened."""
    path = _sqlite_file(engine)
    if path is not None and not path.exists():
        return MigrationState.NO_DATABASE
    current = current_revisions(engine)
    if current == {head}:
        return MigrationState.CURRENT
    if not current:
        return MigrationState.EMPTY
    return (
        MigrationState.BEHIND if current <= set(migration_graph(versions)) else MigrationState.AHEAD
    )
