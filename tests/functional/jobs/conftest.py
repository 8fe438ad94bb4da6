"""Fixtures for the job queue tests: the web app and clients in ``job_runner`` "queue" mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.web import (  # noqa: F401 - fixtures for this folder
    anon,
    api_platform,
    app,
    client_for,
    dm,
    new_client,
)

from printreg.settings import Settings


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Return queue-mode settings for the test database (web processes queue their imports)."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATABASE_URL", database_url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PRINTREG_JOB_RUNNER", "queue")
    return Settings(database_url=database_url, data_dir=str(data_dir), job_runner="queue")
