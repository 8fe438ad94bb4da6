"""THE ISOLATION MATRIX: every principal × every case endpoint × own/other facility.

Principals are the demo people (one per role; the facility roles hold them at F0001) and an API
token with every scope of F0001's data manager. Case endpoints are read from the application's
routes (every route whose path contains ``/cases``), so a new case endpoint that has no entry in
``ENDPOINTS`` below makes its cells fail. "own" targets F0001, "other" targets F0002.

Each cell acts on a case made for it (fresh, so cells are independent on one shared database per
module) and checks the status, that no case body leaks, that refused writes store nothing, and
that a 404 for another facility's existing case says exactly what a 404 for an id that exists
nowhere says.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import TEMPLATE
from tests.support.files import box_stl, clean_ct
from tests.support.pgserver import PostgresServer, create_database, drop_database
from tests.support.records import records
from tests.support.smtp import smtp_sink, with_mail
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    SPONSOR,
    VIEWER,
    UserClient,
    post_login,
    session_csrf,
)

from printreg.accounts.actor import Actor
from printreg.assessment_links.models import AssessmentLink
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.demo.synth import load_synthetic
from printreg.files.models import CaseImaging, PrintMesh
from printreg.files.service import CaseFileService
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app


def _case_routes() -> list[tuple[str, str]]:
    """Return (method, path) of every route of the application whose path contains /cases."""
    app = create_app(Settings(database_url="sqlite://"))
    try:
        found = {
            (method, route.path)
            for route in iter_route_contexts(app.routes)
            if route.path and "/cases" in route.path
            for method in route.methods or ()
            if method != "HEAD"
        }
    finally:
        app.state.platform.close()
    return sorted(found, key=lambda m: (m[1], m[0]))


CASES = "/api/v1/registries/{registry}/cases"
ENDPOINTS: dict[tuple[str, str], str] = {
    ("GET", CASES): "list",
    ("POST", CASES): "create",
    ("GET", CASES + "/{case_id}"): "get",
    ("PUT", CASES + "/{case_id}"): "update",
    ("DELETE", CASES + "/{case_id}"): "delete",
    ("POST", CASES + "/{case_id}/restore"): "restore",
    ("GET", CASES + "/{case_id}/history"): "history",
    ("POST", CASES + "/{case_id}/dicom"): "dicom",
    ("GET", CASES + "/{case_id}/imaging"): "imaging",
    ("POST", CASES + "/{case_id}/prints/{row}/mesh"): "mesh_upload",
    ("GET", CASES + "/{case_id}/prints/{row}/mesh"): "mesh",
    ("GET", CASES + "/{case_id}/prints/{row}/mesh/thumbnail.png"): "thumbnail",
    ("GET", CASES + "/{case_id}/prints/{row}/mesh/model"): "model",
    ("POST", CASES + "/{case_id}/queries"): "raise_query",
    ("GET", CASES + "/{case_id}/queries"): "queries",
    ("POST", CASES + "/{case_id}/assessment-links"): "assessment_link",
    ("GET", CASES + "/{case_id}/fhir"): "fhir",
    ("POST", CASES + "/{case_id}/pacs"): "pacs",
}
# The HTML pages' case routes: checked for isolation from the other facility (below).
PAGES = "/registries/{registry}/cases"
PAGE_ENDPOINTS: dict[tuple[str, str], str] = {
    ("GET", PAGES): "list",
    ("GET", PAGES + "/new"): "new",
    ("POST", PAGES + "/new"): "new",
    ("GET", PAGES + "/{case_id}"): "case",
    ("GET", PAGES + "/{case_id}/edit"): "case",
    ("POST", PAGES + "/{case_id}/edit"): "case",
    ("POST", PAGES + "/{case_id}/delete"): "case",
    ("POST", PAGES + "/{case_id}/restore"): "case",
    ("POST", PAGES + "/{case_id}/dicom"): "case",
    ("POST", PAGES + "/{case_id}/prints/{row}/mesh"): "case",
    ("POST", PAGES + "/{case_id}/queries"): "case",
    ("POST", PAGES + "/{case_id}/assessment-links"): "case",
    ("POST", PAGES + "/{case_id}/pacs"): "case",
}
ROUTES = _case_routes()
API_ROUTES = [r for r in ROUTES if r[1].startswith("/api/")]
PAGE_ROUTES = [r for r in ROUTES if not r[1].startswith("/api/")]

# Principal → how it signs in. Facility roles are held at HOME (F0001).
PRINCIPALS: dict[str, str] = {
    "registry_admin": REGISTRY_ADMIN,
    "facility_admin": FACILITY_ADMIN,
    "data_manager": DATA_MANAGER,
    "viewer": VIEWER,
    "researcher": RESEARCHER,
    "sponsor": SPONSOR,
    "dm_token_all_scopes": DATA_MANAGER,
}
SIDES = ("own", "other")
OK = {"list": 200, "create": 201, "get": 200, "update": 200, "delete": 200, "restore": 200,
      "history": 200, "dicom": 201, "imaging": 200, "mesh_upload": 201, "mesh": 200,
      "thumbnail": 200, "model": 200, "raise_query": 201, "queries": 200,
      "assessment_link": 201, "fhir": 200,
      # no facility has a PACS here: an allowed search gets as far as saying so (502)
      "pacs": 502}  # fmt: skip
READS = frozenset({"list", "get", "history", "imaging", "mesh", "thumbnail", "model", "queries",
                   "fhir"})  # fmt: skip
# Case files: a clean DICOM header (the identified fixture, de-identified) and a 12-triangle box.
CLEAN_DICOM = clean_ct()
BOX_STL = box_stl()
MESH_READS = frozenset({"mesh", "thumbnail", "model"})


def expected_status(principal: str, endpoint: str, side: str) -> int:
    """Return the status the matrix demands for one cell."""
    if endpoint == "list":
        return 200  # lists filter, they never refuse: what they hold is checked separately
    if endpoint == "pacs" and principal == "registry_admin":
        return 404  # a facility's PACS is for its own people, not registry-wide roles
    if principal == "registry_admin":
        return OK[endpoint]
    if endpoint == "raise_query" and principal == "dm_token_all_scopes":
        return 403 if side == "own" else 404  # queries are raised by people, never by tokens
    if principal in {"facility_admin", "data_manager", "dm_token_all_scopes"}:
        return OK[endpoint] if side == "own" else 404
    if principal == "viewer":
        if side == "other":
            return 404
        return OK[endpoint] if endpoint in READS else 403
    assert principal in {"researcher", "sponsor"}
    return 404


def may_see(principal: str, side: str) -> bool:
    """Return whether a principal's list may hold the side's cases."""
    if principal == "registry_admin":
        return True
    return side == "own" and principal in {"facility_admin", "data_manager", "viewer",
                                            "dm_token_all_scopes"}  # fmt: skip


CELLS = [
    pytest.param(principal, route, side, id=f"{principal}-{ENDPOINTS.get(route, 'UNMAPPED ' + ' '.join(route))}-{side}")
    for principal in PRINCIPALS
    for route in API_ROUTES
    for side in SIDES
]  # fmt: skip
PAGE_PRINCIPALS = [p for p in PRINCIPALS if p != "registry_admin"]
PAGE_CELLS = [
    pytest.param(
        principal, route, id=f"{principal}-page {route[0]} {route[1].removeprefix(PAGES) or '/'}"
    )
    for principal in PAGE_PRINCIPALS
    for route in PAGE_ROUTES
]


# -- one database for the module ----------------------------------------------------------------


@dataclass
class World:
    """The module's platform and one signed-in client per principal."""

    platform: Platform
    clients: dict[str, UserClient]
    counter: Iterator[int]

    def new_record(self, facility: str) -> dict[str, Any]:
        record = records(facility, 1)[0]
        record["local_case_id"] = f"MX-{next(self.counter):04d}"
        return record

    def new_case(self, facility: str, *, deleted: bool = False) -> str:
        service = CaseService(self.platform, Actor.operator("matrix"))
        saved = service.create(REG, facility, self.new_record(facility))
        if deleted:
            service.delete(REG, saved.id)
        return str(saved.id)

    def state(self, case_id: str) -> tuple[int, str | None]:
        case = CaseService(self.platform, Actor.operator("matrix")).get(REG, uuid.UUID(case_id))
        return case.row_version, case.deleted_at.isoformat() if case.deleted_at else None

    def count(self) -> int:
        main = self.platform.registry(REG).tables.main
        with self.platform.sessions() as session:
            return session.scalar(select(func.count()).select_from(main)) or 0

    def attach_mesh(self, case_id: str) -> None:
        files = CaseFileService(self.platform, Actor.operator("matrix"))
        files.attach_mesh(REG, uuid.UUID(case_id), 1, "box.stl", BOX_STL)

    def links_of(self, case_id: str) -> int:
        """Return how many assessment links were sent for the case."""
        with self.platform.sessions() as session:
            found = session.scalar(
                select(func.count())
                .select_from(AssessmentLink)
                .where(AssessmentLink.case_id == uuid.UUID(case_id))
            )
        return found or 0

    def files_of(self, case_id: str) -> tuple[int, int]:
        """Return how many DICOM studies and model files the case holds."""
        ident = uuid.UUID(case_id)
        with self.platform.sessions() as session:
            studies = session.scalar(
                select(func.count()).select_from(CaseImaging).where(CaseImaging.case_id == ident)
            )
            meshes = session.scalar(
                select(func.count()).select_from(PrintMesh).where(PrintMesh.case_id == ident)
            )
        return studies or 0, meshes or 0


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])  # fmt: skip
def matrix_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield a fresh migrated database for the whole module (cells make their own cases)."""
    wanted = request.config.getoption("--db")
    if request.param == "sqlite":
        if wanted == "postgresql":
            pytest.skip("--db postgresql")
        path = Path(tmp_path_factory.mktemp("matrix")) / "printreg.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if wanted == "sqlite":
        pytest.skip("--db sqlite")
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL unavailable")
    name = f"m_{uuid.uuid4().hex[:12]}"
    create_database(server, name, template=TEMPLATE)
    try:
        yield server.url(name)
    finally:
        drop_database(server, name)


@pytest.fixture(scope="module")
def world(matrix_url: str) -> Iterator[World]:
    """Seed F0001/F0002, create the demo people, sign each principal in (e-mail goes to a
    loopback SMTP server, so that sending an assessment link can succeed)."""
    mail = ExitStack()
    sink = mail.enter_context(smtp_sink())
    settings = with_mail(Settings(database_url=matrix_url), sink.host, sink.port)
    platform = Platform.from_settings(settings)
    load_synthetic(platform, Actor.operator("matrix"), registry=REG, seed=7, facilities=2, cases=0)
    ensure_demo_accounts(platform, REG, (HOME, OTHER))
    app = create_app(settings, platform)
    clients: dict[str, UserClient] = {}
    for principal, email in PRINCIPALS.items():
        if principal == "dm_token_all_scopes":
            continue
        http = TestClient(app)
        assert post_login(http, email, DEMO_PASSWORD).status_code == 303
        clients[principal] = UserClient(http, email, session_csrf(platform, http))
    made = clients["data_manager"].post(
        "/api/v1/tokens",
        json={"name": "matrix", "facility": HOME,
              "scopes": ["cases:read", "cases:write", "reports:read"]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    bearer = TestClient(app)
    bearer.headers["Authorization"] = f"Bearer {made.json()['token']}"
    clients["dm_token_all_scopes"] = UserClient(bearer, DATA_MANAGER, "")
    try:
        yield World(platform, clients, itertools.count(1))
    finally:
        for client in clients.values():
            client.http.close()
        platform.close()
        mail.close()


# -- the cells ----------------------------------------------------------------------------------


def _anonymised(response: httpx.Response, case_id: str) -> bytes:
    return response.content.replace(case_id.encode(), b"<case-id>")


def _check_no_case_body(response: httpx.Response) -> None:
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) <= {"detail", "issues"}, f"an error leaked more than a message: {body}"


def _list_cell(world: World, client: UserClient, principal: str, side: str) -> None:
    own_case, other_case = world.new_case(HOME), world.new_case(OTHER)
    target = own_case if side == "own" else other_case
    facility = HOME if side == "own" else OTHER
    filtered = client.get(f"/api/v1/registries/{REG}/cases", params={"facility": facility,
                                                                    "limit": 500})  # fmt: skip
    everything = client.get(f"/api/v1/registries/{REG}/cases", params={"limit": 500})
    assert everything.status_code == 200, everything.text
    all_items = everything.json()["items"]
    assert (target in {c["id"] for c in all_items}) == may_see(principal, side)
    if may_see(principal, side):
        assert filtered.status_code == 200, filtered.text
        assert target in {c["id"] for c in filtered.json()["items"]}
    else:
        # Another facility's code answers exactly as a code that does not exist.
        unknown = client.get(f"/api/v1/registries/{REG}/cases", params={"facility": "F9999"})
        assert filtered.status_code == unknown.status_code == 404
        assert filtered.content == unknown.content
    if principal != "registry_admin":
        assert {c["facility"] for c in all_items} <= {HOME}, "a list showed another facility"
    if principal in {"researcher", "sponsor"}:
        assert all_items == []


def _create_cell(world: World, principal: str, side: str) -> None:
    """Create a case at the side's facility; check that it is stored exactly when allowed."""
    client = world.clients[principal]
    facility = HOME if side == "own" else OTHER
    want = expected_status(principal, "create", side)
    before = world.count()
    record = world.new_record(facility)
    response = client.post(
        f"/api/v1/registries/{REG}/cases", params={"facility": facility}, json=record
    )
    assert response.status_code == want, response.text
    assert world.count() == before + (1 if want == 201 else 0)
    if want == 201:
        assert response.json()["local_case_id"] == record["local_case_id"]
    else:
        _check_no_case_body(response)


def _same_as_nowhere(client: UserClient, response: httpx.Response, case_id: str) -> None:
    """Check that the same request for an id that exists nowhere answers the very same bytes."""
    nowhere = str(uuid.uuid4())
    sent_type = response.request.headers.get("content-type", "application/json")
    # An upload refused before its body was read leaves the request's stream unread: read it.
    sent = response.request.read()
    ghost = client.request(
        response.request.method,
        str(response.request.url).replace(case_id, nowhere),
        content=sent or None,
        headers={"Content-Type": sent_type} if sent else None,
    )
    assert ghost.status_code == 404
    assert _anonymised(ghost, nowhere) == _anonymised(response, case_id)


def _check_file_body(
    world: World, endpoint: str, response: httpx.Response, case_id: str, before: tuple[int, int]
) -> None:
    """Check what an allowed case-file request answered and stored."""
    if endpoint == "dicom":
        assert response.json()["prefill"]["source_modalities"] == ["ct"]
        assert world.files_of(case_id) == (before[0] + 1, before[1])
    elif endpoint == "imaging":
        assert response.json() == []
    elif endpoint in {"mesh_upload", "mesh"}:
        assert response.json()["measurement"]["triangles"] == 12
        assert world.files_of(case_id)[1] == 1
    elif endpoint == "thumbnail":
        assert response.content.startswith(b"\x89PNG")
    elif endpoint == "model":
        assert response.content.startswith(b"glTF")
    assert world.state(case_id)[0] == 1, "a case file changed the case record"


FILE_REQUESTS: dict[str, Callable[[UserClient, str], httpx.Response]] = {
    "dicom": lambda c, url: c.post(f"{url}/dicom", files=[("files", ("ct.dcm", CLEAN_DICOM))]),
    "imaging": lambda c, url: c.get(f"{url}/imaging"),
    "mesh_upload": lambda c, url: c.post(
        f"{url}/prints/1/mesh", files={"file": ("box.stl", BOX_STL)}
    ),
    "mesh": lambda c, url: c.get(f"{url}/prints/1/mesh"),
    "thumbnail": lambda c, url: c.get(f"{url}/prints/1/mesh/thumbnail.png"),
    "model": lambda c, url: c.get(f"{url}/prints/1/mesh/model"),
    "pacs": lambda c, url: c.post(f"{url}/pacs", json={"accession_number": "MX1"}),
}


QUERY_REQUESTS: dict[str, Callable[[UserClient, str], httpx.Response]] = {
    "raise_query": lambda c, url: c.post(
        f"{url}/queries", json={"path": "time_saved_min", "text": "Check"}
    ),
    "queries": lambda c, url: c.get(f"{url}/queries"),
    "assessment_link": lambda c, url: c.post(
        f"{url}/assessment-links", json={"email": "md@hospital.example"}
    ),
}


def _check_query_body(endpoint: str, body: Any, case_id: str, facility: str) -> None:
    """Check what an allowed query request answered: the new query, or the case's (none)."""
    if endpoint == "raise_query":
        assert (body["case_id"], body["facility"]) == (case_id, facility)
    if endpoint == "queries":
        assert body == []


def _check_ok_body(
    world: World,
    endpoint: str,
    body: Any,
    case_id: str,
    facility: str,
    states: tuple[tuple[int, str | None], tuple[int, str | None]],
) -> None:
    """Check what an allowed request on the case record answered and did."""
    before_state, after_state = states
    if endpoint in {"get", "delete", "restore"}:
        assert body["id"] == case_id
        assert body["facility"] == facility
    if endpoint == "history":
        assert body[0]["action"] == "create"
    if endpoint == "fhir":
        assert (body["resourceType"], body["id"]) == ("Bundle", case_id)
    _check_query_body(endpoint, body, case_id, facility)
    if endpoint in {"update", "delete", "restore"}:
        assert after_state[0] == before_state[0] + 1
    if endpoint == "delete":
        assert after_state[1] is not None
    if endpoint == "assessment_link":
        assert body["case_id"] == case_id
        assert world.links_of(case_id) == 1
        assert after_state == before_state, "sending a link changed the case"
    if endpoint == "restore":
        assert after_state[1] is None


def _run_cell(world: World, principal: str, endpoint: str, side: str) -> None:
    """Do the cell's request on a case made for it and check the answer and its effect."""
    client = world.clients[principal]
    facility = HOME if side == "own" else OTHER
    want = expected_status(principal, endpoint, side)
    case_id = world.new_case(facility, deleted=endpoint == "restore")
    if endpoint in MESH_READS:
        world.attach_mesh(case_id)
    before_state = world.state(case_id)
    before_files = world.files_of(case_id)
    url = f"/api/v1/registries/{REG}/cases/{case_id}"
    if endpoint in FILE_REQUESTS | QUERY_REQUESTS:
        response = (FILE_REQUESTS | QUERY_REQUESTS)[endpoint](client, url)
    elif endpoint == "get":
        response = client.get(url)
    elif endpoint in {"history", "fhir"}:
        response = client.get(f"{url}/{endpoint}")
    elif endpoint == "update":
        shown = CaseService(world.platform, Actor.operator("matrix")).get(REG, uuid.UUID(case_id))
        changed = {**shown.record, "time_saved_min": 1 + (shown.record.get("time_saved_min") or 0)}
        response = client.put(url, json=changed, headers={"If-Match": str(before_state[0])})
    elif endpoint == "delete":
        response = client.delete(url)
    elif endpoint == "restore":
        response = client.post(f"{url}/restore")
    else:  # pragma: no cover - ENDPOINTS names only the above
        raise AssertionError(endpoint)
    assert response.status_code == want, f"{response.status_code} {response.text}"

    after_state = world.state(case_id)
    if want // 100 == 2 and endpoint in FILE_REQUESTS:
        _check_file_body(world, endpoint, response, case_id, before_files)
    elif want // 100 == 2:
        _check_ok_body(world, endpoint, response.json(), case_id, facility,
                       (before_state, after_state))  # fmt: skip
    else:
        _check_no_case_body(response)
        if want == OK["pacs"] and endpoint == "pacs":
            assert response.json()["detail"].startswith("this facility has no PACS configured")
        assert after_state == before_state, "a refused request changed the case"
        assert world.files_of(case_id) == before_files, "a refused request stored a file"
        assert world.links_of(case_id) == 0, "a refused request sent an assessment link"
    if want == 404:
        _same_as_nowhere(client, response, case_id)


@pytest.mark.parametrize(("principal", "route", "side"), CELLS)
def test_isolation_cell(world: World, principal: str, route: tuple[str, str], side: str) -> None:
    endpoint = ENDPOINTS.get(route)
    assert endpoint is not None, (
        f"case endpoint {route[0]} {route[1]} has no entry in the isolation matrix: "
        "add it to ENDPOINTS and say what every principal may do with it"
    )
    if endpoint == "list":
        _list_cell(world, world.clients[principal], principal, side)
    elif endpoint == "create":
        _create_cell(world, principal, side)
    else:
        _run_cell(world, principal, endpoint, side)


def test_matrix_covers_every_case_endpoint() -> None:
    """The matrix enumerates the app's case routes, and every named endpoint still exists."""
    named = set(ENDPOINTS) | set(PAGE_ENDPOINTS)
    assert set(ROUTES) == named, (
        f"unmapped: {sorted(set(ROUTES) - named)}; gone: {sorted(named - set(ROUTES))}"
    )
    cells = len(PRINCIPALS) * len(API_ROUTES) * len(SIDES)
    assert len(CELLS) == cells
    assert len(PAGE_CELLS) == len(PAGE_PRINCIPALS) * len(PAGE_ROUTES)
    print(  # noqa: T201 - the matrix size is part of the report
        f"\nisolation matrix: {len(PRINCIPALS)} principals × {len(API_ROUTES)} API case endpoints"
        f" × {len(SIDES)} facilities = {cells} cells per database; pages: "
        f"{len(PAGE_PRINCIPALS)} principals × {len(PAGE_ROUTES)} case pages × other facility = "
        f"{len(PAGE_CELLS)} cells per database"
    )


# -- the HTML pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(("principal", "route"), PAGE_CELLS)
def test_page_isolation_cell(world: World, principal: str, route: tuple[str, str]) -> None:
    """No case page shows, changes or betrays another facility's case (tokens get no pages)."""
    kind = PAGE_ENDPOINTS.get(route)
    assert kind is not None, (
        f"case page {route[0]} {route[1]} has no entry in the isolation matrix: "
        "add it to PAGE_ENDPOINTS"
    )
    method, path = route
    client = world.clients[principal]
    case_id = world.new_case(OTHER, deleted=path.endswith("/restore"))
    local_id = (
        CaseService(world.platform, Actor.operator("matrix"))
        .get(REG, uuid.UUID(case_id))
        .record["local_case_id"]
    )
    before = (world.count(), world.state(case_id))

    def send(target: str) -> httpx.Response:
        url = path.replace("{registry}", REG).replace("{case_id}", target).replace("{row}", "1")
        params = {"facility": OTHER} if kind == "new" else None
        data = {"csrf_token": client.csrf} if method == "POST" else None
        return client.request(method, url, params=params, data=data, follow_redirects=False)

    response = send(case_id)
    assert response.status_code < 500, response.text
    assert (world.count(), world.state(case_id)) == before, "a page changed data it may not"
    assert local_id not in response.text
    if principal == "dm_token_all_scopes":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
        return
    assert "location" not in response.headers
    if kind == "list":
        assert response.status_code == 200
    elif kind == "new":
        assert response.status_code == 404, f"{principal}: {response.status_code}"
    else:
        assert response.status_code == 404
        nowhere = str(uuid.uuid4())
        ghost = send(nowhere)
        assert ghost.status_code == 404
        assert _anonymised(ghost, nowhere) == _anonymised(response, case_id)


# -- existence of facilities --------------------------------------------------------------------


def test_create_at_another_facility_answers_like_an_unknown_facility(world: World) -> None:
    """POST .../cases?facility=F0002 and ?facility=F9999 both answer 404 "no such facility"
    (tests/security/test_information_leaks.py walks every route so)."""
    client = world.clients["data_manager"]
    url = f"/api/v1/registries/{REG}/cases"
    other = client.post(url, params={"facility": OTHER}, json=world.new_record(OTHER))
    unknown = client.post(url, params={"facility": "F9999"}, json=world.new_record(OTHER))
    assert other.status_code == unknown.status_code == 404
    assert other.content == unknown.content
    assert other.json() == {"detail": "no such facility"}


def test_list_of_another_facility_answers_like_an_unknown_facility(world: World) -> None:
    """GET .../cases?facility=F0002 answers as ?facility=F9999: 404 "no such facility"."""
    client = world.clients["data_manager"]
    url = f"/api/v1/registries/{REG}/cases"
    other = client.get(url, params={"facility": OTHER})
    unknown = client.get(url, params={"facility": "F9999"})
    assert other.status_code == unknown.status_code == 404
    assert other.content == unknown.content
