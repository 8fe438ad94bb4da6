"""Attack: read identifiers or secrets out of the operations surface (issue 15, point 3).

A client puts a made-up patient's name and record number in request paths, query strings, the
method, X-Request-ID, bodies and credentials. Afterwards neither ``/metrics`` (every label must
be a route template the application declares, ``unmatched``, a standard method or ``other``)
nor the server's log lines (JSON, at DEBUG) may hold any of it. ``/metrics`` is refused to other
machines and to forwarded requests unless the scraper has the metrics token; ``/readyz`` on a
broken database answers with fixed words, never the URL, the password or a stack trace. Finally
the routes an anonymous client gets a 2xx from are exactly the public ones listed here.
"""

from __future__ import annotations

import io
import logging
import logging.config
import re

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from printreg.ops import metrics
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import SESSION_COOKIE
from tests.support.imports import csv_bytes, finished, upload
from tests.support.logs import json_logs  # noqa: F401 - fixture
from tests.support.records import records
from tests.support.web import API, HOME, REG, UserClient

NAME = "Zelda Quartermain"
MRN = "8675309"
SSN = "123-45-6789"
FRAGMENTS = ("zelda", "quartermain", MRN, SSN, "hunter2-cookie", "prt_fakefakefake")
LOOPBACK = ("127.0.0.1", 50000)
TOKEN = "m" * 40
#: routes an anonymous client may get a 2xx from, and why
PUBLIC = {
    "/healthz": "liveness probe: fixed answer, touches nothing",
    "/readyz": "readiness probe: fixed words per check, for load balancers",
    "/api/v1/health": "the older liveness answer",
    "/login": "the sign-in page",
    "/login/sso": "starts single sign-on at the configured provider (404 when none is)",
    "/login/sso/callback": "the provider's answer: signs in only with the flow's own cookie and "
    "state (tests/security/test_sso.py)",
    "/openapi.json": "the API's description",
    "/api/docs": "the API's documentation page",
    "/docs/oauth2-redirect": "Swagger UI's sign-in helper page",
    "/public/{registry}": "the registry's public, suppressed figures",
    "/api/v1/registries/{registry}/public": "the same figures as JSON",
    "/static/{path}": "style sheets, scripts and images of the application",
    "/assess/{token}": "a clinician's assessment link: only a valid, open token opens it "
    "(tests/security/test_assessment_links.py)",
}


def _hostile_requests(client: TestClient | UserClient, platform: Platform) -> int:
    """Send requests carrying the made-up identifiers everywhere; return how many."""
    sent = [
        client.get(f"{API}/cases/Zelda-Quartermain-{MRN}", params={"name": NAME, "mrn": MRN}),
        client.get(f"/{NAME.replace(' ', '-')}/{SSN}", params={"q": NAME}),
        client.get(f"/static/{MRN}-Quartermain.css"),
        client.request("ZELDA", "/healthz"),
        client.get(
            f"{API}/cases",
            params={"facility": HOME, "q": NAME},
            headers={"X-Request-ID": f"Zelda-Quartermain-{MRN}"},
        ),
        client.get("/api/v1/users/me", headers={"Authorization": "Bearer prt_fakefakefake"}),
        client.get("/", headers={"Cookie": f"{SESSION_COOKIE}=hunter2-cookie"}),
    ]
    record = records(HOME, 1)[0]
    record["local_case_id"] = f"MRN {MRN}"
    sent.append(client.post(f"{API}/cases", params={"facility": HOME, "note": NAME}, json=record))
    record["local_case_id"] = f"{NAME} {SSN}"
    sent.append(client.put(f"{API}/cases/{MRN}", json=record))
    if isinstance(client, UserClient):
        row = records(HOME, 1)[0]
        row["local_case_id"] = f"{NAME} MRN {MRN}"
        job = upload(client, csv_bytes(platform, [row]), commit=True, name=f"{NAME}.csv")
        assert job.status_code == 202, job.text
        finished(client, job.json()["id"])
        sent.append(job)
    return len(sent)


def _leaked(text: str) -> list[str]:
    return [f for f in FRAGMENTS if f.lower() in text.lower()]


def test_metrics_hold_route_templates_and_nothing_a_client_sent(
    app: FastAPI, dm: UserClient, anon: TestClient, api_platform: Platform
) -> None:
    _hostile_requests(dm, api_platform)
    _hostile_requests(anon, api_platform)
    with TestClient(app, client=LOOPBACK) as scraper:
        text = scraper.get("/metrics", params={"name": NAME}).text
    assert _leaked(text) == []
    templates = {c.path for c in iter_route_contexts(app.routes) if c.path}
    allowed_routes = templates | {metrics.UNMATCHED, "/static/{path}"}
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for key, value in sample.labels.items():
                labels.setdefault(key, set()).add(value)
    assert labels["route"] <= allowed_routes, labels["route"] - allowed_routes
    assert {metrics.UNMATCHED, "/static/{path}", f"{API}/cases/{{case_id}}".replace(
        REG, "{registry}")} <= labels["route"]  # fmt: skip
    assert labels["method"] <= metrics.METHODS | {metrics.OTHER_METHOD}
    assert "other" in labels["method"]
    assert labels["status"] <= {"1xx", "2xx", "3xx", "4xx", "5xx"}
    assert set(labels) <= {"method", "route", "status", "mode", "state", "le"}


def test_logs_hold_no_identifier_query_body_or_credential(
    json_logs: io.StringIO, dm: UserClient, anon: TestClient, api_platform: Platform
) -> None:
    sent = _hostile_requests(dm, api_platform) + _hostile_requests(anon, api_platform)
    try:
        raise RuntimeError(f"duplicate key (local_case_id)=({NAME} {MRN})")  # noqa: TRY301
    except RuntimeError:  # what uvicorn logs for an unhandled exception
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    text = json_logs.getvalue()
    assert _leaked(text) == [], [line for line in text.splitlines() if _leaked(line)]
    assert "name=" not in text
    assert "RuntimeError" in text
    access = [line for line in text.splitlines() if '"logger": "printreg.access"' in line]
    assert len(access) >= sent  # every request has its line (the upload polls add more)
    assert all(re.search(r'"request_id": "[0-9a-f]{32}"', line) for line in access)
    assert any(f'"route": "{API.replace(REG, "{registry}")}/cases"' in line for line in access)


def test_metrics_are_refused_to_other_machines_and_to_forwarded_requests(app: FastAPI) -> None:
    with TestClient(app) as remote, TestClient(app, client=LOOPBACK) as local:
        assert remote.get("/metrics").status_code == 403
        for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
            assert local.get("/metrics", headers={header: "203.0.113.9"}).status_code == 403
        assert local.get("/metrics").status_code == 200


def test_with_a_token_metrics_need_it_from_everywhere(api_platform: Platform) -> None:
    settings = api_platform.settings.model_copy(update={"metrics_token": TOKEN})
    secured = create_app(settings)
    try:
        _check_token(secured)
    finally:
        secured.state.platform.close()
    with pytest.raises(ValueError, match="metrics_token"):
        Settings(metrics_token="short")  # noqa: S106 - a too-short token is the point


def _check_token(secured: FastAPI) -> None:
    with TestClient(secured) as remote, TestClient(secured, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 401
        assert (
            remote.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40}).status_code
            == 401
        )
        assert remote.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
        answer = remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert "printreg_http_requests_total" in answer.text


def test_readiness_of_a_broken_database_shows_no_url_password_or_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgresql+psycopg://registry_owner:S3cr3t-Pa55word@127.0.0.1:9/registry_prod"
    app = create_app(Settings(database_url=url))
    try:
        with caplog.at_level(logging.WARNING, logger="printreg.ops"):
            response = TestClient(app).get("/readyz")  # no lifespan: the database is gone
    finally:
        app.state.platform.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert [name for name, check in body["checks"].items() if not check["ok"]] == [
        "database", "migrations",
    ]  # fmt: skip
    for secret in ("S3cr3t", "registry_owner", "registry_prod", "127.0.0.1", "Traceback",
                   "psycopg", "refused"):  # fmt: skip
        assert secret not in response.text
    assert "S3cr3t" not in caplog.text
    assert "readiness" in caplog.text  # the operators are told why, in the log


def test_anonymous_clients_reach_only_the_public_routes(anon: TestClient) -> None:
    opened = set()
    checked = 0
    for context in iter_route_contexts(anon.app.routes):  # type: ignore[attr-defined]
        path = context.path
        if "GET" not in (context.methods or ()) or not path:
            continue
        url = path.replace("{registry}", REG).replace("{path}", "printreg.css")
        if "{" in url:
            continue  # names something: refused without a session (the isolation tests)
        checked += 1
        if anon.get(url, follow_redirects=False).status_code < 300:
            opened.add(path)
    assert checked >= 15
    assert opened - set(PUBLIC) == set(), "routes open to anyone that are not listed as public"
    assert {"/healthz", "/readyz", "/login"} <= opened
    assert "/metrics" not in opened
