"""Attack: kill -9 a `printreg worker` in the middle of an import it runs from the job queue.

The job's lease runs out; another worker queues it again and finishes it: every batch the dead
worker committed is whole and counted, and comes back unchanged on the second run. A job is
never left "running".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.imports.jobs import ImportJobs
from printreg.imports.models import ImportJob
from printreg.jobs.models import QueuedJob, QueueWorker
from printreg.platform import Platform
from printreg.settings import Settings
from tests.support.imports import case_count, csv_bytes
from tests.support.records import records
from tests.support.web import HOME, REG

BATCH = 20
ROWS = 600
LEASE = 3


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a `printreg worker` process."""
    return subprocess.Popen(
        [sys.executable, "-m", "printreg", "worker", "--concurrency", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _rows(platform: Platform, job_id: uuid.UUID) -> tuple[ImportJob, QueuedJob]:
    with platform.sessions() as session:
        job = session.scalars(select(ImportJob).where(ImportJob.id == job_id)).one()
        queued = session.scalars(
            select(QueuedJob).where(QueuedJob.payload["import_job"].as_string() == str(job_id))
        ).one()
    return job, queued


def test_a_killed_worker_s_import_is_finished_by_another_worker(
    api_platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    queue_settings = settings.model_copy(update={"job_runner": "queue"})
    web = Platform.from_settings(queue_settings)
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(api_platform, records(HOME, ROWS)))
    with path.open("rb") as stream:
        submitted = ImportJobs(web, Actor.operator("kill-test")).submit(
            REG, "F0001", "cases.csv", stream, commit=True
        )
    assert submitted.status == "queued"
    env = {
        **os.environ,
        "PRINTREG_JOB_RUNNER": "queue",
        "PRINTREG_IMPORT_BATCH_ROWS": str(BATCH),
        "PRINTREG_JOB_LEASE_SECONDS": str(LEASE),
        "PRINTREG_WORKER_POLL_SECONDS": "0.2",
    }
    first = _worker(env)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and first.poll() is None:
            if _rows(api_platform, submitted.id)[0].rows_committed >= 3 * BATCH:
                break
            time.sleep(0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    job, queued = _rows(api_platform, submitted.id)
    assert (job.status, queued.status, queued.attempts) == ("running", "running", 1)
    stored = case_count(api_platform)
    assert 0 < stored < ROWS, "the worker must be killed in the middle of the import"
    assert stored % BATCH == 0  # whole batches only
    assert job.rows_committed == stored  # each batch's progress commits with it

    second = _worker(env)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and second.poll() is None:
            job, queued = _rows(api_platform, submitted.id)
            # the import's row ends first, the queue's row once the handler has returned
            if {job.status, queued.status} <= {"done", "failed"}:
                break
            time.sleep(0.1)
        job, queued = _rows(api_platform, submitted.id)
        assert job.status == "done", job.report
        assert (queued.status, queued.attempts, queued.error) == ("done", 2, None)
        report = job.report or {}
        assert (report["unchanged"], report["new"], report["rejected"]) == (
            stored,
            ROWS - stored,
            0,
        )
        assert case_count(api_platform) == ROWS == job.rows_done == job.rows_committed
        with api_platform.sessions() as session:
            assert session.scalar(select(QueueWorker.id)) is not None  # the live one beats
    finally:
        second.send_signal(signal.SIGTERM)  # a clean stop: it finishes and leaves
        assert second.wait(timeout=60) == 0
    with api_platform.sessions() as session:
        left = session.scalars(select(QueueWorker.pid)).all()
    assert second.pid not in left
    web.close()
