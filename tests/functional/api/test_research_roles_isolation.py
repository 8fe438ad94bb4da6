"""Sponsors and researchers never reach case-level data: every route of the application × both.

Routes are read from the application, so a new route is checked without being listed here. Each
is called with its placeholders filled from real data of F0001 (a case, the facility, an import
job, a print row, ...) and ``?facility=F0001``. The answer must be:

- for a route that names a case, a facility or an import job: a refusal, 404 (like anyone's
  foreign data) or 403, or FastAPI's 422 for a body it never handed to the route;
- for every other route: a refusal, or an answer that holds no case-level data;
- the data export and the registry overview: 403 (registry-wide endpoints);
- and nothing stored changes.

``NO_CASE_DATA`` lists the routes that hold no case data at all (definitions, public
aggregates, one's own account); research request routes are checked in test_data_requests.py,
where the researcher's own approved extract is the one case-level answer allowed.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import TEMPLATE
from tests.support.assessment_links import stored_link
from tests.support.pgserver import PostgresServer, create_database, drop_database
from tests.support.records import records
from tests.support.web import (
    DATA_MANAGER,
    HOME,
    OTHER,
    REG,
    RESEARCHER,
    SPONSOR,
    UserClient,
    post_login,
    session_csrf,
)

from printreg.accounts.actor import Actor
from printreg.accounts.models import Membership, User
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.demo.synth import load_synthetic
from printreg.facilities.models import Facility, Printer
from printreg.imports.models import ImportJob
from printreg.platform import Platform
from printreg.queries.service import QueryService
from printreg.settings import Settings
from printreg.web.app import create_app

PRINCIPALS = {"researcher": RESEARCHER, "sponsor": SPONSOR}
#: placeholders that name facility-level data: a route with one must refuse
FACILITY_KEYS = ("{case_id}", "{facility}", "{code}", "{job_id}", "{query_id}", "{link_id}")
#: registry-wide routes over case data: 403
REGISTRY_WIDE = {
    ("GET", "/api/v1/registries/{registry}/export"),
    ("GET", "/api/v1/registries/{registry}/overview"),
}
#: routes that hold no case-level data; anyone signed in may get a 2xx from them
NO_CASE_DATA = {
    ("GET", "/openapi.json"), ("GET", "/api/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/api/v1/health"), ("GET", "/api/v1/registries"),
    ("GET", "/api/v1/registries/{registry}"), ("GET", "/api/v1/registries/{registry}/definition"),
    ("GET", "/api/v1/registries/{registry}/template.csv"),
    ("GET", "/api/v1/registries/{registry}/template.xlsx"),
    ("GET", "/api/v1/registries/{registry}/fhir/Questionnaire"),  # the definition, as FHIR
    ("GET", "/api/v1/registries/{registry}/public"), ("GET", "/api/v1/registries/{registry}/value"),
    ("GET", "/api/v1/users/me"), ("GET", "/api/v1/tokens"),
    ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/"), ("GET", "/account"),
    ("GET", "/login/sso"), ("GET", "/login/sso/callback"),  # single sign-on (test_sso.py)
    ("GET", "/public/{registry}"),
    # one's own notifications and e-mail choices (tests/security/test_notifications.py)
    ("GET", "/api/v1/notifications/preferences"), ("PUT", "/api/v1/notifications/preferences"),
    # operations probes and metrics (route templates and counts only; see tests/security/test_ops_leaks.py)
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
}  # fmt: skip
SKIPPED = {("POST", "/logout"), ("POST", "/login")}  # would end or replace the session
#: bodies that pass validation, so that the route's own authorization answers
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/facilities/{facility}/pacs": {"base_url": "http://127.0.0.1:9/dicom-web"},
    "/api/v1/registries/{registry}/cases/{case_id}/pacs": {"accession_number": "RX1"},
    "/api/v1/facilities/{facility}/printers": {"label": "P9", "technology": "material_jetting"},
    "/api/v1/registries/{registry}/lifecycle": {"status": "closed"},
    "/api/v1/registries/{registry}/versions/{version}/upgrade": {"cases": "all", "dry_run": True},
    "/api/v1/registries/{registry}/enrollments/{facility}/status": {"status": "suspended"},
    "/api/v1/registries/{registry}/enrollments/{facility}/decision": {"decision": "approve"},
    "/api/v1/registries/{registry}/votes/{subject_type}/{subject_id}": {"vote": "approve"},
    "/api/v1/users/{user_id}/memberships/{registry}/{facility}": {"role": "viewer"},
    "/api/v1/tokens": {"name": "x", "facility": HOME, "scopes": ["cases:read"]},
    "/api/v1/registries/{registry}/cases/{case_id}/assessment-links": {"email": "md@x.example"},
    "/api/v1/notifications/preferences": {"email": {}},
    "/api/v1/registries/{registry}/cases/{case_id}/queries": {
        "path": "time_saved_min",
        "text": "Please check",
    },
    "/api/v1/queries/{query_id}/confirm": {"reason": "It is right"},
    "/api/v1/queries/{query_id}/reopen": {"text": "Still unclear"},
    "/api/v1/registries/{registry}/quality/facilities/{facility}/rules/{rule}/queries": {
        "text": "Please check"
    },
}
RESEARCH = ("/api/v1/requests", "/requests", "/api/v1/registries/{registry}/requests",
            "/registries/{registry}/requests")  # fmt: skip


def _routes() -> list[tuple[str, str, bool]]:
    """Return (method, path, takes a file upload) of every route of the application."""
    app = create_app(Settings(database_url="sqlite://"))
    found: set[tuple[str, str, bool]] = set()
    try:
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            uploads = isinstance(route, APIRoute) and any(
                "UploadFile" in str(p.field_info.annotation) for p in route.dependant.body_params
            )
            for method in context.methods or ():
                if method != "HEAD" and context.path:
                    found.add((method, context.path, uploads or context.path.endswith("/mesh")
                               or context.path.endswith("/dicom")))  # fmt: skip
    finally:
        app.state.platform.close()
    return sorted(found, key=lambda r: (r[1], r[0]))


ROUTES = [r for r in _routes() if (r[0], r[1]) not in SKIPPED and not r[1].startswith(RESEARCH)]
CELLS = [
    pytest.param(principal, route, id=f"{principal}-{route[0]} {route[1]}")
    for principal in PRINCIPALS
    for route in ROUTES
]


@dataclass
class World:
    """The module's platform, F0001's data, and one signed-in client per principal."""

    platform: Platform
    clients: dict[str, UserClient]
    values: dict[str, str]
    secrets: list[str]  # texts that only case-level data holds

    def state(self) -> tuple[Any, ...]:
        """Return a fingerprint of the stored data a refused request must leave alone."""
        main = self.platform.registry(REG).tables.main
        with self.platform.sessions() as session:
            return (
                session.execute(select(func.count(), func.sum(main.c.row_version),
                                       func.count(main.c.deleted_at))).one(),
                *(session.scalar(select(func.count()).select_from(t))
                  for t in (Facility, Printer, Membership, User, ImportJob)),
            )  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def world_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield a fresh migrated database for the whole module."""
    wanted = request.config.getoption("--db")
    if request.param == "sqlite":
        if wanted == "postgresql":
            pytest.skip("--db postgresql")
        path = Path(tmp_path_factory.mktemp("roles")) / "printreg.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if wanted == "sqlite":
        pytest.skip("--db sqlite")
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL unavailable")
    name = f"r_{uuid.uuid4().hex[:12]}"
    create_database(server, name, template=TEMPLATE)
    try:
        yield server.url(name)
    finally:
        drop_database(server, name)


def _sign_in(app: Any, platform: Platform, email: str) -> UserClient:
    http = TestClient(app)
    assert post_login(http, email, DEMO_PASSWORD).status_code == 303
    return UserClient(http, email, session_csrf(platform, http))


def _import_job(client: UserClient) -> str:
    """Return the id of a finished import job of F0001 (a file that cannot be imported)."""
    made = client.post(f"/api/v1/registries/{REG}/imports", params={"facility": HOME},
                       files={"file": ("cases.csv", b"status\ncomplete\n", "text/csv")})  # fmt: skip
    assert made.status_code == 202, made.text
    job = made.json()["id"]
    for _ in range(200):
        if client.get(f"/api/v1/imports/{job}").json()["status"] in {"done", "failed"}:
            return str(job)
        time.sleep(0.05)
    raise AssertionError("the import job did not finish")


@pytest.fixture(scope="module")
def world(world_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Seed F0001/F0002 with a case each, the demo people, an import job and a token."""
    data_dir = tmp_path_factory.mktemp("roles-data")
    settings = Settings(database_url=world_url, data_dir=str(data_dir))
    platform = Platform.from_settings(settings)
    load_synthetic(platform, Actor.operator("roles"), registry=REG, seed=7, facilities=2, cases=0)
    ensure_demo_accounts(platform, REG, (HOME, OTHER))
    service = CaseService(platform, Actor.operator("roles"))
    secrets: list[str] = []
    case_ids = {}
    for code in (HOME, OTHER):
        record = records(code, 1)[0]
        record["local_case_id"] = f"SECRET-{code}-0001"
        case_ids[code] = str(service.create(REG, code, record).id)
        secrets.append(record["local_case_id"])
    with platform.sessions() as session:
        secrets += list(session.scalars(select(Facility.name)))
        manager_id = session.scalar(select(User.id).where(User.email == DATA_MANAGER))
        printer_id = str(session.scalar(
            select(Printer.id).join(Facility, Facility.id == Printer.facility_id)
            .where(Facility.code == HOME).order_by(Printer.id)))  # fmt: skip
    app = create_app(settings, platform)
    manager = _sign_in(app, platform, DATA_MANAGER)
    token = manager.post("/api/v1/tokens", json={"name": "t", "facility": HOME,
                                                  "scopes": ["cases:read"]})  # fmt: skip
    assert token.status_code == 201, token.text
    values = {
        "registry": REG, "case_id": case_ids[HOME], "facility": HOME, "code": HOME,
        "job_id": _import_job(manager), "row": "1", "user_id": str(manager_id),
        "token_id": str(token.json()["id"]), "version": "1.0.0", "subject_type": "enrollment",
        "subject_id": "1", "path": "printreg.css", "printer_id": printer_id,
        "link_id": stored_link(platform, HOME, case_ids[HOME]), "token": "not-a-link",
        "action": "revoke", "notification_id": "1",
        "query_id": str(QueryService(platform, Actor.operator("roles")).raise_query(
            REG, uuid.UUID(case_ids[HOME]), "time_saved_min", "Please check").id),
        "rule": "age_plausible",
    }  # fmt: skip
    manager.http.close()
    clients = {p: _sign_in(app, platform, email) for p, email in PRINCIPALS.items()}
    try:
        yield World(platform, clients, values, secrets)
    finally:
        for client in clients.values():
            client.http.close()
        platform.close()


def _url(world: World, path: str) -> str:
    url = path
    for name, value in world.values.items():
        url = url.replace("{" + name + "}", value)
    assert "{" not in url, f"fill the placeholder of {path} in World.values"
    return url


def _send(world: World, client: UserClient, method: str, path: str, upload: bool) -> httpx.Response:
    url = _url(world, path)
    params = {} if (method, path) in REGISTRY_WIDE else {"facility": HOME}
    if method in {"GET", "DELETE"}:
        return client.request(method, url, params=params, follow_redirects=False)
    if upload:
        field = "files" if path.endswith("/dicom") else "file"
        files = {field: ("x.csv", b"status\n", "text/csv")}
        return client.request(method, url, params=params, files=files,
                              data={"csrf_token": client.csrf}, follow_redirects=False)  # fmt: skip
    if path.startswith("/api/"):
        body = BODIES.get(path, records(HOME, 1)[0] if "/cases" in path else {})
        return client.request(method, url, params=params, json=body, follow_redirects=False)
    return client.request(method, url, params=params, data={"csrf_token": client.csrf},
                          follow_redirects=False)  # fmt: skip


def _never_ran(response: httpx.Response) -> bool:
    """Return whether FastAPI refused the input before the route ran (its 422 list)."""
    if response.status_code != 422 or "json" not in response.headers.get("content-type", ""):
        return False
    return isinstance(response.json().get("detail"), list)


@pytest.mark.parametrize(("principal", "route"), CELLS)
def test_no_case_level_data_for_sponsors_and_researchers(
    world: World, principal: str, route: tuple[str, str, bool]
) -> None:
    method, path, upload = route
    client = world.clients[principal]
    before = world.state()
    response = _send(world, client, method, path, upload)
    where = f"{principal} {method} {path} → {response.status_code}"
    assert response.status_code < 500, f"{where}: {response.text[:300]}"
    assert world.state() == before, f"{where} changed stored data"
    text = response.text if "parquet" not in response.headers.get("content-type", "") else ""
    leaked = [s for s in world.secrets if s in text]
    assert not leaked, f"{where} showed case-level data: {leaked}"
    refused = response.status_code in {403, 404} or _never_ran(response)
    if (method, path) in REGISTRY_WIDE:
        assert response.status_code == 403, where
    elif any(key in path for key in FACILITY_KEYS):
        assert refused, f"{where}: a route naming facility data must refuse"
        if method == "GET" and path.startswith("/api/") and "{job_id}" not in path:
            assert response.status_code == 404, f"{where}: foreign data is not found"
    elif (method, path) not in NO_CASE_DATA and response.status_code < 400:
        _check_empty(where, response)


def _check_empty(where: str, response: httpx.Response) -> None:
    """A 2xx from a route outside NO_CASE_DATA must list nothing: an empty JSON list or page.

    JSON answers are an empty list, or an object whose ``items`` is empty (and ``total`` 0 when
    it counts); any other JSON object is case data this test does not know to be safe, so it
    fails until the route is added to NO_CASE_DATA. HTML pages are checked for the case-level
    texts in ``World.secrets`` by the caller; files (CSV, PDF, parquet, images) must not come.
    """
    if response.status_code in {303, 307}:
        return
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        body = response.json()
        if isinstance(body, dict):
            assert set(body) >= {"items"}, f"{where}: an object that is not an empty page: {body}"
            assert body["items"] == [], f"{where} listed {body['items']}"
            assert body.get("total", 0) == 0, f"{where} counted {body['total']}"
        else:
            assert body == [], f"{where} listed {body}"
    else:
        assert "html" in kind or not response.content, f"{where} answered a {kind} file"


def test_the_public_page_is_open_to_both(world: World) -> None:
    for client in world.clients.values():
        assert client.get(f"/api/v1/registries/{REG}/public").status_code == 200
        assert client.get(f"/public/{REG}").status_code == 200


def test_every_route_is_checked() -> None:
    """Both principals meet every route but the research ones and sign-in/out.

    The expected API routes come from the application's OpenAPI document, a source independent
    of ``_routes()``; the page routes are written out, so a page that stops being walked fails.
    """
    app = create_app(Settings(database_url="sqlite://"))
    try:
        spec = app.openapi()
    finally:
        app.state.platform.close()
    walked = {(method, path) for method, path, _ in ROUTES}
    api = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if not path.startswith(RESEARCH)
    }
    assert len(api) >= 40
    assert api - walked == set(), "API routes the matrix does not call"
    pages = {
        ("GET", "/registries/{registry}/cases"), ("GET", "/registries/{registry}/cases/{case_id}"),
        ("POST", "/registries/{registry}/cases/{case_id}/edit"),
        ("POST", "/registries/{registry}/cases/{case_id}/delete"),
        ("GET", "/registries/{registry}/dashboard"), ("POST", "/registries/{registry}/import"),
        ("POST", "/imports/{job_id}/commit"), ("POST", "/facilities/{code}/users"),
        ("GET", "/registries/{registry}/quality"),
        ("GET", "/registries/{registry}/quality/facilities/{facility}"),
        ("POST", "/registries/{registry}/quality/facilities/{facility}/rules/{rule}/queries"),
    }  # fmt: skip
    assert pages - walked == set(), "pages the matrix does not call"
    assert {principal for principal, _ in (cell.values for cell in CELLS)} == set(PRINCIPALS)
