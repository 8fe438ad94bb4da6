"""PostgreSQL databases: `pg_dump` in the custom format, `pg_restore` in one transaction.

The tools are PostgreSQL's own: a pg_dump at least as new as the server (it refuses older ones
anyway), found in Debian's ``/usr/lib/postgresql/<version>/bin`` or on PATH. The connection
comes from PRINTREG_DATABASE_URL; its password, if it has one, goes to the tool in a private
PGPASSFILE, never on the command line where other users' `ps` would show it. The tools' error
output is cut to its first error line with quoted values hidden: a failing COPY would otherwise
echo a row of case data.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from printreg.backup.archive import ArchiveReader, DatabaseKind, Dump
from printreg.backup.errors import ArchiveDamaged, BackupError, TargetNotEmpty, not_empty
from printreg.storage.readiness import UPGRADE, DatabaseNotReady, current_revisions, shown_url

DEBIAN_ROOT = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")
_QUOTED = re.compile(r'"[^"]*"')
#: One DROP statement for each thing a database holds besides what PostgreSQL itself brings and
#: what belongs to an extension: schemas other than public, then relations, routines and types
#: (a job queue library brings functions and enum types). "Empty" means this returns no row.
_CONTENTS = """
    WITH own AS (
        SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema')
          AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'
    ), ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
    SELECT 1, format('DROP SCHEMA IF EXISTS %I CASCADE', nspname) FROM own
    WHERE nspname <> 'public' AND oid NOT IN (SELECT objid FROM ext)
    UNION ALL
    SELECT 2, format('DROP %s IF EXISTS %I.%I CASCADE',
        CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                       WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
        n.nspname, c.relname)
    FROM pg_class c JOIN own n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.oid NOT IN (SELECT objid FROM ext)
    UNION ALL
    SELECT 3, format('DROP %s IF EXISTS %I.%I(%s) CASCADE',
        CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
        n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
    FROM pg_proc p JOIN own n ON n.oid = p.pronamespace
    WHERE p.oid NOT IN (SELECT objid FROM ext)
    UNION ALL
    SELECT 4, format('DROP %s IF EXISTS %I.%I CASCADE',
        CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, n.nspname, t.typname)
    FROM pg_type t JOIN own n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r', 'c') AND t.oid NOT IN (SELECT objid FROM ext)
      AND (t.typrelid = 0 OR EXISTS (
          SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c'))
    ORDER BY 1, 2
"""


@dataclass(frozen=True)
class Tool:
    """A PostgreSQL client program: its path, major version and ``--version`` line."""

    path: Path
    major: int
    version: str


def tool_version(path: Path) -> Tool | None:
    """Return the program's version; None when it does not run or does not say."""
    try:
        done = subprocess.run(  # noqa: S603 - a PostgreSQL program found by find_tool
            [str(path), "--version"], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(done.stdout)
    if done.returncode != 0 or match is None:
        return None
    return Tool(path, int(match[1]), done.stdout.strip())


def _candidates(name: str, roots: Sequence[Path], search_path: str | None) -> list[Path]:
    """Return the programs called ``name``: Debian's versioned folders (oldest first), then PATH."""
    found: list[Path] = []
    for root in roots:
        versions = sorted(
            (p for p in root.glob("*") if (p / "bin" / name).is_file()),
            key=lambda p: int(p.name) if p.name.isdigit() else -1,
        )
        found += [p / "bin" / name for p in versions]
    on_path = shutil.which(name, path=search_path)
    if on_path is not None:
        found.append(Path(on_path))
    return found


def find_tool(
    name: str, major: int, *, roots: Sequence[Path] = (DEBIAN_ROOT,), search_path: str | None = None
) -> Tool:
    """Return the oldest ``name`` (pg_dump, pg_restore) of PostgreSQL ``major`` or newer.

    BackupError naming what was found, and the package to install, when there is none.
    """
    seen: list[Tool] = []
    for path in _candidates(name, roots, search_path):
        tool = tool_version(path)
        if tool is None:
            continue
        if tool.major >= major:
            return tool
        seen.append(tool)
    where = f"on PATH or in {'/'.join(str(r) for r in roots)}/*/bin"
    if seen:
        found = ", ".join(sorted({f"{t.major}" for t in seen}))
        raise BackupError(
            f"{name} of PostgreSQL {major} or newer is needed, found only version {found} {where}:"
            f" install postgresql-client-{major}"
        )
    raise BackupError(f"no {name} found {where}: install postgresql-client-{major}")


def server_major(engine: Engine) -> tuple[int, str]:
    """Return the server's major version and its version string."""
    with engine.connect() as connection:
        number = int(connection.scalar(text("SHOW server_version_num")) or 0)
        shown = str(connection.scalar(text("SHOW server_version")))
    return number // 10000, shown


def _summary(name: str, stderr: str) -> str:
    """Return the first error line of a tool's output, quoted values hidden."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    first = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "")
    head, sep, tail = first.partition("ERROR:")
    shown = head + sep + _QUOTED.sub('"…"', tail) if sep else first
    return f"{name} failed: {shown.strip()[:300] or 'no message'}"


class PostgresDatabase:
    """The PostgreSQL database of PRINTREG_DATABASE_URL."""

    kind: DatabaseKind = "postgresql"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url: URL = engine.url
        self.where = shown_url(engine)

    # -- connection for the tools -----------------------------------------------------------

    def _conninfo(self) -> str:
        """Return a libpq connection string without the password."""
        from psycopg.conninfo import make_conninfo  # noqa: PLC0415 - the driver, already loaded

        params: dict[str, str] = {
            key: value for key, value in self.url.query.items() if isinstance(value, str)
        }
        for key, value in (
            ("host", self.url.host),
            ("port", self.url.port),
            ("user", self.url.username),
            ("dbname", self.url.database),
        ):
            if value is not None:
                params[key] = str(value)
        return str(make_conninfo(**params))

    @contextmanager
    def _environment(self) -> Iterator[dict[str, str]]:
        """Yield the tools' environment: the password, if any, in a private PGPASSFILE."""
        environment = dict(os.environ)
        password = self.url.password
        if password is None:
            yield environment
            return
        with tempfile.TemporaryDirectory(prefix="printreg-pg-") as folder:
            passfile = Path(folder) / "pgpass"
            escaped = str(password).replace("\\", "\\\\").replace(":", "\\:")
            descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(f"*:*:*:*:{escaped}\n")
            environment["PGPASSFILE"] = str(passfile)
            environment.pop("PGPASSWORD", None)  # it would win over the file
            yield environment

    def _run(self, tool: Tool, arguments: list[str]) -> None:
        command = [str(tool.path), "--no-password", f"--dbname={self._conninfo()}", *arguments]
        with self._environment() as environment:
            done = subprocess.run(  # noqa: S603 - a PostgreSQL program, fixed arguments
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env=environment,
                check=False,
            )
        if done.returncode != 0:
            raise BackupError(_summary(tool.path.name, done.stderr))

    def files(self) -> list[Path]:
        """Return the database's files on this machine: none, it lives in the server."""
        return []

    def _connection_error(self, exc: DBAPIError) -> DatabaseNotReady:
        reason = (str(exc.orig).strip() or "no reason given").splitlines()[0]
        return DatabaseNotReady(f"cannot open the database {self.where}: {reason}")

    # -- backup -----------------------------------------------------------------------------

    def revision(self) -> str:
        """Return the live database's migration; DatabaseNotReady when there is none."""
        revisions = current_revisions(self.engine)
        if not revisions:
            raise DatabaseNotReady(f"the database {self.where} has no printreg tables: {UPGRADE}")
        return ",".join(sorted(revisions))

    def dump(self, target: Path) -> Dump:
        """Write ``pg_dump -Fc`` of the database to ``target``; return its migration, the server's
        version and pg_dump's. BackupError when a migration ran during the dump."""
        before = self.revision()
        try:
            major, shown = server_major(self.engine)
        except DBAPIError as exc:
            raise self._connection_error(exc) from None
        tool = find_tool("pg_dump", major)
        self._run(tool, ["--format=custom", f"--file={target}"])
        if self.revision() != before:
            raise BackupError("the database was migrated during the backup: run it again")
        return Dump(before, shown, tool.version)

    # -- restore ----------------------------------------------------------------------------

    def _contents(self) -> list[str]:
        """Return the statements that would drop everything the database holds (none: empty)."""
        try:
            with self.engine.connect() as connection:
                return [str(row[1]) for row in connection.execute(text(_CONTENTS))]
        except DBAPIError as exc:
            raise self._connection_error(exc) from None

    def objects(self) -> int:
        """Return how many schemas, tables, views, sequences, routines and types the target
        holds (those of extensions left aside); `_replace` drops them all."""
        return len(self._contents())

    def _replace(self, dump: Path, major: int) -> None:
        """Drop what the database holds and load the dump in one transaction: pg_restore writes
        the dump as SQL, and psql runs the DROP statements and that SQL with --single-transaction.
        psql is killed before it reaches the end of its input (and so before it commits) when
        pg_restore fails: the database is then as it was."""
        script_tool = find_tool("pg_restore", major)
        psql = find_tool("psql", major)
        drops = "".join(f"{statement};\n" for statement in self._contents()).encode()
        with (
            self._environment() as environment,
            tempfile.TemporaryFile() as script_errors,
            tempfile.TemporaryFile() as load_errors,
        ):
            loader = subprocess.Popen(  # noqa: S603 - a PostgreSQL program, fixed arguments
                [str(psql.path), "--no-password", "--no-psqlrc", "--quiet",
                 "--single-transaction", "--set=ON_ERROR_STOP=1",
                 f"--dbname={self._conninfo()}", "--file=-"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=load_errors,
                env=environment,
            )  # fmt: skip
            script = subprocess.Popen(  # noqa: S603 - a PostgreSQL program, fixed arguments
                [str(script_tool.path), "--no-owner", "--no-acl", "--file=-", str(dump)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=script_errors,
            )  # fmt: skip
            assert loader.stdin is not None  # noqa: S101 - both pipes were asked for
            assert script.stdout is not None  # noqa: S101
            stopped = False
            try:
                loader.stdin.write(drops)
                shutil.copyfileobj(script.stdout, loader.stdin, 1024 * 1024)
            except BrokenPipeError:
                stopped = True  # psql stopped at an error: its message says which
                script.kill()
            script.stdout.close()
            if script.wait() != 0 and not stopped:
                loader.kill()  # before its input ends: it never reaches its COMMIT
                loader.wait()
            with contextlib.suppress(BrokenPipeError):
                loader.stdin.close()
            if script.returncode != 0 and not stopped:
                raise BackupError(_summary("pg_restore", _text(script_errors)))
            if loader.wait() != 0:
                raise BackupError(_summary("psql", _text(load_errors)))

    def restore(
        self, reader: ArchiveReader, *, revision: str, upgrade: bool, replace: bool
    ) -> None:
        """Load the archive's dump with pg_restore in one transaction (with ``replace``, the
        drop of what the database held in that same transaction), then migrate it to this
        printreg if ``upgrade``."""
        try:
            major, _ = server_major(self.engine)
        except DBAPIError as exc:
            raise self._connection_error(exc) from None
        dumped = tool_major(reader.manifest.dump_tool)
        with tempfile.TemporaryDirectory(prefix="printreg-restore-") as folder:
            dump = Path(folder) / "database.pgdump"
            reader.extract_database(dump)
            if replace:
                self._replace(dump, max(major, dumped))
            elif self.objects():
                raise TargetNotEmpty(not_empty(self.where, self.objects()))
            else:
                self._run(
                    find_tool("pg_restore", max(major, dumped)),
                    [
                        "--no-owner",
                        "--no-acl",
                        "--single-transaction",
                        "--exit-on-error",
                        str(dump),
                    ],
                )
        if current_revisions(self.engine) != {revision}:
            raise ArchiveDamaged(
                "the archive is damaged or altered: its database is not at the migration its "
                "manifest names"
            )
        if upgrade:
            from printreg.storage.schema import upgrade as migrate  # noqa: PLC0415 - Alembic

            migrate(self.engine)


def _text(handle: IO[bytes]) -> str:
    """Return what a tool wrote to a temporary file."""
    handle.seek(0)
    return handle.read().decode("utf-8", "replace")


def tool_major(version: str | None) -> int:
    """Return the major version in a ``--version`` line; 0 when there is none."""
    match = _VERSION.search(version or "")
    return int(match[1]) if match else 0
