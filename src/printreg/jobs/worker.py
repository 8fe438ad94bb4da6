"""The worker loop that ``printreg worker`` runs: claim, run, heartbeat, reap.

One worker process runs up to ``concurrency`` jobs at once in threads. A heartbeat thread
renews the leases of its jobs and the worker's row in ``queue_workers`` every third of
``job_lease_seconds``, and reaps the jobs of dead workers. An idle worker sleeps
``worker_poll_seconds``; on PostgreSQL a LISTEN connection wakes it as soon as a job is queued.
Workers also queue the periodic tasks: the hourly expiry of research extracts, the
cleanup of expired task files (``jobs.tasks.sweep``), the evaluation of the quality rules and
the hourly pass over assessment links (expiry, reminders).
SIGTERM and SIGINT stop claiming and let the running jobs finish.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

from printreg.jobs import queue
from printreg.platform import Platform

log = logging.getLogger(__name__)
EXPIRE_EVERY = 3600  # seconds between two runs of `printreg request expire` by the workers


def load_job_functions() -> None:
    """Register every kind of job this printreg runs (each module registers its own)."""
    from printreg.assessment_links import due as assessment_links  # noqa: PLC0415
    from printreg.imports import jobs as _imports  # noqa: F401, PLC0415 - registers "import"
    from printreg.jobs import tasks  # noqa: PLC0415 - registers "task" and its cleanup
    from printreg.notifications import delivery as _mail  # noqa: F401, PLC0415 - "notification-mail"
    from printreg.requests import service as requests  # noqa: PLC0415

    def expire_extracts(platform: Platform, _payload: dict[str, Any]) -> None:
        from printreg.accounts.actor import Actor  # noqa: PLC0415

        requests.DataRequestService(platform, Actor.operator("worker")).expire_due()

    queue.register_periodic("expire-extracts", expire_extracts, EXPIRE_EVERY)
    tasks.load_task_kinds()  # exports, analytics refreshes, research extracts
    from printreg.quality import jobs as quality  # noqa: PLC0415

    quality.register()  # "quality-evaluate": every registry's rules, every few hours
    assessment_links.register_jobs()  # link expiry and reminders, hourly


def yield_cpu(nice: int) -> None:
    """Lower this process's CPU priority by ``nice`` (setting ``worker_nice``).

    A worker's jobs are batch work: on a machine it shares with web processes, a 100,000-case
    import at full priority took half the CPU and the case lists' throughput fell to 0.42 of
    its idle figure (bench/api_import.py); at nice 10 the web processes come first and the
    import takes what they leave. The database server's own processes keep their priority."""
    if nice > 0:
        os.nice(nice)


class Worker:
    """A worker process: claims jobs of the queue and runs them."""

    def __init__(
        self, platform: Platform, concurrency: int = 1, *, once: bool = False, signals: bool = False
    ) -> None:
        self.platform = platform
        self.signals = signals  # a worker process stops on SIGTERM/SIGINT; a test's does not
        self.concurrency = concurrency
        self.once = once
        self.id = str(uuid.uuid4())
        self.host = socket.gethostname()[:255]
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.running: set[uuid.UUID] = set()
        self.lock = threading.Lock()
        self.ran = 0
        settings = platform.settings
        self.lease = settings.job_lease_seconds
        self.poll = settings.worker_poll_seconds

    # -- threads --------------------------------------------------------------------------------

    def _beat(self) -> None:
        queue.beat(self.platform, self.id, self.host, os.getpid(), self.concurrency)
        with self.lock:
            held = list(self.running)
        queue.renew(self.platform, self.id, held, self.lease)

    def _heartbeat(self) -> None:
        """Beat and reap every third of the lease until the worker stops."""
        while not self.stopping.wait(self.lease / 3):
            try:
                self._beat()
                added = queue.queue_periodic(self.platform, self.platform.settings.job_attempts)
                if any(queue.reap(self.platform)) or added:
                    self.wake.set()
            except Exception as exc:  # noqa: BLE001 - the database may be back next time
                log.error("worker heartbeat failed: %s", type(exc).__name__)  # noqa: TRY400

    def _listen(self) -> None:
        """On PostgreSQL, wake the loop whenever a job is queued (LISTEN/NOTIFY)."""
        import psycopg  # noqa: PLC0415 - PostgreSQL only

        url = self.platform.engine.url.set(drivername="postgresql")
        try:
            with psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True
            ) as conn:
                conn.execute(f"LISTEN {queue.CHANNEL}")
                while not self.stopping.is_set():
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        self.wake.set()
        except Exception as exc:  # noqa: BLE001 - polling still finds the jobs
            log.warning("worker: no LISTEN connection (%s); polling", type(exc).__name__)

    def _execute(self, job: queue.Claimed) -> None:
        kind = queue.KINDS.get(job.kind)
        try:
            if kind is None:
                queue.finish(self.platform, job, self.id, queue.UNKNOWN_KIND)
                return
            try:
                kind.run(self.platform, job.payload)
            except Exception as exc:  # noqa: BLE001 - the job fails; the worker goes on
                log.error("job %s (%s) raised %s", job.id, job.kind, type(exc).__name__)  # noqa: TRY400 - no values
                queue.finish(self.platform, job, self.id, queue.JOB_RAISED)
            else:
                queue.finish(self.platform, job, self.id)
        finally:
            with self.lock:
                self.running.discard(job.id)
                self.ran += 1
            self.wake.set()

    # -- the loop -------------------------------------------------------------------------------

    def stop(self, _signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Stop claiming jobs; the running ones finish."""
        self.stopping.set()
        self.wake.set()

    def run(self) -> int:
        """Run jobs until stopped (or, ``once``, until none is ready); return how many ran."""
        load_job_functions()
        if self.signals and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        self._beat()
        queue.reap(self.platform)
        if not self.once:
            queue.queue_periodic(self.platform, self.platform.settings.job_attempts)
        helpers = [threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True)]
        if self.platform.engine.dialect.name == "postgresql" and not self.once:
            helpers.append(threading.Thread(target=self._listen, name="worker-listen", daemon=True))
        for helper in helpers:
            helper.start()
        log.info("worker %s started (%d at once, CPU priority nice %d)", self.id,
                 self.concurrency, os.nice(0))  # fmt: skip
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="job") as pool:
                while not self.stopping.is_set():
                    self.wake.clear()
                    with self.lock:
                        free = self.concurrency - len(self.running)
                    claimed = queue.claim(self.platform, self.id, free, self.lease)
                    with self.lock:
                        self.running.update(job.id for job in claimed)
                        idle = not self.running
                    for job in claimed:
                        pool.submit(self._execute, job)
                    if self.once and idle and not claimed:
                        break
                    if not claimed or free == len(claimed):
                        self.wake.wait(self.poll)
        finally:
            self.stopping.set()
            queue.leave(self.platform, self.id)
        log.info("worker %s stopped after %d job(s)", self.id, self.ran)
        return self.ran
