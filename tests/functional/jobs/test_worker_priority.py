"""`printreg worker` lowers its CPU priority by the setting worker_nice, so that batch jobs on a
machine that also serves web requests take the CPU the web processes leave idle."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from printreg.settings import Settings


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_worker_runs_at_the_priority_the_setting_lowers_it_to(settings: Settings) -> None:
    env = {
        **os.environ,
        "PRINTREG_DATABASE_URL": settings.database_url,
        "PRINTREG_DATA_DIR": settings.data_dir,
        "PRINTREG_JOB_RUNNER": "queue",
        "PRINTREG_WORKER_NICE": "5",
        "PRINTREG_LOG_FORMAT": "plain",
    }
    done = subprocess.run(
        [sys.executable, "-m", "printreg", "worker", "--once"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = min(19, os.nice(0) + 5)  # relative to the priority it was started with
    assert f"CPU priority nice {expected})" in done.stderr + done.stdout
