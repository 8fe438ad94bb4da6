"""The operations routes through the app, on both databases: probes, metrics, request ids."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, select, text
from tests.support.imports import csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import API, HOME, REG, UserClient

from printreg.accounts.actor import Actor
from printreg.dashboards.service import AnalyticsService
from printreg.facilities.models import Facility
from printreg.imports.models import ImportJob
from printreg.ops import metrics
from printreg.platform import Platform
from printreg.storage.base import utcnow
from printreg.web.app import create_app

LOOPBACK = ("127.0.0.1", 50000)
SRC = Path(__file__).resolve().parents[3] / "src"


def _scrape(app: FastAPI) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of /metrics by name and sorted labels (scraped from loopback)."""
    with TestClient(app, client=LOOPBACK) as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_healthz_answers_without_touching_the_database(
    app: FastAPI, anon: TestClient, api_platform: Platform
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(api_platform.engine, "before_cursor_execute", count)
    try:
        response = anon.get("/healthz")
    finally:
        event.remove(api_platform.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert statements == []
    assert anon.get("/readyz").status_code == 200  # the same database, read: the probe works


def test_requests_are_counted_by_route_template(app: FastAPI, dm: UserClient) -> None:
    labels = (("method", "GET"), ("route", f"{API.replace(REG, '{registry}')}/cases/{{case_id}}"),
              ("status", "4xx"))  # fmt: skip
    name = "printreg_http_requests_total"
    before = _scrape(app).get((name, labels), 0.0)
    for _ in range(3):
        assert dm.get(f"{API}/cases/{uuid.uuid4()}").status_code == 404
    after = _scrape(app)
    assert after[(name, labels)] == before + 3
    timed = ("printreg_http_request_duration_seconds_count", labels[:2])
    assert after[timed] >= 3


def test_import_rows_and_the_queue_are_in_the_metrics(
    app: FastAPI, dm: UserClient, api_platform: Platform
) -> None:
    rows = ("printreg_import_rows_total", (("mode", "commit"),))
    before = _scrape(app)
    assert before[("printreg_database_up", ())] == 1
    assert before[("printreg_import_jobs", (("state", "queued"),))] == 0
    assert before[("printreg_import_job_oldest_queued_seconds", ())] == 0
    started = upload(dm, csv_bytes(api_platform, records(HOME, 7)), commit=True)
    assert started.status_code == 202, started.text
    assert finished(dm, started.json()["id"])["status"] == "done"
    with api_platform.sessions.begin() as session:  # a job waiting for two minutes
        facility = session.scalar(select(Facility.id).where(Facility.code == HOME))
        assert facility is not None
        session.add(ImportJob(
            id=uuid.uuid4(), registry_code=REG, facility_id=facility, filename="waiting.csv",
            format="csv", commit=True, all_or_nothing=False, status="queued", rows_done=0,
            stored_file="/nonexistent/waiting.csv",
            created_at=utcnow() - dt.timedelta(seconds=120),
        ))  # fmt: skip
    after = _scrape(app)
    assert after[rows] == before.get(rows, 0.0) + 7
    assert after[("printreg_import_jobs", (("state", "queued"),))] == 1
    assert 120 <= after[("printreg_import_job_oldest_queued_seconds", ())] < 600


def test_an_analytics_rebuild_is_timed_and_a_cached_answer_is_not(
    app: FastAPI, api_platform: Platform
) -> None:
    name = ("printreg_analytics_refresh_seconds_count", ())
    before = _scrape(app).get(name, 0.0)
    service = AnalyticsService(api_platform, Actor.operator("ops-test"))
    service.refresh(REG)
    service.refresh(REG)  # nothing changed: served from the cache, not rebuilt
    assert _scrape(app)[name] == before + 1


def test_the_request_id_is_echoed_or_made(anon: TestClient) -> None:
    given = str(uuid.uuid4())
    assert anon.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"] == given
    made = anon.get("/healthz", headers={"X-Request-ID": "case-MRN-1234567"})
    assert made.headers["x-request-id"] != "case-MRN-1234567"
    assert len(made.headers["x-request-id"]) == 32
    # Every answer has one: a 404, a 401, a refused body before any route ran.
    assert "x-request-id" in anon.get("/no/such/page").headers
    assert "x-request-id" in anon.get(f"{API}/cases").headers
    too_big = anon.post(f"{API}/cases", content=b"x" * (2 * 1024**2),
                        headers={"content-type": "application/json"})  # fmt: skip
    assert too_big.status_code == 413
    assert "x-request-id" in too_big.headers


def test_lines_logged_while_a_request_runs_carry_its_id(
    json_logs: io.StringIO, api_platform: Platform
) -> None:
    given = uuid.uuid4().hex
    with api_platform.engine.begin() as connection:  # the readiness check logs why it failed
        connection.execute(text("DELETE FROM alembic_version"))
    with TestClient(create_app(api_platform.settings, api_platform)) as client:
        assert client.get("/readyz", headers={"X-Request-ID": given}).status_code == 503
        client.get("/no/such/page", headers={"X-Request-ID": given})
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    warning = [line for line in lines if line["logger"] == "printreg.ops.health"]
    assert warning, lines
    assert warning[0]["request_id"] == given  # logged in the threadpool, inside the request
    access = [line for line in lines if line["logger"] == "printreg.access"]
    assert [(a["route"], a["status"], a["level"]) for a in access] == [
        ("/readyz", 503, "DEBUG"), ("unmatched", 404, "INFO"),
    ]  # fmt: skip
    assert all(a["request_id"] == given and a["duration_ms"] > 0 for a in access)


SCRIPT = """
import sys
from printreg.ops import metrics
for _ in range(int(sys.argv[1])):
    metrics.observe_request("GET", "/healthz", 200, 0.001)
"""


def test_multiprocess_mode_sums_the_processes(
    tmp_path: Path, new_client: Callable[[], TestClient], app: FastAPI
) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, metrics.MULTIPROCESS_ENV: str(folder), "PYTHONPATH": str(SRC)}
    for count in ("3", "4"):
        subprocess.run([sys.executable, "-c", SCRIPT, count], env=env, check=True, timeout=60)
    render = (
        "import sys\nfrom printreg.ops import metrics\nfrom printreg.storage.engine import "
        "make_engine\nsys.stdout.write(metrics.render(make_engine(sys.argv[1]))[0].decode())"
    )
    url = app.state.platform.settings.database_url
    shown = subprocess.run([sys.executable, "-c", render, url], env=env, check=True,
                           timeout=60, capture_output=True, text=True).stdout  # fmt: skip
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(shown)
        for s in family.samples
    }
    key = (("method", "GET"), ("route", "/healthz"), ("status", "2xx"))
    assert samples[("printreg_http_requests_total", key)] == 7
    assert samples[("printreg_database_up", ())] == 1
    assert len(list(folder.glob("*.db"))) >= 2  # one file per process


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_other_methods_on_a_probe_are_counted_too(app: FastAPI, method: str) -> None:
    with TestClient(app) as client:
        client.request(method, "/healthz")
    samples = _scrape(app)
    assert any(k[0] == "printreg_http_requests_total" and ("method", method) in k[1]
               and ("route", "/healthz") in k[1] for k in samples)  # fmt: skip
