"""The job queue on both databases: imports queued by the web app and run by a worker, claims
that never share a job, leases that run out, retries and failures, and the /readyz check."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.support.imports import case_count, csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import DATA_MANAGER, HOME, UserClient

from printreg.jobs import queue
from printreg.jobs.models import QueuedJob, QueueWorker
from printreg.jobs.worker import Worker
from printreg.platform import Platform
from printreg.storage.base import utcnow

Calls = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def calls() -> Calls:
    """Register the test job kinds; return what they were called with."""
    seen: Calls = []

    def fine(_platform: Platform, payload: dict[str, Any]) -> None:
        seen.append(("ran", payload))

    def broken(_platform: Platform, payload: dict[str, Any]) -> None:
        seen.append(("ran", payload))
        raise RuntimeError("boom")

    def gave_up(_platform: Platform, payload: dict[str, Any], message: str) -> None:
        seen.append((message, payload))

    queue.register("test-fine", fine, gave_up)
    queue.register("test-broken", broken, gave_up)
    return seen


def _enqueue(platform: Platform, kind: str, n: int = 0, attempts: int = 3) -> uuid.UUID:
    with platform.sessions.begin() as session:
        return queue.enqueue(session, kind, {"n": n}, max_attempts=attempts)


def _row(platform: Platform, job_id: uuid.UUID) -> QueuedJob:
    with platform.sessions() as session:
        return session.scalars(select(QueuedJob).where(QueuedJob.id == job_id)).one()


def _expire(platform: Platform, job_id: uuid.UUID) -> None:
    """Make a running job's lease run out, as when its worker is killed."""
    with platform.sessions.begin() as session:
        session.execute(
            update(QueuedJob)
            .where(QueuedJob.id == job_id)
            .values(lease_until=utcnow() - dt.timedelta(seconds=1))
        )


def test_an_import_uploaded_in_queue_mode_waits_for_a_worker_then_runs(
    api_platform: Platform, client_for: Callable[[str], UserClient]
) -> None:
    dm = client_for(DATA_MANAGER)
    answer = upload(dm, csv_bytes(api_platform, records(HOME, 12)))  # a dry run first
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    assert dm.get(f"/api/v1/imports/{job_id}").json()["status"] == "queued"  # no thread ran it
    assert Worker(api_platform, once=True).run() == 1
    checked = finished(dm, job_id)
    assert checked["status"] == "done", checked
    assert case_count(api_platform) == 0  # a dry run

    again = dm.post(f"/api/v1/imports/{job_id}/commit")
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "queued"
    assert Worker(api_platform, once=True).run() == 1
    done = finished(dm, again.json()["id"])
    assert (done["status"], done["report"]["new"], done["rows_done"]) == ("done", 12, 12)
    assert case_count(api_platform) == 12


def test_an_import_whose_workers_all_died_fails_saying_so(
    api_platform: Platform, client_for: Callable[[str], UserClient]
) -> None:
    dm = client_for(DATA_MANAGER)
    answer = upload(dm, csv_bytes(api_platform, records(HOME, 3)), commit=True)
    job_id = answer.json()["id"]
    (held,) = queue.claim(api_platform, "doomed", 1, 60)  # a worker that dies at once
    with api_platform.sessions.begin() as session:
        session.execute(
            update(QueuedJob).where(QueuedJob.id == held.id).values(attempts=QueuedJob.max_attempts)
        )
    _expire(api_platform, held.id)
    assert queue.reap(api_platform) == (0, 1)
    job = dm.get(f"/api/v1/imports/{job_id}").json()
    assert job["status"] == "failed"
    assert job["message"].startswith("the process running this import stopped")
    assert "0 rows were committed" in job["message"]
    assert case_count(api_platform) == 0
    assert Worker(api_platform, once=True).run() == 0  # nothing left to run


def test_a_periodic_task_is_queued_once_per_time_slot(
    api_platform: Platform, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "PERIODIC", {"test-fine": 3600})
    assert queue.queue_periodic(api_platform, 3) == 1
    assert queue.queue_periodic(api_platform, 3) == 0  # a second worker finds it queued
    with api_platform.sessions() as session:
        keys = session.scalars(select(QueuedJob.dedupe_key)).all()
    assert len(keys) == 1
    assert keys[0] is not None
    assert keys[0].startswith("test-fine@")
    assert Worker(api_platform, once=True).run() == 1
    assert calls == [("ran", {})]
    queue.queue_periodic(api_platform, 3)  # the worker registered its own periodic tasks too
    with api_platform.sessions() as session:
        kinds = session.scalars(select(QueuedJob.kind)).all()
    # done in this slot: not again
    assert sorted(kinds) == ["expire-extracts", "quality-evaluate", "test-fine"]


def test_reaping_forgets_workers_not_seen_for_a_day(api_platform: Platform) -> None:
    queue.beat(api_platform, "old", "host", 1, 1)
    queue.beat(api_platform, "new", "host", 2, 1)
    with api_platform.sessions.begin() as session:
        session.execute(
            update(QueueWorker)
            .where(QueueWorker.id == "old")
            .values(seen_at=utcnow() - dt.timedelta(days=1, seconds=1))
        )
    queue.reap(api_platform)
    with api_platform.sessions() as session:
        assert session.scalars(select(QueueWorker.id)).all() == ["new"]


def test_two_workers_never_claim_the_same_job(api_platform: Platform) -> None:
    ids = {_enqueue(api_platform, "test-fine", n) for n in range(6)}
    first = queue.claim(api_platform, "worker-a", 4, 60)
    second = queue.claim(api_platform, "worker-b", 4, 60)
    assert len(first) == 4
    assert len(second) == 2
    assert {job.id for job in first} | {job.id for job in second} == ids
    assert not {job.id for job in first} & {job.id for job in second}
    assert queue.claim(api_platform, "worker-c", 4, 60) == []


def test_a_job_whose_lease_ran_out_is_retried_then_failed(
    api_platform: Platform, calls: Calls
) -> None:
    job_id = _enqueue(api_platform, "test-fine", attempts=2)
    (held,) = queue.claim(api_platform, "worker-a", 1, 60)
    assert queue.reap(api_platform) == (0, 0)  # the lease still runs
    _expire(api_platform, job_id)
    assert queue.reap(api_platform) == (1, 0)
    row = _row(api_platform, job_id)
    assert (row.status, row.attempts, row.worker_id) == ("queued", 1, None)

    (again,) = queue.claim(api_platform, "worker-b", 1, 60)
    assert (again.id, again.attempts) == (held.id, 2)
    queue.finish(api_platform, held, "worker-a")  # the dead worker's late word is ignored
    assert _row(api_platform, job_id).status == "running"
    _expire(api_platform, job_id)
    assert queue.reap(api_platform) == (0, 1)
    row = _row(api_platform, job_id)
    assert row.status == "failed"
    assert row.error == "the workers running this job stopped 2 times before it finished"
    assert calls == [(row.error, {"n": 0})]


def test_a_worker_runs_jobs_and_fails_one_that_raises(api_platform: Platform, calls: Calls) -> None:
    good = _enqueue(api_platform, "test-fine", 1)
    bad = _enqueue(api_platform, "test-broken", 2)
    unknown = _enqueue(api_platform, "test-no-such-kind", 3)
    assert Worker(api_platform, 2, once=True).run() == 3
    assert _row(api_platform, good).status == "done"
    assert (_row(api_platform, bad).status, _row(api_platform, bad).error) == (
        "failed",
        queue.JOB_RAISED,
    )
    assert _row(api_platform, unknown).error == queue.UNKNOWN_KIND
    assert ("ran", {"n": 1}) in calls
    assert (queue.JOB_RAISED, {"n": 2}) in calls


def test_readyz_asks_for_a_recent_worker_in_queue_mode(api_platform: Platform, app: Any) -> None:
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        jobs = response.json()["checks"]["jobs"]
        assert not jobs["ok"]
        assert "printreg worker" in jobs["detail"]

        worker = Worker(api_platform)
        runner = threading.Thread(target=worker.run)
        runner.start()
        try:
            deadline = utcnow() + dt.timedelta(seconds=30)
            while utcnow() < deadline:
                response = client.get("/readyz")
                if response.status_code == 200:
                    break
            assert response.status_code == 200, response.json()
            assert response.json()["checks"]["jobs"]["detail"].startswith(
                "queue: a worker was seen"
            )
        finally:
            worker.stop()
            runner.join(30)
        assert client.get("/readyz").status_code == 503  # a worker that stopped leaves
