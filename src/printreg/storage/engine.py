"""Database engines: SQLite (WAL) by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
import time
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


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection with a round trip before use when it has been back in the
    pool for more than ``idle_seconds`` (SQLAlchemy's documented pessimistic disconnect
    handling: a failed check raises DisconnectionError and the pool connects afresh).

    SQLAlchemy's ``pool_pre_ping`` checks on every checkout: two extra round trips on most API
    requests, which under load are the same connections used a millisecond earlier. A connection
    a database restart, a failover or a firewall has cut has been idle at least as long as the
    cut took; one returned less than ``idle_seconds`` ago is used unchecked, and should it have
    been cut after all, the error invalidates the whole pool (docs/deploy.md)."""

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= idle_seconds:
            return  # new (just connected) or back in the pool a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure of the check: connect afresh
            raise sa_exc.DisconnectionError("the pooled connection was cut") from exc
        if not alive:
            raise sa_exc.DisconnectionError("the pooled connection was cut")


def make_engine(
    url: str,
    *,
    echo: bool = False,
    busy_ms: int = BUSY_MS,
    pre_ping: bool = True,
    ping_idle_seconds: float = 0.0,
    pool_size: int = 5,
    max_overflow: int = 10,
) -> Engine:
    """Return an engine for a SQLAlchemy URL, with SQLite tuned for one writer and many readers
    (a writer waits ``busy_ms`` milliseconds for the write lock); on PostgreSQL ``pre_ping``
    checks a pooled connection before use — every time, or with ``ping_idle_seconds`` > 0 only
    one idle for longer —, ``pool_size`` connections stay open and up to ``max_overflow`` more
    are opened under bursts (settings ``database_pool_pre_ping``,
    ``database_pool_ping_idle_seconds``, ``database_pool_size``, ``database_max_overflow``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
        return engine
    engine = create_engine(
        url,
        echo=echo,
        pool_pre_ping=pre_ping and ping_idle_seconds <= 0,
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
    if pre_ping and ping_idle_seconds > 0:
        _ping_when_idle(engine, ping_idle_seconds)
    return engine


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


def read_engine(engine: Engine) -> Engine:
    """Return the engine for reads that write nothing: on PostgreSQL in autocommit, elsewhere
    the engine itself (``Platform.reads`` and ``Platform.read_engine``).

    Under PostgreSQL's READ COMMITTED each statement of a transaction takes its own snapshot, so
    a read-only transaction buys nothing; it costs a BEGIN and a ROLLBACK round trip, and the
    ROLLBACK makes psycopg drop every statement it had prepared on the connection (DEALLOCATE
    ALL), so the hot queries are parsed and planned again on every request. SQLite's driver
    opens no transaction for a SELECT in the first place."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def is_postgresql(engine: Engine) -> bool:
    """Return whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"
