"""Attack: keep the database busy, and see whether readers are turned away.

Before issue 12 every authenticated request wrote its session's extension or its token's last
use, so while one long import held SQLite's write lock, every request (reads too) answered 500
"database is locked". Now an ordinary request writes nothing (the extension and the last use are
written at most once a minute), and a request that must write while the lock stays taken longer
than ``sqlite_busy_ms`` is answered 503 with Retry-After: a JSON body for the API, a plain page
for the pages, never a 500.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from printreg.accounts.models import ApiToken, User, WebSession
from printreg.accounts.service import AccountService, digest
from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.base import utcnow
from printreg.web.errors import is_busy
from tests.support.records import records
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    UserClient,
    post_login,
)

BUSY_MS = 1500
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT")


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """The test database's settings with a short wait for SQLite's write lock."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATABASE_URL", database_url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PRINTREG_SQLITE_BUSY_MS", str(BUSY_MS))
    return Settings(database_url=database_url, data_dir=str(data_dir))


@contextmanager
def write_lock(platform: Platform) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, as a long import did."""
    url = platform.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's single write lock")
    holder = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@contextmanager
def writes_counted(platform: Platform) -> Iterator[list[str]]:
    """Collect the data-changing statements the platform's engine sends meanwhile."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement.split("\n", 1)[0][:80])

    event.listen(platform.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(platform.engine, "before_cursor_execute", listen)


def new_token(platform: Platform, email: str) -> str:
    with platform.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None
    accounts = AccountService(platform)
    secret, _ = accounts.create_token(accounts.actor_for(user_id), HOME, "t", ["cases:read"], 30)
    return secret


def last_use(platform: Platform, secret: str) -> dt.datetime | None:
    with platform.sessions() as session:
        value = session.scalar(
            select(ApiToken.last_used_at).where(ApiToken.token_hash == digest(secret))
        )
    return value.replace(tzinfo=dt.UTC) if value and value.tzinfo is None else value


def test_a_busy_database_answers_503_with_retry_after_never_500(
    api_platform: Platform,
    client_for: Callable[[str], UserClient],
    new_client: Callable[[], TestClient],
    bearer_client: Callable[[str], TestClient],
) -> None:
    dm = client_for(DATA_MANAGER)
    fresh = bearer_client(new_token(api_platform, DATA_MANAGER))  # its first use is due
    browser = new_client()
    record = {k: v for k, v in records(HOME, 1)[0].items() if k != "facility"}
    with write_lock(api_platform):
        # Reads never wait: pages and API answer while the lock is held, even when a session's
        # extension or a token's last use is due (then written by a later request).
        assert dm.get(f"{API}/cases", params={"facility": HOME}).status_code == 200
        assert dm.get("/").status_code == 200
        started = time.monotonic()
        assert fresh.get(f"{API}/cases", params={"facility": HOME}).status_code == 200
        assert time.monotonic() - started < BUSY_MS / 1000  # it did not wait for the lock
        assert last_use(api_platform, fresh.headers["Authorization"][7:]) is None
        # A request that must write gives up after sqlite_busy_ms: 503 and Retry-After.
        api = dm.post(f"{API}/cases", params={"facility": HOME}, json=record)
        assert api.status_code == 503, api.text
        assert int(api.headers["Retry-After"]) > 0
        assert api.headers["content-type"].startswith("application/json")
        assert "busy" in api.json()["detail"]
        page = post_login(browser, DATA_MANAGER, DEMO_PASSWORD)  # a sign-in writes a session
        assert page.status_code == 503, page.text
        assert int(page.headers["Retry-After"]) > 0
        assert page.headers["content-type"].startswith("text/html")
        assert "Traceback" not in page.text
    # Once the lock is free, the same requests go through, and the last use is written.
    assert dm.post(f"{API}/cases", params={"facility": HOME}, json=record).status_code == 201
    assert fresh.get(f"{API}/cases", params={"facility": HOME}).status_code == 200
    assert last_use(api_platform, fresh.headers["Authorization"][7:]) is not None


def test_only_a_busy_database_error_is_503() -> None:
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415 - only this test builds them

    locked = OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))
    broken = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    assert is_busy(locked)
    assert not is_busy(broken)  # a real fault stays a 500, and is logged as one


def test_ordinary_authenticated_requests_write_nothing(
    api_platform: Platform,
    client_for: Callable[[str], UserClient],
    bearer_client: Callable[[str], TestClient],
    case_ids: dict[str, str],
) -> None:
    dm = client_for(DATA_MANAGER)
    token = bearer_client(new_token(api_platform, DATA_MANAGER))
    assert token.get(f"{API}/cases", params={"facility": HOME}).status_code == 200  # 1st use
    pages = ["/", f"/registries/3dp/cases?facility={HOME}",
             f"/registries/3dp/cases/{case_ids[HOME]}"]  # fmt: skip
    api = [f"{API}/cases?facility={HOME}", f"{API}/cases/{case_ids[HOME]}", "/api/v1/users/me"]
    with writes_counted(api_platform) as writes:
        for _ in range(3):
            for url in pages + api:
                assert dm.get(url).status_code == 200, url
            for url in api:
                assert token.get(url).status_code == 200, url
    assert writes == []


def test_a_token_records_its_use_at_most_once_a_minute(
    api_platform: Platform, bearer_client: Callable[[str], TestClient]
) -> None:
    secret = new_token(api_platform, DATA_MANAGER)
    client = bearer_client(secret)
    assert last_use(api_platform, secret) is None
    assert client.get("/api/v1/users/me").status_code == 200
    first = last_use(api_platform, secret)
    assert first is not None
    with writes_counted(api_platform) as writes:
        for _ in range(5):
            assert client.get("/api/v1/users/me").status_code == 200
    assert writes == []
    assert last_use(api_platform, secret) == first
    earlier = first - dt.timedelta(seconds=61)  # as if the last use was over a minute ago
    with api_platform.sessions.begin() as session:
        session.execute(
            update(ApiToken).where(ApiToken.token_hash == digest(secret))
            .values(last_used_at=earlier)
        )  # fmt: skip
    assert client.get("/api/v1/users/me").status_code == 200
    again = last_use(api_platform, secret)
    assert again is not None
    assert again > first


def test_a_session_is_extended_at_most_once_a_minute(
    api_platform: Platform, client_for: Callable[[str], UserClient]
) -> None:
    dm = client_for(DATA_MANAGER)

    def expiry() -> dt.datetime:
        with api_platform.sessions() as session:
            value = session.scalars(select(WebSession.expires_at)).one()
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

    start = expiry()
    assert dm.get("/api/v1/users/me").status_code == 200
    assert expiry() == start  # extended less than a minute ago: not written
    with api_platform.sessions.begin() as session:
        session.execute(update(WebSession).values(expires_at=start - dt.timedelta(minutes=2)))
    assert dm.get("/api/v1/users/me").status_code == 200
    assert expiry() > utcnow() + dt.timedelta(hours=api_platform.settings.session_hours - 1)
