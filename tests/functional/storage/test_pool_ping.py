"""Pooled PostgreSQL connections are checked before use when they have been idle a while
(settings database_pool_pre_ping, database_pool_ping_idle_seconds): one cut while idle is
replaced without an error; one used a moment ago is not checked (no round trip), and should it
have been cut after all, the error renews the pool."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from printreg.storage.engine import make_engine


def backend(connection: Connection) -> int:
    """Return the PostgreSQL backend process id serving the connection."""
    return int(connection.scalar(text("SELECT pg_backend_pid()")))


def cut(url: str, pid: int) -> None:
    """End a backend from a connection of its own, as a restart or a firewall would."""
    other = create_engine(url, poolclass=NullPool)
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()
    time.sleep(0.2)  # the backend exits


@contextmanager
def one_connection_used_then_cut(url: str, idle_seconds: float) -> Iterator[tuple[Engine, int]]:
    """Yield an engine whose pool holds one connection, just used and returned and then cut
    (its backend ended), with that backend's id."""
    engine = make_engine(url, ping_idle_seconds=idle_seconds, pool_size=1, max_overflow=1)
    try:
        with engine.connect() as connection:
            first = backend(connection)
        cut(url, first)
        yield engine, first
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_cut_while_idle_is_replaced_unseen(database_url: str) -> None:
    with one_connection_used_then_cut(database_url, 0.3) as (engine, first):
        time.sleep(0.4)  # idle for longer than the window: checked, found cut, replaced
        with engine.connect() as connection:
            assert backend(connection) != first


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_back_a_moment_ago_is_used_unchecked(database_url: str) -> None:
    with one_connection_used_then_cut(database_url, 60) as (engine, first):
        # Returned less than a minute ago: no check, so the cut shows as this one error ...
        with engine.connect() as connection, pytest.raises(OperationalError):
            backend(connection)
        # ... which renewed the pool: the next use gets a live connection.
        with engine.connect() as connection:
            assert backend(connection) != first


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_zero_checks_before_every_use(database_url: str) -> None:
    with one_connection_used_then_cut(database_url, 0) as (engine, first):
        # SQLAlchemy's pre-ping: the connection is checked at once, found cut, replaced
        connection = engine.connect()
        try:
            assert backend(connection) != first
        finally:
            connection.close()
