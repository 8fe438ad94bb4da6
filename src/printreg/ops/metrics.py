"""Prometheus metrics of a printreg process, and the text served at ``/metrics``.

Labels hold only fixed vocabularies: an HTTP method from a short list, a route *template* as the
code declares it (``/api/v1/registries/{registry}/cases/{case_id}``, never the path asked for;
``unmatched`` when no route matched), a status class (``2xx``) and an import mode. No label ever
carries an identifier, a query string or free text, whatever a client sends.

Counters and histograms are process-wide (prometheus-client's way). With several web processes,
set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder shared by the processes of one machine before
they start: each process then writes its figures there and every scrape sums them
(prometheus-client's multiprocess mode). The import queue gauges are read from the database at
scrape time, so they are registry-wide and the same from every process.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sqlalchemy import Engine

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
OTHER_METHOD = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: job states counted in the queue gauges (finished jobs are history, not queue)
QUEUE_STATES = ("queued", "running")

REQUESTS = Counter(
    "printreg_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
    registry=None,
)
LATENCY = Histogram(
    "printreg_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=None,
)
IMPORT_ROWS = Counter(
    "printreg_import_rows",
    "Rows import jobs have processed (mode commit: written batches; check: dry runs); "
    "rate() gives rows per second.",
    ["mode"],
    registry=None,
)
ANALYTICS_REFRESH = Histogram(
    "printreg_analytics_refresh_seconds",
    "Time a registry's analytics took to rebuild after cases changed.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=None,
)
PROCESS_METRICS = (REQUESTS, LATENCY, IMPORT_ROWS, ANALYTICS_REFRESH)


def method_label(method: str) -> str:
    """Return the method as a label: itself when it is a standard one, else ``other``."""
    return method if method in METHODS else OTHER_METHOD


def status_label(status: int) -> str:
    """Return the status class of an HTTP status (``2xx``, ``4xx``, …)."""
    return f"{status // 100}xx"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration (``route`` is already a template)."""
    method = method_label(method)
    REQUESTS.labels(method, route, status_label(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def count_import_rows(rows: int, *, commit: bool) -> None:
    """Count rows an import job has just processed."""
    IMPORT_ROWS.labels("commit" if commit else "check").inc(rows)


def observe_analytics_refresh(seconds: float) -> None:
    """Record how long one analytics rebuild took."""
    ANALYTICS_REFRESH.observe(seconds)


def multiprocess_dir() -> str | None:
    """Return the folder of prometheus-client's multiprocess mode; None when it is off."""
    return os.environ.get(MULTIPROCESS_ENV) or None


class ImportQueueCollector(Collector):
    """The import jobs not finished yet, read from the database when scraped."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """Yield the queue depth by state, the oldest queued job's age and whether the
        database answered (on failure only the last, at 0)."""
        from sqlalchemy import func, select  # noqa: PLC0415 - the web app has it loaded already
        from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

        from printreg.imports.models import ImportJob  # noqa: PLC0415

        up = GaugeMetricFamily(
            "printreg_database_up", "1 when the database answered the metrics query, else 0."
        )
        query = (
            select(ImportJob.status, func.count(), func.min(ImportJob.created_at))
            .where(ImportJob.status.in_(QUEUE_STATES))
            .group_by(ImportJob.status)
        )
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        found = {status: (count, oldest) for status, count, oldest in rows}
        depth = GaugeMetricFamily(
            "printreg_import_jobs",
            "Import jobs not finished, by state (registry-wide: the same from every process).",
            labels=["state"],
        )
        for state in QUEUE_STATES:
            depth.add_metric([state], found.get(state, (0, None))[0])
        yield depth
        oldest = found.get("queued", (0, None))[1]
        age = GaugeMetricFamily(
            "printreg_import_job_oldest_queued_seconds",
            "Age of the oldest import job waiting to start; 0 when none waits.",
        )
        age.add_metric([], _age(oldest))
        yield age


def _age(created: dt.datetime | None) -> float:
    """Return the seconds since ``created`` (naive values are UTC, as SQLite returns them)."""
    if created is None:
        return 0.0
    aware = created if created.tzinfo is not None else created.replace(tzinfo=dt.UTC)
    return max(0.0, time.time() - aware.timestamp())


class _Registered(Collector):
    """This process's own metrics, offered to a scrape's registry."""

    def collect(self) -> Iterator[Metric]:
        """Yield the samples of the process metrics."""
        for metric in PROCESS_METRICS:
            yield from metric.collect()


def render(engine: Engine) -> tuple[bytes, str]:
    """Return the metrics text and its content type: the web processes' counters (all processes
    of the machine in multiprocess mode, else this one and its resource use) and the queue."""
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder is not None:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Registered())
        ProcessCollector(registry=registry)
    registry.register(ImportQueueCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST
