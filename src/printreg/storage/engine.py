"""Database engines: SQLite (WAL) by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_MS = 5000


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while one writer writes; foreign keys are off in SQLite by
        # default. A writer waits busy_ms for the lock, then fails "database is locked" (503).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def make_engine(
    url: str,
    *,
    echo: bool = False,
    busy_ms: int = BUSY_MS,
    pre_ping: bool = True,
    pool_size: int = 5,
    max_overflow: int = 10,
) -> Engine:
    """Return an engine for a SQLAlchemy URL, with SQLite tuned for one writer and many readers
    (a writer waits ``busy_ms`` milliseconds for the write lock); on PostgreSQL ``pre_ping``
    checks each pooled connection before use, ``pool_size`` connections stay open and up to
    ``max_overflow`` more are opened under bursts (settings ``database_pool_pre_ping``,
    ``database_pool_size``, ``database_max_overflow``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
        return engine
    return create_engine(
        url, echo=echo, pool_pre_ping=pre_ping, pool_size=pool_size, max_overflow=max_overflow
    )


# SQLite: SQLITE_BUSY, SQLITE_LOCKED (primary codes, extended codes masked off). PostgreSQL
# SQLSTATEs of the same kind: lock_not_available, cannot_connect_now, too_many_connections,
# deadlock_detected, serialization_failure. Each clears by itself: try again in a moment.
_SQLITE_BUSY = frozenset({5, 6})
_PG_BUSY = frozenset({"55P03", "57P03", "53300", "40P01", "40001"})


def is_busy(exc: BaseException) -> bool:
    """Return whether a database error means "busy, try again" (a lock or connection wait)."""
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection in use
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) in _PG_BUSY


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory for reads that write nothing: on PostgreSQL its statements run
    in autocommit, on SQLite it is the ordinary factory.

    Under PostgreSQL's READ COMMITTED each statement of a transaction takes its own snapshot, so
    a read-only transaction buys nothing; it costs a BEGIN and a ROLLBACK round trip, and the
    ROLLBACK makes psycopg drop every statement it had prepared on the connection (DEALLOCATE
    ALL), so the hot queries are parsed and planned again on every request. SQLite's driver
    opens no transaction for a SELECT in the first place."""
    if engine.dialect.name != "postgresql":
        return make_sessionmaker(engine)
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


def is_postgresql(engine: Engine) -> bool:
    """Return whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"
