"""Helpers for task jobs (exports, analytics refreshes, extracts) seen through the API."""

from __future__ import annotations

import time
from typing import Any

from tests.support.web import UserClient


def job_done(client: UserClient, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll ``/api/v1/jobs/{id}`` until the job has finished (bounded); return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def refreshed(client: UserClient, registry: str) -> dict[str, Any]:
    """Ask for an analytics refresh and wait for its job; return the finished job."""
    answer = client.post(f"/api/v1/registries/{registry}/analytics/refresh")
    assert answer.status_code == 202, answer.text
    return job_done(client, answer.json()["id"])
