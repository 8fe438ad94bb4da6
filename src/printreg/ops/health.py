"""Readiness of a web process: the database answers, is at this printreg's migration, and the
import jobs have a runner.

Each check returns a ``CheckOut`` whose detail comes from a fixed list: what went wrong is
logged for the operators (the database's reason in one line, which never holds a password),
never sent to the prober.

With ``job_runner`` "inprocess" (the default), import jobs run in threads of the web process
that accepted them: there is no worker to look for, and the job check says so and passes. With
"queue", worker processes (``printreg worker``) run them, and the check passes only while some
worker's heartbeat in ``queue_workers`` is younger than ``worker_seen_seconds``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from printreg.ops.schemas import CheckOut, ReadinessOut
from printreg.settings import Settings
from printreg.storage.base import utcnow
from printreg.storage.readiness import (
    DatabaseNotReady,
    MigrationState,
    head_revision,
    migration_state,
)

log = logging.getLogger(__name__)

UPGRADE = "run `printreg db upgrade`"
DETAILS: dict[MigrationState, str] = {
    MigrationState.CURRENT: "at the newest migration",
    MigrationState.NO_DATABASE: f"the database has not been created: {UPGRADE}",
    MigrationState.EMPTY: f"the database has no printreg tables: {UPGRADE}",
    MigrationState.BEHIND: f"the database is at an older migration: {UPGRADE}",
    MigrationState.AHEAD: "the database is at a newer migration than this printreg: upgrade it",
}
UNREACHABLE = "the database cannot be opened"
IN_PROCESS = (
    "in-process: import jobs run in threads of the web process that accepted them; "
    "there is no separate worker to wait for"
)
SKIPPED = "not checked: the database is not ready"
WORKER_SEEN = "queue: a worker was seen in the last {seconds} seconds"
NO_WORKER = "queue: no worker seen in the last {seconds} seconds: start `printreg worker`"


@functools.cache
def _head() -> str:
    """Return this printreg's newest migration (read once: the files do not change)."""
    return head_revision()


def database_checks(engine: Engine) -> dict[str, CheckOut]:
    """Return the database and migrations checks (the second fails too when the first does)."""
    try:
        state = migration_state(engine, _head())
    except (DatabaseNotReady, SQLAlchemyError) as exc:
        # DatabaseNotReady says where and why in one line, without the password; any other
        # error (a pool timeout) only by its type.
        shown = exc if isinstance(exc, DatabaseNotReady) else type(exc).__name__
        log.warning("readiness: %s", shown)
        return {
            "database": CheckOut(ok=False, detail=UNREACHABLE),
            "migrations": CheckOut(ok=False, detail=SKIPPED),
        }
    if state is MigrationState.NO_DATABASE:
        database = CheckOut(ok=False, detail=DETAILS[state])
    else:
        database = CheckOut(ok=True, detail="answers")
    current = state is MigrationState.CURRENT
    if not current:
        log.warning("readiness: %s", DETAILS[state])
    return {"database": database, "migrations": CheckOut(ok=current, detail=DETAILS[state])}


def jobs_check(engine: Engine, settings: Settings) -> CheckOut:
    """Return the state of the job runner: in-process, up while this process answers; the
    queue, up while a worker's heartbeat is younger than ``worker_seen_seconds``."""
    if settings.job_runner != "queue":
        return CheckOut(ok=True, detail=IN_PROCESS)
    from printreg.jobs.queue import last_seen  # noqa: PLC0415 - queue mode only

    seconds = settings.worker_seen_seconds
    try:
        with Session(engine) as session:
            seen = last_seen(session)
    except SQLAlchemyError as exc:
        log.warning("readiness: worker heartbeats unreadable (%s)", type(exc).__name__)
        return CheckOut(ok=False, detail=SKIPPED)
    fresh = seen is not None and utcnow() - seen <= dt.timedelta(seconds=seconds)
    if not fresh:
        log.warning("readiness: no worker seen in the last %d seconds", seconds)
    return CheckOut(ok=fresh, detail=(WORKER_SEEN if fresh else NO_WORKER).format(seconds=seconds))


def readiness(engine: Engine, settings: Settings) -> ReadinessOut:
    """Return every check and ``ready`` when all passed, else ``not ready``."""
    checks = database_checks(engine)
    if checks["migrations"].ok:
        checks["jobs"] = jobs_check(engine, settings)
    else:
        checks["jobs"] = (
            CheckOut(ok=False, detail=SKIPPED)
            if settings.job_runner == "queue"
            else CheckOut(ok=True, detail=IN_PROCESS)
        )
    ready = all(check.ok for check in checks.values())
    return ReadinessOut(status="ready" if ready else "not ready", checks=checks)
