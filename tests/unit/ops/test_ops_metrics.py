"""Metric labels: fixed vocabularies only (method, route template, status class)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from prometheus_client.samples import Sample
from sqlalchemy import create_engine
from starlette.routing import Mount, Route

from printreg.ops import metrics
from printreg.ops.middleware import route_label


def _value(metric: Any, name: str, labels: dict[str, str]) -> float:
    """Return one sample's value (0 when the labels were never used)."""
    samples: list[Sample] = [s for family in metric.collect() for s in family.samples]
    return next((s.value for s in samples if s.name == name and s.labels == labels), 0.0)


def test_method_labels_are_a_fixed_list() -> None:
    assert metrics.method_label("GET") == "GET"
    assert metrics.method_label("DELETE") == "DELETE"
    assert metrics.method_label("JANE-DOE") == "other"
    assert metrics.method_label("get") == "other"


def test_status_labels_are_classes() -> None:
    assert [metrics.status_label(s) for s in (200, 201, 303, 404, 503)] == [
        "2xx", "2xx", "3xx", "4xx", "5xx",
    ]  # fmt: skip


def _endpoint() -> None:
    return None


def test_the_route_label_is_the_declared_template() -> None:
    route = Route("/api/v1/registries/{registry}/cases/{case_id}", _endpoint)
    scope = {"route": route, "path": "/api/v1/registries/3dp/cases/MRN-1234567"}
    assert route_label(scope, "") == "/api/v1/registries/{registry}/cases/{case_id}"


def test_a_mount_is_labelled_by_its_declared_path_only() -> None:
    app = SimpleNamespace(routes=[Mount("/static", app=_endpoint)])
    assert route_label({"app": app, "root_path": "/static"}, "") == "/static/{path}"
    assert route_label({"app": app, "root_path": "/proxy/static"}, "/proxy") == "/static/{path}"
    # A prefix that no mount declares is what the client sent: never a label.
    assert route_label({"app": app, "root_path": "/jane-doe"}, "") == "unmatched"


def test_no_route_is_unmatched() -> None:
    assert route_label({"path": "/John-Smith/123-45-6789", "root_path": ""}, "") == "unmatched"


def test_a_request_is_counted_under_its_labels() -> None:
    # A route the application declares: the metrics are process-wide, and the security test
    # checks that every route label in them is one of the application's templates.
    labels = {"method": "other", "route": "/healthz", "status": "4xx"}
    before = _value(metrics.REQUESTS, "printreg_http_requests_total", labels)
    metrics.observe_request("BREW", "/healthz", 418, 0.02)
    assert _value(metrics.REQUESTS, "printreg_http_requests_total", labels) == before + 1
    timed = {"method": "other", "route": "/healthz"}
    assert _value(metrics.LATENCY, "printreg_http_request_duration_seconds_count", timed) >= 1


def test_import_rows_are_counted_by_mode() -> None:
    name = "printreg_import_rows_total"
    commit, check = ({"mode": "commit"}, {"mode": "check"})
    before = (_value(metrics.IMPORT_ROWS, name, commit), _value(metrics.IMPORT_ROWS, name, check))
    metrics.count_import_rows(250, commit=True)
    metrics.count_import_rows(40, commit=False)
    assert _value(metrics.IMPORT_ROWS, name, commit) == before[0] + 250
    assert _value(metrics.IMPORT_ROWS, name, check) == before[1] + 40


def test_the_queue_gauges_say_when_the_database_does_not_answer(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    try:
        families = list(metrics.ImportQueueCollector(engine).collect())
    finally:
        engine.dispose()
    assert [f.name for f in families] == ["printreg_database_up"]
    assert families[0].samples[0].value == 0
