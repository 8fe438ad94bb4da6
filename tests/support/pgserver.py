"""A throwaway PostgreSQL server for the test suite.

`start_postgres()` runs ``initdb`` in a fresh temporary directory and starts a server on a free
loopback port with trust authentication, tuned for speed over durability (fsync off). The server
is the test run's own: it is never the machine's Debian cluster, and `PostgresServer.stop()`
kills it and deletes its directory.

PostgreSQL refuses to run as root. When the test run is root (as CI is), every server command is
run as the ``postgres`` OS user (created by Debian's postgresql-common) through ``runuser``, or
``setpriv`` where ``runuser`` is missing. Otherwise the commands run as the current user.

The binaries are taken from the newest ``/usr/lib/postgresql/*/bin`` or from the directory named
by ``PRINTREG_PG_BIN``. ``scripts/ensure-system-deps.sh postgresql`` installs them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

PG_BIN_ENV = "PRINTREG_PG_BIN"
"""Environment variable naming a directory holding initdb, pg_ctl and postgres."""

SUPERUSER = "postgres"
"""The database superuser created by initdb (and the OS user the server runs as under root)."""

HOST = "127.0.0.1"

_DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
_LOG_TAIL_LINES = 40


class PostgresUnavailable(Exception):  # noqa: N818 - named for what the tests skip on
    """No test server can be had here; `reason` says why (tests skip or fail with it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class PostgresServer:
    """A running throwaway server. Connect as `user` without a password over TCP to `host`."""

    host: str
    port: int
    user: str
    datadir: Path
    """The temporary directory holding the cluster, its log (``log``) and its Unix socket."""
    bindir: Path
    run_as: tuple[str, ...] = ()
    """Command prefix that runs a server command as the server's OS user (empty: as we are)."""
    _stopped: bool = field(default=False, repr=False)

    @property
    def logfile(self) -> Path:
        return self.datadir / "log"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL, e.g. ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``."""
        return (
            f"postgresql+psycopg://{quote(self.user, safe='')}@{self.host}:{self.port}"
            f"/{quote(database, safe='')}"
        )

    def conninfo(self, database: str = "postgres") -> str:
        """libpq connection string, for ``psycopg.connect``."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=database)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        return _tail(self.logfile, lines)

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and delete `datadir`.

        Safe to call more than once, and from a failed start.
        """
        if self._stopped:
            return
        self._stopped = True
        if (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                _run(
                    self.run_as,
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.datadir),
                        "-m",
                        "immediate",
                        "-w",
                        "-t",
                        "30",
                        "stop",
                    ],
                    timeout=60,
                )
            _kill_leftover_postmaster(self.datadir)
        shutil.rmtree(self.datadir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def find_pg_bindir() -> Path:
    """The directory of the PostgreSQL server binaries to use, or raise PostgresUnavailable."""
    override = os.environ.get(PG_BIN_ENV)
    if override:
        bindir = Path(override)
        missing = [name for name in _REQUIRED_BINARIES if not (bindir / name).is_file()]
        if missing:
            raise PostgresUnavailable(
                f"{PG_BIN_ENV}={override} lacks the PostgreSQL binaries {', '.join(missing)}"
            )
        return bindir
    candidates = [
        path / "bin"
        for path in _DEBIAN_PG_ROOT.glob("*")
        if all((path / "bin" / name).is_file() for name in _REQUIRED_BINARIES)
    ]
    if not candidates:
        raise PostgresUnavailable(
            f"no PostgreSQL server binaries under {_DEBIAN_PG_ROOT}/*/bin (and {PG_BIN_ENV} "
            "is not set): run scripts/ensure-system-deps.sh postgresql"
        )
    return max(candidates, key=lambda bindir: _version_key(bindir.parent.name))


def start_postgres() -> PostgresServer:
    """Initialise and start a throwaway server; raise PostgresUnavailable if that cannot be done.

    The server is also stopped when the interpreter exits, should the caller not stop it.
    """
    bindir = find_pg_bindir()
    run_as, owner = _server_identity()
    failures: list[str] = []
    for _ in range(_START_ATTEMPTS):
        server = _init_cluster(bindir, run_as, owner)
        try:
            _start_cluster(server)
        except PostgresUnavailable as error:
            server.stop()
            failures.append(error.reason)
            if not _port_clash(error.reason):
                raise
            continue
        except BaseException:
            server.stop()
            raise
        atexit.register(server.stop)
        return server
    raise PostgresUnavailable("\n\n".join(failures))


def create_database(server: PostgresServer, name: str, template: str | None = None) -> None:
    """``CREATE DATABASE name [TEMPLATE template]`` (the template must have no open sessions)."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as connection:
        connection.execute(statement)


def drop_database(server: PostgresServer, name: str) -> None:
    """``DROP DATABASE IF EXISTS name WITH (FORCE)``: open sessions on it are terminated."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as connection:
        connection.execute(statement)


def _version_key(name: str) -> tuple[int, ...]:
    """Sort key for a /usr/lib/postgresql/<version> directory name ("15", "9.6")."""
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def _server_identity() -> tuple[tuple[str, ...], tuple[int, int] | None]:
    """The command prefix that runs server commands, and the (uid, gid) that must own the dir.

    As root both name the ``postgres`` OS user; otherwise the prefix is empty and the owner None.
    """
    if os.geteuid() != 0:
        return (), None
    try:
        entry = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, and there is no {SUPERUSER!r} OS user to run PostgreSQL as "
            "(it comes with Debian's postgresql-common package)"
        ) from None
    runuser = _which("runuser")
    if runuser is not None:
        return (runuser, "-u", SUPERUSER, "--"), (entry.pw_uid, entry.pw_gid)
    setpriv = _which("setpriv")
    if setpriv is not None:
        prefix = (
            setpriv,
            f"--reuid={entry.pw_uid}",
            f"--regid={entry.pw_gid}",
            "--init-groups",
            "--",
        )
        return prefix, (entry.pw_uid, entry.pw_gid)
    raise PostgresUnavailable(
        "running as root, and neither runuser nor setpriv is found to run PostgreSQL as "
        f"{SUPERUSER}"
    )


def _which(program: str) -> str | None:
    found = shutil.which(program)
    if found is not None:
        return found
    for directory in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"):
        candidate = Path(directory) / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _init_cluster(
    bindir: Path, run_as: tuple[str, ...], owner: tuple[int, int] | None
) -> PostgresServer:
    # Under root the directory goes in /tmp, whose permissions let the postgres user reach it
    # (TMPDIR might point somewhere it cannot); it also keeps the Unix socket path short.
    parent = "/tmp" if owner is not None else None  # noqa: S108 - see above
    datadir = Path(tempfile.mkdtemp(prefix="printreg-pg-", dir=parent))
    server = PostgresServer(
        host=HOST,
        port=0,
        user=SUPERUSER,
        datadir=datadir,
        bindir=bindir,
        run_as=run_as,
    )
    try:
        if owner is not None:
            os.chown(datadir, *owner)
        result = _run(
            run_as,
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            timeout=180,
        )
    except BaseException:
        server.stop()
        raise
    if result.returncode != 0:
        server.stop()
        raise PostgresUnavailable(
            f"initdb failed (exit {result.returncode}) in {datadir}:\n{result.stdout}"
        )
    return server


def _start_cluster(server: PostgresServer) -> None:
    server.port = _free_port()
    options = " ".join(
        [
            f"-h {server.host}",
            f"-p {server.port}",
            f"-k {server.datadir}",
            "-F",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
        ]
    )
    try:
        result = _run(
            server.run_as,
            [
                str(server.bindir / "pg_ctl"),
                "-D",
                str(server.datadir),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(server.logfile),
                "start",
            ],
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        raise PostgresUnavailable(
            f"pg_ctl start did not return in time (port {server.port}); server log:\n"
            f"{server.log_tail()}"
        ) from None
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"PostgreSQL failed to start (pg_ctl exit {result.returncode}, port {server.port}):\n"
            f"{result.stdout.strip()}\nserver log ({server.logfile}):\n{server.log_tail()}"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _port_clash(reason: str) -> bool:
    return "could not bind" in reason or "Address already in use" in reason


def _run(
    run_as: tuple[str, ...], command: list[str], *, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a server command (as the server's OS user), output and errors merged into stdout."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    environment["LC_ALL"] = "C"
    return subprocess.run(
        [*run_as, *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd="/",  # the postgres user may not be able to enter our working directory
        env=environment,
        timeout=timeout,
        check=False,
    )


def _kill_leftover_postmaster(datadir: Path) -> None:
    """If pg_ctl could not stop the server, signal its postmaster ourselves and wait for it."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    # A stale pid file may name a process that is no longer our server: make sure it is.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return
    if str(datadir).encode() not in cmdline:
        return
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    return "\n".join(text.splitlines()[-lines:])
