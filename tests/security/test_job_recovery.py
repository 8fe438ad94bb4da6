"""Attack: kill -9 the process running an import job.

Before issue 12 the job stayed "running" forever, reported fewer rows than were committed, and
"Commit this file" answered 409 for good. Now the job names its process, each committed batch
records the job's progress in its own transaction, and start-up fails the jobs of processes
that are gone, saying how many rows were committed; committing again finishes the file.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from printreg.facilities.models import Facility
from printreg.imports import jobs as import_jobs
from printreg.imports.models import ImportJob
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.base import utcnow
from tests.support.imports import csv_bytes, finished
from tests.support.records import records
from tests.support.web import DATA_MANAGER, HOME, REG, UserClient

BATCH = 20
ROWS = 600

_RUNNER = """
import sys
from printreg.accounts.actor import Actor
from printreg.imports.jobs import ImportJobs
from printreg.platform import Platform
from printreg.settings import Settings

platform = Platform.from_settings(Settings())
jobs = ImportJobs(platform, Actor.operator("kill-test"))
with open(sys.argv[1], "rb") as stream:
    job = jobs.submit("3dp", "F0001", "cases.csv", stream, commit=True)
print(job.id, flush=True)
jobs.wait(job.id, timeout=600)
"""


def case_count(platform: Platform) -> int:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(main)) or 0


def job_row(platform: Platform, job_id: uuid.UUID) -> ImportJob:
    with platform.sessions() as session:
        return session.scalars(select(ImportJob).where(ImportJob.id == job_id)).one()


def test_a_killed_job_is_failed_at_start_up_with_the_rows_it_committed(
    api_platform: Platform,
    settings: Settings,
    client_for: Callable[[str], UserClient],
    tmp_path: Path,
) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(api_platform, records(HOME, ROWS)))
    env = {**os.environ, "PRINTREG_IMPORT_BATCH_ROWS": str(BATCH)}
    process = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        job_id = uuid.UUID(process.stdout.readline().strip())
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            if job_row(api_platform, job_id).rows_committed >= 3 * BATCH:
                break
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    before = job_row(api_platform, job_id)
    assert before.status == "running", "the job must be killed while it runs"
    stored = case_count(api_platform)
    assert 0 < stored < ROWS
    assert stored % BATCH == 0  # whole batches only
    assert before.rows_committed == stored  # progress commits with its batch

    dm = client_for(DATA_MANAGER)  # a new client starts the app: start-up recovery runs
    job = dm.get(f"/api/v1/imports/{job_id}").json()
    assert job["status"] == "failed"
    assert job["message"].startswith("the process running this import stopped")
    assert f"{stored} rows were committed" in job["message"]
    assert job["rows_done"] == stored == case_count(api_platform)
    assert job["upload_kept"]

    again = dm.post(f"/api/v1/imports/{job_id}/commit")
    assert again.status_code == 202, again.text
    done = finished(dm, again.json()["id"], timeout=300)
    assert done["status"] == "done", done
    report = done["report"]
    assert (report["unchanged"], report["new"], report["rejected"]) == (stored, ROWS - stored, 0)
    assert case_count(api_platform) == ROWS
    assert done["rows_done"] == ROWS


def _job(platform: Platform, **runner: object) -> uuid.UUID:
    """Store a running job as another process would have; return its id."""
    job_id = uuid.uuid4()
    folder = Path(platform.settings.data_dir) / "imports" / str(job_id)
    folder.mkdir(parents=True)
    (folder / "upload.csv").write_text("local_case_id\n")
    with platform.sessions.begin() as session:
        facility = session.scalar(select(Facility.id).where(Facility.code == HOME))
        assert facility is not None
        session.add(
            ImportJob(
                id=job_id,
                registry_code=REG,
                facility_id=facility,
                filename="c.csv",
                format="csv",
                commit=True,
                all_or_nothing=False,
                status="running",
                rows_done=0,
                rows_committed=40,
                stored_file=str(folder / "upload.csv"),
                created_at=utcnow(),
                **runner,
            )
        )
    return job_id


def test_start_up_leaves_live_jobs_of_other_processes_alone(api_platform: Platform) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        too_old = dt.timedelta(minutes=api_platform.settings.import_job_stale_minutes + 1)
        here = {"runner_host": import_jobs.RUNNER_HOST, "runner_id": str(uuid.uuid4())}
        live = _job(api_platform, **here, runner_pid=sleeper.pid, heartbeat_at=utcnow())
        elsewhere = _job(api_platform, runner_host="another-host", runner_pid=sleeper.pid,
                         runner_id=str(uuid.uuid4()), heartbeat_at=utcnow())  # fmt: skip
        stale = _job(api_platform, runner_host="another-host", runner_pid=sleeper.pid,
                     runner_id=str(uuid.uuid4()),
                     heartbeat_at=utcnow() - too_old)  # fmt: skip
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        gone = _job(api_platform, **here, runner_pid=dead.pid, heartbeat_at=utcnow())
        same_pid = _job(api_platform, **here, runner_pid=os.getpid(), heartbeat_at=utcnow())
        assert import_jobs.recover(api_platform) == 3
        assert job_row(api_platform, live).status == "running"
        assert job_row(api_platform, elsewhere).status == "running"
        for job_id in (stale, gone, same_pid):
            row = job_row(api_platform, job_id)
            assert row.status == "failed"
            assert row.report is not None
            assert "40 rows were committed" in row.report["problem"]
        assert import_jobs.recover(api_platform) == 0  # once only
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("status", ["queued", "running"])
def test_a_job_found_stopped_when_looked_at_can_be_committed_again(
    api_platform: Platform, client_for: Callable[[str], UserClient], status: str
) -> None:
    dm = client_for(DATA_MANAGER)  # start-up recovery has run: the job is stored after it
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job_id = _job(api_platform, runner_host=import_jobs.RUNNER_HOST, runner_pid=dead.pid,
                  runner_id=str(uuid.uuid4()), heartbeat_at=utcnow())  # fmt: skip
    with api_platform.sessions.begin() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(status=status))
    response = dm.post(f"/api/v1/imports/{job_id}/commit")  # was 409 for good
    assert response.status_code == 202, response.text
    assert job_row(api_platform, job_id).status == "failed"
    finished(dm, response.json()["id"])  # the new job ends before its database is dropped
