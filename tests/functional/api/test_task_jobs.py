"""Export jobs, analytics refresh jobs and research extract jobs through the API, end to end, with
each runner: "inprocess" (a one-shot worker thread of the web process) and "queue" (the job waits
for a worker: here ``Worker(once=True)``, what ``printreg worker --once`` runs).

State, progress and result are read back through ``/api/v1/jobs/{id}`` only: nothing is kept in
the memory of the process that accepted the job.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update
from tests.support.records import records
from tests.support.tasks import job_done
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    OTHER,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    UserClient,
    store_case,
)

from printreg.jobs import queue, tasks
from printreg.jobs.models import QueuedJob, TaskJob
from printreg.jobs.worker import Worker
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.base import utcnow

LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture(params=["inprocess", "queue"])
def settings(
    request: pytest.FixtureRequest, database_url: str, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Settings:  # fmt: skip
    """Return settings for the test database with each job runner."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATABASE_URL", database_url)
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PRINTREG_JOB_RUNNER", request.param)
    return Settings(database_url=database_url, data_dir=str(data_dir), job_runner=request.param)


@pytest.fixture
def stored(api_platform: Platform) -> dict[str, int]:
    """Store 12 cases at F0001 and 5 at F0002; return how many at each."""
    counts = {HOME: 12, OTHER: 5}
    for code, n in counts.items():
        for record in records(code, n):
            store_case(api_platform, code, record)
    return counts


def _run(platform: Platform, client: UserClient, job: dict[str, Any]) -> dict[str, Any]:
    """Let the job run (a worker in "queue" mode, the web process's thread otherwise); return it
    once finished."""
    if platform.settings.job_runner == "queue":
        assert client.get(f"/api/v1/jobs/{job['id']}").json()["status"] == "queued"
        assert Worker(platform, once=True).run() >= 1
    return job_done(client, job["id"])


def _export(client: UserClient, fmt: str, **params: str) -> dict[str, Any]:
    answer = client.post(f"{API}/exports", params={"format": fmt, **params})
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()
    assert (job["kind"], job["registry"], job["has_file"]) == ("export", REG, False)
    return job


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_job_writes_the_same_file_as_the_direct_export(
    api_platform: Platform, stored: dict[str, int], dm: UserClient, fmt: str
) -> None:
    job = _run(api_platform, dm, _export(dm, fmt))
    assert job["status"] == "done", job
    assert job["result"] == {"cases": stored[HOME], "format": fmt, "facility": None}
    assert job["has_file"] is True
    expires = dt.datetime.fromisoformat(job["expires_at"])
    hours = api_platform.settings.export_hours
    kept = expires - dt.datetime.fromisoformat(job["finished_at"])
    assert abs(kept - dt.timedelta(hours=hours)) < dt.timedelta(seconds=5)
    got = dm.get(f"/api/v1/jobs/{job['id']}/file")
    assert got.status_code == 200, got.text
    assert got.headers["cache-control"] == "no-store"
    direct = dm.get(f"{API}/export", params={"format": fmt})
    assert direct.status_code == 200
    assert got.content == direct.content  # F0001's cases only, in the same order
    assert len(got.content.strip().splitlines()) == stored[HOME] + (fmt == "csv")


def test_a_parquet_and_a_redcap_export_job(
    api_platform: Platform, stored: dict[str, int], client_for: Any
) -> None:
    admin = client_for(REGISTRY_ADMIN)  # reads every facility's cases
    parquet = _run(api_platform, admin, _export(admin, "parquet"))
    table = pq.read_table(io.BytesIO(admin.get(f"/api/v1/jobs/{parquet['id']}/file").content))
    assert table.num_rows == sum(stored.values()) == parquet["result"]["cases"]
    assert set(table.column("facility").to_pylist()) == {HOME, OTHER}
    redcap = _run(api_platform, admin, _export(admin, "redcap", facility=OTHER))
    assert redcap["result"] == {"cases": stored[OTHER], "format": "redcap", "facility": OTHER}
    got = admin.get(f"/api/v1/jobs/{redcap['id']}/file")
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"].endswith('.redcap.csv"')
    assert len(got.text.strip().splitlines()) == stored[OTHER] + 1


def test_an_expired_export_file_is_deleted_by_the_cleanup(
    api_platform: Platform, stored: dict[str, int], dm: UserClient
) -> None:
    del stored
    job = _run(api_platform, dm, _export(dm, "csv"))
    folder = Path(api_platform.settings.data_dir) / "tasks" / job["id"]
    assert folder.is_dir()
    assert tasks.sweep(api_platform) == 0  # not yet due
    with api_platform.sessions.begin() as session:
        session.execute(
            update(TaskJob)
            .where(TaskJob.id == uuid.UUID(job["id"]))
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    assert tasks.sweep(api_platform) == 1
    assert not folder.exists()
    assert dm.get(f"/api/v1/jobs/{job['id']}").json()["has_file"] is False
    gone = dm.get(f"/api/v1/jobs/{job['id']}/file")
    assert gone.status_code == 410, gone.text


def test_an_export_that_cannot_be_written_fails_with_a_clear_message(
    api_platform: Platform, stored: dict[str, int], dm: UserClient
) -> None:
    del stored
    data = Path(api_platform.settings.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    (data / "tasks").write_text("not a folder")  # the job cannot make its folder
    job = _run(api_platform, dm, _export(dm, "csv"))
    assert job["status"] == "failed"
    assert job["message"] == tasks.INTERNAL
    assert job["has_file"] is False
    refused = dm.get(f"/api/v1/jobs/{job['id']}/file")
    assert refused.status_code == 409
    with api_platform.sessions() as session:
        queued = session.scalars(select(QueuedJob).where(QueuedJob.kind == tasks.QUEUE_KIND)).all()
    assert [q.status for q in queued] == ["failed"]
    assert queued[0].error == queue.JOB_RAISED


def _scrape(app: FastAPI) -> float:
    with TestClient(app, client=LOOPBACK) as client:
        text = client.get("/metrics").text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "printreg_analytics_refresh_seconds_count"
    )


def test_an_analytics_refresh_job_is_timed_and_runs_once_when_asked_twice(
    app: FastAPI, api_platform: Platform, stored: dict[str, int], client_for: Any
) -> None:
    del stored
    admin, other_admin = client_for(REGISTRY_ADMIN), client_for(REGISTRY_ADMIN)
    before = _scrape(app)
    first = admin.post(f"{API}/analytics/refresh")
    assert first.status_code == 202, first.text
    if api_platform.settings.job_runner == "queue":  # no worker yet: the second joins the first
        second = other_admin.post(f"{API}/analytics/refresh")
        assert second.status_code == 202
        assert second.json()["id"] == first.json()["id"]
    job = _run(api_platform, admin, first.json())
    assert job["status"] == "done", job
    assert job["kind"] == "analytics-refresh"
    assert job["result"]["facilities"] == 2
    assert job["result"]["seconds"] >= 0
    assert other_admin.get(f"/api/v1/jobs/{job['id']}").status_code == 200  # shared with admins
    assert _scrape(app) == before + 1  # the rebuild went to the histogram
    with api_platform.sessions() as session:
        runs = session.scalars(select(TaskJob).where(TaskJob.kind == "analytics-refresh")).all()
    assert len(runs) == 1
    assert runs[0].active_key is None  # ended: the next refresh is a new job
    again = admin.post(f"{API}/analytics/refresh").json()
    assert again["id"] != job["id"]
    assert _run(api_platform, admin, again)["status"] == "done"


def test_a_research_extract_is_built_by_a_job(
    api_platform: Platform, stored: dict[str, int], client_for: Any
) -> None:
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    with api_platform.sessions.begin() as session:  # synthetic cases are drafts: make them count
        main = api_platform.registry(REG).tables.main
        session.execute(update(main).values(status="complete"))
    body = {"title": "Models", "aims": "Count them.", "elements": ["organ_system"]}
    created = researcher.post(f"{API}/requests", json=body).json()
    decided = admin.post(f"/api/v1/requests/{created['id']}/decision", json={"approve": True})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    job = decided.json()["extract_job"]
    not_yet = researcher.get(f"/api/v1/requests/{created['id']}/extract.parquet")
    assert not_yet.status_code in (200, 409)  # 409 while the job has not run
    finished = _run(api_platform, researcher, job)  # the requester follows the job
    assert finished["status"] == "done", finished
    assert finished["result"]["rows"] == sum(stored.values())
    ready = researcher.get(f"/api/v1/requests/{created['id']}").json()
    assert ready["status"] == "extract_ready"
    assert ready["extract_job"]["id"] == job["id"]
    table = pq.read_table(
        io.BytesIO(researcher.get(f"/api/v1/requests/{created['id']}/extract.parquet").content)
    )
    assert table.num_rows == sum(stored.values())


def test_a_job_whose_workers_died_fails_with_a_message(
    api_platform: Platform, stored: dict[str, int], dm: UserClient
) -> None:
    """The worker holding the job is killed (its lease runs out) as often as attempts allow."""
    del stored
    if api_platform.settings.job_runner == "inprocess":
        pytest.skip("the one-shot worker thread would run the job at once")
    job = _export(dm, "csv")
    attempts = api_platform.settings.job_attempts
    for _ in range(attempts):
        assert len(queue.claim(api_platform, "dead-worker", 1, lease_seconds=60)) == 1
        with api_platform.sessions.begin() as session:
            session.execute(
                update(QueuedJob).values(lease_until=utcnow() - dt.timedelta(seconds=1))
            )
        queue.reap(api_platform)
    failed = dm.get(f"/api/v1/jobs/{job['id']}").json()
    assert failed["status"] == "failed"
    assert failed["message"] == tasks.STOPPED


def test_the_export_form_and_the_job_page(
    api_platform: Platform, stored: dict[str, int], client_for: Any
) -> None:
    dm = client_for(DATA_MANAGER)
    form = dm.get(f"/registries/{REG}/import?facility={HOME}")
    assert 'id="export-job-form"' in form.text
    asked = dm.post(f"/registries/{REG}/exports",
                    data={"csrf_token": dm.csrf, "format": "jsonl", "facility": HOME},
                    follow_redirects=False)  # fmt: skip
    assert asked.status_code == 303, asked.text
    page_url = asked.headers["location"]
    job_id = page_url.rsplit("/", 1)[-1]
    waiting = dm.get(page_url)
    assert waiting.status_code == 200
    assert 'id="job-status"' in waiting.text
    done = _run(api_platform, dm, {"id": job_id})
    assert done["result"]["cases"] == stored[HOME]
    shown = dm.get(page_url)
    assert f'href="/api/v1/jobs/{job_id}/file"' in shown.text
    assert f"{stored[HOME]} cases exported" in shown.text
    assert client_for(OTHER_SITE).get(page_url).status_code == 404
    assert dm.get("/jobs/not-an-id").status_code == 404
    refused = dm.post(f"/registries/{REG}/exports",
                      data={"csrf_token": "forged", "format": "csv"})  # fmt: skip
    assert refused.status_code == 403


def test_an_in_process_job_whose_process_died_is_run_again_when_looked_at(
    api_platform: Platform, stored: dict[str, int], dm: UserClient
) -> None:
    """Another web process (here: the same app) finds the job running under a lapsed lease,
    reaps it and runs it again to the end."""
    if api_platform.settings.job_runner == "queue":
        pytest.skip("a worker's heartbeat reaps in queue mode (tests/functional/jobs)")
    inprocess = api_platform.settings
    api_platform.settings = inprocess.model_copy(update={"job_runner": "queue"})  # no thread
    try:
        job = _export(dm, "csv")
    finally:
        api_platform.settings = inprocess
    assert len(queue.claim(api_platform, "web-process-that-died", 1, lease_seconds=60)) == 1
    with api_platform.sessions.begin() as session:
        session.execute(update(TaskJob).values(status="running"))
        session.execute(update(QueuedJob).values(lease_until=utcnow() - dt.timedelta(seconds=1)))
    again = job_done(dm, job["id"])
    assert again["status"] == "done", again
    assert again["result"]["cases"] == stored[HOME]
    with api_platform.sessions() as session:
        attempts = session.scalar(select(QueuedJob.attempts).where(QueuedJob.kind == "task"))
    assert attempts == 2
