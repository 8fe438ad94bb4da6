"""Readiness against real databases: reachable, migrated, and what /readyz answers otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from printreg.ops import health
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.engine import make_engine
from printreg.storage.readiness import (
    MigrationState,
    head_revision,
    migration_graph,
    migration_state,
)
from printreg.web.app import create_app

HEAD = head_revision()


def _set_revision(platform: Platform, revision: str | None) -> None:
    """Put the database at another migration (None: no revision at all)."""
    with platform.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            connection.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision}
            )


def _readyz(platform: Platform) -> tuple[int, dict[str, object]]:
    with TestClient(create_app(platform.settings, platform)) as client:
        response = client.get("/readyz")
    return response.status_code, response.json()


def test_a_migrated_database_is_ready(platform: Platform) -> None:
    assert migration_state(platform.engine, HEAD) is MigrationState.CURRENT
    status, body = _readyz(platform)
    assert status == 200
    assert body["status"] == "ready"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert set(checks) == {"database", "migrations", "jobs"}
    assert all(check["ok"] for check in checks.values())
    assert checks["jobs"]["detail"].startswith("in-process")


@pytest.mark.parametrize(
    ("revision", "state"),
    [
        (migration_graph()[HEAD][0], MigrationState.BEHIND),
        ("ffffffffffff", MigrationState.AHEAD),
        (None, MigrationState.EMPTY),
    ],
)
def test_a_database_at_another_migration_is_not_ready(
    platform: Platform, revision: str | None, state: MigrationState
) -> None:
    _set_revision(platform, revision)
    assert migration_state(platform.engine, HEAD) is state
    status, body = _readyz(platform)
    assert status == 503
    assert body["status"] == "not ready"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"]["ok"] is True
    assert checks["migrations"] == {"ok": False, "detail": health.DETAILS[state]}
    assert revision is None or revision not in str(body)


def test_a_missing_sqlite_file_is_not_ready_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert migration_state(engine, HEAD) is MigrationState.NO_DATABASE
        checks = health.database_checks(engine)
    finally:
        engine.dispose()
    assert checks["database"].ok is False
    assert checks["migrations"].ok is False
    assert not path.exists()


def test_an_unreachable_database_fails_both_database_checks() -> None:
    settings = Settings(database_url="postgresql+psycopg://printreg@127.0.0.1:9/printreg")
    engine = make_engine(settings.database_url)
    try:
        checks = health.database_checks(engine)
    finally:
        engine.dispose()
    assert checks["database"].model_dump() == {"ok": False, "detail": health.UNREACHABLE}
    assert checks["migrations"].model_dump() == {"ok": False, "detail": health.SKIPPED}
