"""`printreg serve --workers N`: where the worker processes' metrics go, and that the folder is
emptied before they start; the import string uvicorn's workers load; the size of each
process's pool of request threads."""

from __future__ import annotations

import gc
import os
import socket
from pathlib import Path

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient

from printreg.cli.serve import metrics_folder, prepare_metrics_folder
from printreg.ops.metrics import MULTIPROCESS_ENV
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web import asgi
from printreg.web.app import create_app


def test_the_metrics_folder_is_per_host_and_port_under_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    settings = Settings(data_dir=str(tmp_path / "data"))
    folder = metrics_folder(settings, 8123)
    assert folder == tmp_path / "data" / "metrics" / f"{socket.gethostname()}-8123"
    assert metrics_folder(settings, 8124) != folder  # two servers never share one


def test_the_environment_names_the_metrics_folder_when_it_sets_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path / "run"))
    assert metrics_folder(Settings(data_dir=str(tmp_path)), 8000) == tmp_path / "run"


def test_preparing_empties_the_folder_and_exports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4242.db").write_bytes(b"figures of a stopped process")
    prepare_metrics_folder(folder)
    assert list(folder.iterdir()) == []
    assert folder.stat().st_mode & 0o777 == 0o700
    assert os.environ[MULTIPROCESS_ENV] == str(folder)
    prepare_metrics_folder(tmp_path / "new" / "metrics")  # created when missing
    assert (tmp_path / "new" / "metrics").is_dir()


def test_the_worker_entry_point_builds_the_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("PRINTREG_DATABASE_URL", url)
    try:
        app = asgi.create()
        assert app.state.platform.settings.database_url == url
        # what the process holds once built is out of the collector's reach (asgi.settle)
        assert gc.get_freeze_count() > 10_000
        app.state.platform.close()
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_web_threads_size_the_pool_request_handlers_run_in(settings: Settings) -> None:
    platform = Platform.from_settings(settings.model_copy(update={"web_threads": 3}))
    try:
        with TestClient(create_app(platform.settings, platform)) as client:
            tokens = client.portal.call(to_thread.current_default_thread_limiter)
            assert tokens.total_tokens == 3  # anyio's default is 40
            assert client.get("/healthz").status_code == 200
    finally:
        platform.close()
