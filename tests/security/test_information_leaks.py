"""Attack: learn what exists elsewhere from how printreg says "not found" (issue 12, point 6).

A signed-in person of F0001 (its data manager, administrator and viewer, and on the API the
data manager's token with every scope) probes identifiers that belong to F0002 (its code, a
case, an import job, a person, an API token, a data request) and identifiers that exist nowhere.
Every route of the application that takes such an identifier, in its path, its ``facility``
query parameter or (``BODY_CODES``) its body, is read from the application's route list, so a
new route is covered without being listed here; ``NOT_SECRET`` lists the placeholders that are
not probed and why. For each route and identifier the foreign and the unknown probe must answer
the very same status and the very same bytes, and change nothing.

Then the two account attacks: the role-change endpoint answers exactly like ``GET /users/{id}``
for people the caller may not see (and changes nothing), and creating a person does not tell
whether an e-mail address has an account outside the caller's facilities.
"""

from __future__ import annotations

import difflib
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from printreg.accounts.actor import Actor
from printreg.accounts.models import ApiToken, Membership, User
from printreg.accounts.service import AccountService
from printreg.assessment_links.models import AssessmentLink
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.demo.synth import load_synthetic
from printreg.domain.facility import Role
from printreg.facilities.models import Facility, Printer
from printreg.imports.models import ImportJob
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.models import Notification
from printreg.notifications.service import notify
from printreg.platform import Platform
from printreg.queries.service import QueryService
from printreg.requests.service import DataRequestService, RequestDraft
from printreg.settings import Settings
from printreg.storage.audit_log import AuditEntry
from printreg.web.app import create_app
from tests.conftest import TEMPLATE
from tests.support.assessment_links import stored_link
from tests.support.pgserver import PostgresServer, create_database, drop_database
from tests.support.records import records
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    VIEWER,
    UserClient,
    app_for,
    post_login,
    session_csrf,
)

#: placeholders that name something of one facility or one person: each is probed
SECRET = ("facility", "code", "case_id", "job_id", "user_id", "token_id", "request_id",
          "subject_id", "printer_id", "query_id", "link_id", "notification_id")  # fmt: skip
#: placeholders not probed, and why their existence is no secret
NOT_SECRET = {
    "registry": "registry codes are listed to everyone (GET /api/v1/registries, the public page)",
    "version": "a registry's definition versions are public (GET .../definition?version=)",
    "row": "a print's row number within a case: the case id around it is probed",
    "subject_type": "a fixed vocabulary (enrollment, data_request) named in the API docs",
    "path": "static files of the application",
    "rule": "a registry's quality rule ids are published in its quality.yaml (docs/quality.md)",
    "token": "an assessment link's secret: every one that opens nothing answers the same page "
    "(tests/security/test_assessment_links.py)",
    "action": "a fixed vocabulary (revoke, resend) of an assessment link's buttons",
}
#: routes whose JSON body carries a facility code, with the body to send ({code} is replaced)
BODY_CODES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/tokens"): {"name": "probe", "facility": "{code}", "scopes": ["cases:read"]},
    ("POST", "/api/v1/users"): {"email": "probe@example.org", "display_name": "Probe",
                                "memberships": {REG: {"{code}": "viewer"}}},
    ("POST", "/api/v1/registries/{registry}/enrollments"): {
        "facility": "{code}", "statement": "probe",
        "contacts": [{"role": "coordinator", "name": "A B", "email": "a@example.org"}]},
}  # fmt: skip
#: pages that read ``?facility=`` from the raw query string rather than a declared parameter
RAW_FACILITY_QUERY = {("GET", "/registries/{registry}/dashboard")}
#: bodies that pass validation, so that the route itself answers (not FastAPI's 422)
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/facilities/{facility}/pacs": {"base_url": "http://127.0.0.1:9/dicom-web"},
    "/api/v1/registries/{registry}/cases/{case_id}/pacs": {"accession_number": "LX1"},
    "/api/v1/facilities/{facility}/printers": {"label": "P9", "technology": "material_jetting"},
    "/api/v1/registries/{registry}/enrollments/{facility}/status": {"status": "suspended"},
    "/api/v1/registries/{registry}/enrollments/{facility}/decision": {"decision": "approve"},
    "/api/v1/registries/{registry}/votes/{subject_type}/{subject_id}": {"vote": "approve"},
    "/api/v1/users/{user_id}/memberships/{registry}/{facility}": {"role": "viewer"},
    "/api/v1/requests/{request_id}/decision": {"approve": True},
    "/api/v1/requests/{request_id}/votes": {"vote": "approve"},
    "/api/v1/registries/{registry}/cases/{case_id}/queries": {
        "path": "time_saved_min",
        "text": "Please check",
    },
    "/api/v1/queries/{query_id}/confirm": {"reason": "It is right"},
    "/api/v1/queries/{query_id}/reopen": {"text": "Still unclear"},
    "/api/v1/registries/{registry}/quality/facilities/{facility}/rules/{rule}/queries": {
        "text": "Please check"
    },
    "/api/v1/registries/{registry}/cases/{case_id}/assessment-links": {"email": "md@x.example"},
}
#: HTML form fields that let a page post reach its service
FORMS: dict[str, dict[str, str]] = {
    "/facilities/{code}/pacs": {"base_url": "http://127.0.0.1:9/dicom-web"},
    "/registries/{registry}/cases/{case_id}/pacs": {"search_by": "accession", "identifier": "LX1"},
    "/facilities/{code}/users": {
        "email": "probe@example.org",
        "name": "Probe",
        "role": "viewer",
        "registry": REG,
    },
    "/facilities/{code}/users/{user_id}/role": {"role": "viewer", "registry": REG},
    "/facilities/{code}/printers": {"label": "P9", "technology": "material_jetting"},
    "/requests/{request_id}/vote": {"vote": "approve"},
    "/requests/{request_id}/decide": {"approve": "1"},
    "/registries/{registry}/cases/{case_id}/queries": {
        "path": "time_saved_min",
        "text": "Please check",
    },
    "/queries/{query_id}/confirm": {"reason": "It is right"},
    "/queries/{query_id}/reopen": {"text": "Still unclear"},
    "/registries/{registry}/quality/facilities/{facility}/rules/{rule}/queries": {
        "text": "Please check"
    },
    "/registries/{registry}/cases/{case_id}/assessment-links": {"email": "md@hospital.example"},
}
SKIPPED = {("POST", "/logout"), ("POST", "/login")}  # would end or replace the session
PRINCIPALS = {"data_manager": DATA_MANAGER, "facility_admin": FACILITY_ADMIN, "viewer": VIEWER}


@dataclass(frozen=True)
class Route:
    """One method and path of the application, and how it takes an identifier."""

    method: str
    path: str
    upload: bool
    facility_query: bool


def _routes() -> list[Route]:
    """Return every route of the application (without HEAD), by path then method."""
    app = create_app(Settings(database_url="sqlite://"))
    found: set[Route] = set()
    try:
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            api = isinstance(route, APIRoute)
            upload = api and any(
                "UploadFile" in str(p.field_info.annotation) for p in route.dependant.body_params
            )
            query = api and any(p.name == "facility" for p in route.dependant.query_params)
            query = query or any(
                (m, context.path) in RAW_FACILITY_QUERY for m in context.methods or ()
            )
            for method in context.methods or ():
                if method != "HEAD" and context.path and (method, context.path) not in SKIPPED:
                    upload = upload or context.path.endswith(("/mesh", "/dicom", "/import"))
                    found.add(Route(method, context.path, upload, query))
    finally:
        app.state.platform.close()
    return sorted(found, key=lambda r: (r.path, r.method))


def _probes(route: Route) -> list[str]:
    """Return what a route takes that is probed: path placeholders, ``?facility``, a body code."""
    keys = [k for k in SECRET if "{" + k + "}" in route.path]
    if route.facility_query:
        keys.append("?facility")
    if (route.method, route.path) in BODY_CODES:
        keys.append("body")
    return keys


ROUTES = _routes()
#: F0001's data manager's API token with every scope, on the API routes (pages need a session)
BEARER = "data_manager_token"
CELLS = [
    pytest.param(principal, route, key, id=f"{principal}-{route.method} {route.path} [{key}]")
    for principal in [*PRINCIPALS, BEARER]
    for route in ROUTES
    if principal != BEARER or route.path.startswith("/api/")
    for key in _probes(route)
]


# -- one database for the module ----------------------------------------------------------------


@dataclass
class World:
    """The module's platform, what belongs to F0001 and to F0002, and the signed-in clients."""

    platform: Platform
    app: Any
    clients: dict[str, UserClient]
    own: dict[str, str]
    foreign: dict[str, str]

    def state(self) -> tuple[Any, ...]:
        """Return a fingerprint of what a refused request must leave alone."""
        main = self.platform.registry(REG).tables.main
        with self.platform.sessions() as session:
            members = sorted(
                (m.user_id, m.facility_id, m.registry_id, m.role)
                for m in session.scalars(select(Membership))
            )
            return (
                session.execute(select(func.count(), func.sum(main.c.row_version),
                                       func.count(main.c.deleted_at))).one(),
                members,
                *(session.scalar(select(func.count()).select_from(t))
                  for t in (Facility, Printer, User, ImportJob, ApiToken, AuditEntry,
                            AssessmentLink)),
                session.scalar(select(func.count()).select_from(Notification)
                               .where(Notification.read_at.is_not(None))),
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
        path = Path(tmp_path_factory.mktemp("leaks")) / "printreg.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if wanted == "sqlite":
        pytest.skip("--db sqlite")
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL unavailable")
    name = f"l_{uuid.uuid4().hex[:12]}"
    create_database(server, name, template=TEMPLATE)
    try:
        yield server.url(name)
    finally:
        drop_database(server, name)


def _sign_in(app: Any, platform: Platform, email: str) -> UserClient:
    http = TestClient(app)
    assert post_login(http, email, DEMO_PASSWORD).status_code == 303
    return UserClient(http, email, session_csrf(platform, http))


def _import_job(client: UserClient, facility: str) -> str:
    """Return the id of a finished dry-run import job of the facility."""
    made = client.post(f"/api/v1/registries/{REG}/imports", params={"facility": facility},
                       files={"file": ("cases.csv", b"status\ncomplete\n", "text/csv")})  # fmt: skip
    assert made.status_code == 202, made.text
    job = made.json()["id"]
    for _ in range(200):
        if client.get(f"/api/v1/imports/{job}").json()["status"] in {"done", "failed"}:
            return str(job)
        time.sleep(0.05)
    raise AssertionError("the import job did not finish")


def _token(client: UserClient, facility: str) -> str:
    made = client.post("/api/v1/tokens", json={"name": "t", "facility": facility,
                                                "scopes": ["cases:read"]})  # fmt: skip
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _printer_id(platform: Platform, facility: str) -> str:
    with platform.sessions() as session:
        return str(session.scalar(select(Printer.id).join(Facility, Facility.id == Printer.facility_id)
                                  .where(Facility.code == facility).order_by(Printer.id)))  # fmt: skip


def _notification(platform: Platform, email: str) -> str:
    """Return the id of an unread notification of the person."""
    with platform.sessions() as session, session.begin():
        (made,) = notify(session, [int(_user_id(platform, email))],
                         NotificationKind.QUERY_RAISED, "A query was raised", "/")  # fmt: skip
    return str(made)


def _query(platform: Platform, case_id: str) -> str:
    service = QueryService(platform, Actor.operator("leaks"))
    return str(service.raise_query(REG, uuid.UUID(case_id), "time_saved_min", "Please check").id)


def _user_id(platform: Platform, email: str) -> str:
    with platform.sessions() as session:
        return str(session.scalar(select(User.id).where(User.email == email)))


@pytest.fixture(scope="module")
def world(world_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Seed F0001 and F0002 with a case, an import job, a person with a token each, and a
    researcher's data request; sign in F0001's data manager and facility administrator."""
    settings = Settings(database_url=world_url, data_dir=str(tmp_path_factory.mktemp("leaks")))
    platform = Platform.from_settings(settings)
    operator = Actor.operator("leaks")
    load_synthetic(platform, operator, registry=REG, seed=7, facilities=2, cases=0)
    ensure_demo_accounts(platform, REG, (HOME, OTHER))
    cases = CaseService(platform, operator)
    case = {code: str(cases.create(REG, code, records(code, 1)[0]).id) for code in (HOME, OTHER)}
    request = DataRequestService(platform, operator).submit(
        REG, RequestDraft("probe", "aims", ["organ_system"]), RESEARCHER
    )
    notes = {email: _notification(platform, email) for email in (DATA_MANAGER, OTHER_SITE)}
    app = app_for(settings, platform)
    manager, other = _sign_in(app, platform, DATA_MANAGER), _sign_in(app, platform, OTHER_SITE)
    own = {"registry": REG, "facility": HOME, "code": HOME, "case_id": case[HOME],
           "job_id": _import_job(manager, HOME), "user_id": _user_id(platform, DATA_MANAGER),
           "token_id": _token(manager, HOME), "request_id": str(uuid.uuid4()),
           "subject_id": "1", "subject_type": "enrollment", "row": "1", "version": "1.0.0",
           "path": "printreg.css", "printer_id": _printer_id(platform, HOME),
           "query_id": _query(platform, case[HOME]), "rule": "age_plausible",
           "link_id": stored_link(platform, HOME, case[HOME]), "token": "not-a-link",
           "action": "revoke", "notification_id": notes[DATA_MANAGER]}  # fmt: skip
    foreign = {"facility": OTHER, "code": OTHER, "case_id": case[OTHER],
               "printer_id": _printer_id(platform, OTHER),
               "job_id": _import_job(other, OTHER), "user_id": _user_id(platform, OTHER_SITE),
               "token_id": _token(other, OTHER), "request_id": str(request.id),
               "subject_id": str(request.id), "query_id": _query(platform, case[OTHER]),
               "link_id": stored_link(platform, OTHER, case[OTHER]),
               "notification_id": notes[OTHER_SITE]}  # fmt: skip
    made = manager.post("/api/v1/tokens", json={"name": "probe", "facility": HOME,
                        "scopes": ["cases:read", "cases:write", "reports:read"]})  # fmt: skip
    assert made.status_code == 201, made.text
    manager.http.close()
    other.http.close()
    clients = {p: _sign_in(app, platform, email) for p, email in PRINCIPALS.items()}
    bearer = TestClient(app)
    bearer.headers["Authorization"] = f"Bearer {made.json()['token']}"
    clients[BEARER] = UserClient(bearer, DATA_MANAGER, "")
    try:
        yield World(platform, app, clients, own, foreign)
    finally:
        for client in clients.values():
            client.http.close()
        platform.close()


# -- one route, one identifier, foreign against unknown -----------------------------------------


def _unknown(key: str) -> str:
    """Return an identifier of the key's kind that exists nowhere."""
    if key in {"facility", "code", "?facility", "body"}:
        return "F9999"
    if key in {"case_id", "job_id", "request_id", "query_id", "link_id"}:
        return str(uuid.uuid4())
    return "999999"


def _send(world: World, client: UserClient, route: Route, key: str, value: str) -> httpx.Response:
    """Send the route's request with ``value`` for the probed key and F0001's own elsewhere."""
    fill = dict(world.own)
    if key in SECRET:
        fill[key] = value
    url = route.path
    for name, filled in fill.items():
        url = url.replace("{" + name + "}", filled)
    assert "{" not in url, f"fill the placeholder of {route.path} in World.own"
    params = {"facility": value if key == "?facility" else HOME} if route.facility_query else None
    if route.method in {"GET", "DELETE"}:
        return client.request(route.method, url, params=params, follow_redirects=False)
    if route.upload:
        field = "files" if route.path.endswith("/dicom") else "file"
        files = {field: ("cases.csv", b"status\ncomplete\n", "text/csv")}
        data = {"csrf_token": client.csrf, "facility": HOME}
        return client.request(route.method, url, params=params, files=files, data=data,
                              follow_redirects=False)  # fmt: skip
    if not route.path.startswith("/api/"):
        form = {"csrf_token": client.csrf, **FORMS.get(route.path, {})}
        return client.request(route.method, url, params=params, data=form, follow_redirects=False)
    if key == "body":
        template = BODY_CODES[(route.method, route.path)]
        body = _replace(template, "{code}", value)
    elif "/cases" in route.path and route.path not in BODIES:
        body = records(HOME, 1)[0]
    else:
        body = BODIES.get(route.path, {})
    return client.request(route.method, url, params=params, json=body, follow_redirects=False)


def _replace(template: Any, placeholder: str, value: str) -> Any:
    """Return a copy of a JSON body with ``placeholder`` replaced in every key and string."""
    if isinstance(template, dict):
        return {_replace(k, placeholder, value): _replace(v, placeholder, value)
                for k, v in template.items()}  # fmt: skip
    if isinstance(template, list):
        return [_replace(v, placeholder, value) for v in template]
    if isinstance(template, str):
        return template.replace(placeholder, value)
    return template


def _fastapi_refused(response: httpx.Response) -> bool:
    """Return whether FastAPI refused the input before the route ran (its 422 list)."""
    if response.status_code != 422 or "json" not in response.headers.get("content-type", ""):
        return False
    return isinstance(response.json().get("detail"), list)


@pytest.mark.parametrize(("principal", "route", "key"), CELLS)
def test_foreign_and_unknown_identifiers_answer_alike(
    world: World, principal: str, route: Route, key: str
) -> None:
    client = world.clients[principal]
    before = world.state()
    foreign_value = world.foreign["facility" if key in {"?facility", "body"} else key]
    foreign = _send(world, client, route, key, foreign_value)
    unknown = _send(world, client, route, key, _unknown(key))
    where = f"{principal} {route.method} {route.path} [{key}]"
    assert world.state() == before, f"{where}: a probe changed stored data"
    assert not _fastapi_refused(foreign), f"{where}: the probe never reached the route"
    assert foreign.status_code in {403, 404}, f"{where}: {foreign.status_code} {foreign.text[:300]}"
    assert (foreign.status_code, foreign.content) == (unknown.status_code, unknown.content), (
        f"{where}: another facility's identifier answers {foreign.status_code}, an unknown one "
        f"{unknown.status_code}:\n{_difference(foreign.text, unknown.text)}"
    )
    if len(foreign_value) >= 5:  # a code or a UUID; a small number is found in any page
        assert foreign_value.encode() not in foreign.content, f"{where} echoed the identifier"


def _difference(first: str, second: str) -> str:
    """Return the lines where two answers differ, for the failure message."""
    lines = difflib.unified_diff(first.splitlines(), second.splitlines(), "foreign", "unknown",
                                 n=0, lineterm="")  # fmt: skip
    return "\n".join(list(lines)[:12])


def test_every_identifier_route_is_probed() -> None:
    """Each placeholder of every route is probed or named in NOT_SECRET with its reason."""
    placeholders = {name for r in ROUTES for name in re.findall(r"\{(\w+)\}", r.path)}
    assert placeholders <= set(SECRET) | set(NOT_SECRET), placeholders - set(SECRET)
    probed = {(route.path, key) for route in ROUTES for key in _probes(route)}
    assert ("/api/v1/users/{user_id}/memberships/{registry}/{facility}", "user_id") in probed
    assert ("/api/v1/registries/{registry}/cases", "?facility") in probed
    assert ("/api/v1/users", "body") in probed
    assert len(probed) >= 60
    api = sum(len(_probes(r)) for r in ROUTES if r.path.startswith("/api/"))
    assert len(CELLS) == len(PRINCIPALS) * sum(len(_probes(r)) for r in ROUTES) + api


# -- people: the role change and the creation follow GET /users/{id} ----------------------------


def _id_of(platform: Platform, email: str) -> int:
    with platform.sessions() as session:
        found = session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def _roles(platform: Platform, email: str) -> list[tuple[int, int, str]]:
    """Return (facility id, registry id, role) of every membership the person holds."""
    with platform.sessions() as session:
        return sorted(
            (m.facility_id, m.registry_id, m.role)
            for m in session.scalars(
                select(Membership).where(Membership.user_id == _id_of(platform, email))
            )
        )


ROLE_CHANGES = [{"role": "viewer"}, {"role": "facility_admin"}, {"role": None}]


@pytest.mark.parametrize("body", ROLE_CHANGES, ids=["viewer", "facility_admin", "remove"])
@pytest.mark.parametrize("target", [OTHER_SITE, RESEARCHER, REGISTRY_ADMIN])
def test_a_role_change_answers_like_get_for_a_person_out_of_sight(
    client_for: Callable[[str], UserClient], api_platform: Platform, target: str,
    body: dict[str, Any]
) -> None:  # fmt: skip
    """F0001's facility administrator may not see people of other facilities nor registry-only
    people: the role change answers the 404 of GET /users/{id}, byte for byte, and changes
    nothing, whatever role it asks for."""
    admin = client_for(FACILITY_ADMIN)
    person = _id_of(api_platform, target)
    before = _roles(api_platform, target)
    seen = admin.get(f"/api/v1/users/{person}")
    changed = admin.put(f"/api/v1/users/{person}/memberships/{REG}/{HOME}", json=body)
    nobody = admin.put(f"/api/v1/users/999999/memberships/{REG}/{HOME}", json=body)
    assert seen.status_code == changed.status_code == nobody.status_code == 404
    assert seen.content == changed.content == nobody.content == b'{"detail":"no such person"}'
    assert target.encode() not in changed.content
    assert _roles(api_platform, target) == before


def test_a_role_change_shows_only_what_get_shows(
    client_for: Callable[[str], UserClient], api_platform: Platform
) -> None:
    """Someone who works at F0001 and F0002: F0001's administrator changes their F0001 role and
    sees that role only, exactly as GET and the facility's list show the person."""
    AccountService(api_platform).set_membership(
        Actor.operator("test"), _id_of(api_platform, OTHER_SITE), REG, HOME, Role.VIEWER
    )
    admin = client_for(FACILITY_ADMIN)
    person = _id_of(api_platform, OTHER_SITE)
    changed = admin.put(
        f"/api/v1/users/{person}/memberships/{REG}/{HOME}", json={"role": "data_manager"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["memberships"] == {REG: {HOME: "data_manager"}}
    assert changed.json()["registry_roles"] == {}
    assert changed.json() == admin.get(f"/api/v1/users/{person}").json()
    listed = admin.get(f"/api/v1/facilities/{HOME}/users").json()
    assert next(u for u in listed if u["id"] == person) == changed.json()
    assert OTHER not in changed.text
    # the person's role at F0002 is still there, and a registry administrator sees both
    whole = client_for(REGISTRY_ADMIN).get(f"/api/v1/users/{person}").json()
    assert whole["memberships"] == {REG: {HOME: "data_manager", OTHER: "data_manager"}}


def test_the_users_page_refuses_a_person_out_of_sight_and_changes_nothing(
    client_for: Callable[[str], UserClient], api_platform: Platform
) -> None:
    admin = client_for(FACILITY_ADMIN)
    before = _roles(api_platform, OTHER_SITE)
    pages = [
        admin.post(f"/facilities/{HOME}/users/{user}/role",
                   data={"csrf_token": admin.csrf, "role": "remove", "registry": REG})
        for user in (_id_of(api_platform, OTHER_SITE), 999999)
    ]  # fmt: skip
    assert pages[0].status_code == pages[1].status_code == 404
    assert pages[0].content == pages[1].content
    assert "no such person" in pages[0].text
    assert _roles(api_platform, OTHER_SITE) == before


# -- people: creating one does not tell whether an address has an account elsewhere -------------


def _create(client: UserClient, email: str, password: str) -> httpx.Response:
    body = {"email": email, "display_name": "Probe Person", "password": password,
            "memberships": {REG: {HOME: "viewer"}}}  # fmt: skip
    return client.post("/api/v1/users", json=body)


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """Return an answer without what differs between any two people (id, address, name)."""
    return {k: v for k, v in body.items() if k not in {"id", "email", "display_name"}}


@pytest.mark.parametrize("existing", [OTHER_SITE, RESEARCHER, REGISTRY_ADMIN])
def test_creating_a_person_does_not_reveal_an_account_elsewhere(
    client_for: Callable[[str], UserClient], anon: TestClient, api_platform: Platform,
    existing: str
) -> None:  # fmt: skip
    """An address with an account the caller may not see answers as a new address: 201, the
    roles asked for and nothing else; the account keeps its password, name and other roles."""
    admin = client_for(FACILITY_ADMIN)
    chosen = "chosen-by-the-prober-1"
    before = _roles(api_platform, existing)
    fresh = _create(admin, "nobody.yet@example.org", chosen)
    taken = _create(admin, existing, chosen)
    assert fresh.status_code == taken.status_code == 201, taken.text
    assert _shape(taken.json()) == _shape(fresh.json()) == {
        "active": True, "memberships": {REG: {HOME: "viewer"}}, "registry_roles": {}}  # fmt: skip
    assert OTHER not in taken.text
    # The account only gained the role asked for; its password is still its own.
    assert len(_roles(api_platform, existing)) == len(before) + 1
    assert set(before) <= set(_roles(api_platform, existing))
    assert post_login(anon, existing, chosen).status_code == 401
    assert post_login(anon, existing, DEMO_PASSWORD).status_code == 303


def test_the_users_page_adds_an_address_with_an_account_elsewhere_as_a_new_one(
    client_for: Callable[[str], UserClient], api_platform: Platform
) -> None:
    admin = client_for(FACILITY_ADMIN)

    def add(email: str) -> httpx.Response:
        form = {"csrf_token": admin.csrf, "email": email, "name": "Probe Person",
                "password": "chosen-by-the-prober-1", "role": "viewer",
                "registry": REG}  # fmt: skip
        return admin.post(f"/facilities/{HOME}/users", data=form, follow_redirects=False)

    fresh, taken = add("nobody.yet@example.org"), add(OTHER_SITE)
    assert fresh.status_code == taken.status_code == 303
    assert fresh.headers["location"] == taken.headers["location"]
    listed = admin.get(f"/facilities/{HOME}/users")
    assert OTHER_SITE in listed.text
    assert OTHER not in listed.text.replace(OTHER_SITE, "")


def test_an_address_the_caller_sees_is_still_a_clear_conflict(
    client_for: Callable[[str], UserClient],
) -> None:
    """F0001's own data manager: the administrator sees them, so being told is no leak."""
    taken = _create(client_for(FACILITY_ADMIN), DATA_MANAGER, "chosen-by-the-prober-1")
    assert taken.status_code == 409
    assert "already exists" in taken.json()["detail"]


def test_a_registry_administrator_sees_every_account(
    client_for: Callable[[str], UserClient],
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    assert _create(admin, OTHER_SITE, "chosen-by-the-prober-1").status_code == 409
    assert _create(admin, "nobody.yet@example.org", "chosen-by-the-prober-1").status_code == 201


def test_a_facility_administrator_gives_every_new_person_a_role(
    client_for: Callable[[str], UserClient],
) -> None:
    """Without a role the person could not be seen again, and an existing account could not be
    answered for: a facility administrator always names one."""
    admin = client_for(FACILITY_ADMIN)
    for email in (OTHER_SITE, "nobody.yet@example.org"):
        bare = admin.post("/api/v1/users", json={"email": email, "display_name": "P"})
        assert bare.status_code == 409
        assert bare.json() == {"detail": "give the person a role at one of your facilities"}
