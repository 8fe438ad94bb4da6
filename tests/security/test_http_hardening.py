"""HTTP hardening: body limits before sign-in, uploads refused unread, headers, cookies, JSON.

Attacks of issue 12 point 5 (and the hostile JSON of point 9), each a test that fails if the hole
reopens:

- an anonymous 300 MB JSON body was read into memory before the 401; a viewer's 600 MB upload to
  a random case id was buffered before the 404. The requests here are driven straight into the
  ASGI application with a body produced lazily, so the test counts the bytes the server pulled;
- pages and API answers lacked CSP, frame protection, nosniff, Referrer-Policy, HSTS and
  ``Cache-Control: no-store``; inline script in a page would need ``'unsafe-inline'``;
- the pre-login CSRF cookie lacked ``Secure`` in production;
- a deeply nested JSON import ended as "internal error".
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from printreg.services.demo import DEMO_PASSWORD
from printreg.services.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import CSRF_HEADER, SESSION_COOKIE
from printreg.web.headers import IMPORT_MAP
from tests.functional.api.conftest import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
    post_login,
)

MB = 1024**2
CHUNK = 64 * 1024
BOUNDARY = "hardening-boundary"
SECRET = "s" * 40


# -- driving the ASGI application with a lazily produced body -------------------------------------


@dataclass
class Answer:
    """What the application answered, and how many body bytes it pulled from the client."""

    status: int
    headers: dict[str, str]
    body: bytes
    consumed: int

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def multipart_head(field: str, filename: str) -> bytes:
    """Return the start of a multipart body whose one file part then runs on."""
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()


def drive(
    app: FastAPI,
    method: str,
    target: str,
    *,
    total: int,
    declare: bool,
    headers: dict[str, str] | None = None,
    head: bytes = b"",
) -> Answer:
    """Send ``total`` body bytes (``head`` then zeros, produced only as the app asks for them),
    with or without a Content-Length; return the answer and the bytes the app consumed."""
    path, _, query = target.partition("?")
    sent = {k.lower(): v for k, v in (headers or {}).items()}
    if declare:
        sent["content-length"] = str(total)
    else:
        sent["transfer-encoding"] = "chunked"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def run() -> Answer:
        consumed = 0
        done = asyncio.Event()
        answer = Answer(0, {}, b"", 0)

        async def receive() -> dict[str, Any]:
            nonlocal consumed
            if consumed >= total:
                await done.wait()
                return {"type": "http.disconnect"}
            size = min(CHUNK, total - consumed)
            start = consumed
            piece = head[start : start + size] if start < len(head) else b""
            piece += bytes(size - len(piece))
            consumed += size
            return {"type": "http.request", "body": piece, "more_body": consumed < total}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                answer.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")
                if not message.get("more_body"):
                    done.set()

        await app(scope, receive, send)
        answer.consumed = consumed
        return answer

    return asyncio.run(run())


def session_headers(user: UserClient) -> dict[str, str]:
    """Return the headers a signed-in browser sends: its session cookie and CSRF token."""
    cookie = user.http.cookies.get(SESSION_COOKIE)
    assert cookie
    return {"cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: user.csrf}


# -- one body limit, before authentication --------------------------------------------------------


def test_a_declared_oversized_json_body_is_refused_before_sign_in_unread(app: FastAPI) -> None:
    answer = drive(
        app, "POST", f"{API}/cases?facility={HOME}", total=300 * MB, declare=True,
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status == 413
    assert answer.consumed == 0
    assert "max_body_bytes" in answer.text
    assert "1.0 MB" in answer.text


def test_a_chunked_oversized_json_body_is_stopped_at_the_limit(app: FastAPI) -> None:
    answer = drive(
        app, "POST", f"{API}/cases?facility={HOME}", total=300 * MB, declare=False,
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status == 413
    assert "max_body_bytes" in answer.text
    assert answer.consumed <= MB + CHUNK


def test_an_oversized_page_form_is_refused_with_a_plain_message(app: FastAPI) -> None:
    answer = drive(
        app, "POST", "/login", total=50 * MB, declare=True,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert answer.status == 413
    assert answer.headers["content-type"].startswith("text/plain")
    assert "max_body_bytes" in answer.text
    assert answer.consumed == 0


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    "target",
    [f"{API}/imports?facility={HOME}", f"{API}/cases/{uuid.uuid4()}/dicom"],
    ids=["import", "dicom"],
)
def test_an_anonymous_upload_gets_401_without_being_read(
    app: FastAPI, target: str, declare: bool
) -> None:
    answer = drive(
        app, "POST", target, total=300 * MB, declare=declare,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        head=multipart_head("file", "cases.csv"),
    )  # fmt: skip
    assert answer.status == 401
    assert answer.consumed == 0


def test_an_anonymous_page_upload_is_sent_to_sign_in_unread(app: FastAPI) -> None:
    answer = drive(
        app, "POST", f"/registries/3dp/import?facility={HOME}", total=300 * MB, declare=False,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )  # fmt: skip
    assert answer.status == 303
    assert answer.headers["location"].startswith("/login")
    assert answer.consumed == 0


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
def test_a_viewers_600_mb_upload_to_a_random_case_gets_404_unbuffered(
    app: FastAPI, client_for: Callable[[str], UserClient], declare: bool
) -> None:
    headers = session_headers(client_for(VIEWER))
    headers["content-type"] = f"multipart/form-data; boundary={BOUNDARY}"
    answer = drive(
        app, "POST", f"{API}/cases/{uuid.uuid4()}/dicom", total=600 * MB, declare=declare,
        headers=headers, head=multipart_head("files", "scan.dcm"),
    )  # fmt: skip
    assert answer.status == 404
    assert answer.consumed == 0


def test_uploads_that_the_caller_may_not_make_are_refused_unread(
    app: FastAPI, client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    viewer = session_headers(client_for(VIEWER))
    multipart = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    refused = {
        # the viewer's own facility's case: readable, not writable
        f"{API}/cases/{case_ids[HOME]}/dicom": {403},
        f"{API}/cases/{case_ids[HOME]}/prints/1/mesh": {403},
        f"/registries/3dp/cases/{case_ids[HOME]}/dicom": {403},
        f"/registries/3dp/cases/{uuid.uuid4()}/prints/1/mesh": {404},
        # another facility's case is not found, as one that exists nowhere
        f"{API}/cases/{case_ids['F0002']}/dicom": {404},
        f"{API}/imports?facility={HOME}": {403},
        f"{API}/imports?facility=F0002": {403, 404},
        f"/registries/3dp/import?facility={HOME}": {403},
    }
    for target, statuses in refused.items():
        answer = drive(
            app, "POST", target, total=200 * MB, declare=False, headers={**viewer, **multipart}
        )
        assert answer.status in statuses, (target, answer.status, answer.text[:200])
        assert answer.consumed == 0, target


def test_an_upload_past_its_cap_is_stopped_as_it_streams(
    settings: Settings, api_platform: Platform, client_for: Callable[[str], UserClient],
    case_ids: dict[str, str],
) -> None:  # fmt: skip
    cap = 256 * 1024
    small = settings.model_copy(update={"dicom_max_upload_bytes": cap, "import_max_bytes": cap})
    app = create_app(small, api_platform)
    headers = session_headers(client_for(DATA_MANAGER))
    headers["content-type"] = f"multipart/form-data; boundary={BOUNDARY}"
    for target, field in (
        (f"{API}/cases/{case_ids[HOME]}/dicom", "files"),
        (f"{API}/imports?facility={HOME}", "file"),
    ):
        answer = drive(
            app, "POST", target, total=100 * MB, declare=False, headers=headers,
            head=multipart_head(field, "big.bin"),
        )  # fmt: skip
        assert answer.status == 413, (target, answer.text[:200])
        assert answer.consumed <= cap + 64 * 1024 + CHUNK, target
        declared = drive(app, "POST", target, total=100 * MB, declare=True, headers=headers)
        assert declared.status == 413
        assert declared.consumed == 0
        assert "setting" in declared.text


def test_uploads_within_their_caps_still_work(dm: UserClient, api_platform: Platform) -> None:
    """The body limit of 1 MiB does not apply to uploads: a 2 MB import file is accepted."""
    header = "local_case_id\n"
    content = (header + "x\n" * (MB + 1)).encode()
    assert len(content) > api_platform.settings.max_body_bytes
    response = dm.post(
        f"{API}/imports", params={"facility": HOME}, files={"file": ("big.csv", content)}
    )
    assert response.status_code == 202, response.text


# -- security headers -----------------------------------------------------------------------------


def _csp(headers: Any) -> dict[str, str]:
    policy = headers["content-security-policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def assert_hardened(response: Any, *, no_store: bool = True) -> None:
    """Assert the security headers of one answer."""
    csp = _csp(response.headers)
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in csp.get("style-src", "")
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in {"strict-origin-when-cross-origin", "no-referrer"}
    if no_store:
        assert "no-store" in response.headers["cache-control"]


def test_pages_and_api_answers_carry_the_security_headers(
    anon: TestClient, dm: UserClient, case_ids: dict[str, str]
) -> None:
    for response in (
        anon.get("/login"),
        anon.get("/api/v1/health"),
        anon.get(f"{API}/cases"),  # 401
        anon.get("/api/docs"),
        dm.get("/"),
        dm.get(f"/registries/3dp/cases/{case_ids[HOME]}"),
        dm.get(f"{API}/cases/{case_ids[HOME]}"),
        dm.get(f"{API}/cases"),
        dm.get(f"{API}/export", params={"format": "csv"}),
        dm.get(f"{API}/cases/{uuid.uuid4()}"),  # 404
    ):
        assert_hardened(response)
    assert "strict-transport-security" not in anon.get("/login").headers  # plain http, dev


def test_static_assets_may_be_cached_but_are_still_hardened(anon: TestClient) -> None:
    response = anon.get("/static/printreg.css")
    assert response.status_code == 200
    assert_hardened(response, no_store=False)
    assert "no-store" not in response.headers.get("cache-control", "")


def test_hsts_over_https_and_in_production(
    app: FastAPI, settings: Settings, api_platform: Platform
) -> None:
    with TestClient(app, base_url="https://testserver") as https:
        assert "max-age=" in https.get("/login").headers["strict-transport-security"]
    production = settings.model_copy(
        update={"environment": "production", "secret_key": SECRET, "dicom_uid_salt": SECRET}
    )
    with TestClient(create_app(production, api_platform)) as plain:
        assert "max-age=" in plain.get("/login").headers["strict-transport-security"]


# -- no inline script in any page of the main flows -----------------------------------------------

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
_TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
DATA_SCRIPTS = ('type="application/json"',)


def inline_problems(html: str, allowed_hashes: set[str]) -> list[str]:
    """Return the inline scripts, event-handler attributes, style attributes and javascript:
    URLs of a page that the CSP would block (or that would need 'unsafe-inline')."""
    problems: list[str] = []
    for attrs, body in _SCRIPT.findall(html):
        if "src=" in attrs:
            continue
        if any(kind in attrs for kind in DATA_SCRIPTS):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        if 'type="importmap"' in attrs and digest in allowed_hashes:
            continue
        problems.append(f"inline <script{attrs}>: {body[:60]!r}")
    without_scripts = _SCRIPT.sub("", html)
    for tag in _TAG.findall(without_scripts):
        if _HANDLER.search(tag):
            problems.append(f"event handler attribute: {tag[:80]}")
        if _STYLE_ATTR.search(tag):
            problems.append(f"style attribute: {tag[:80]}")
        if "javascript:" in tag.lower():
            problems.append(f"javascript: URL: {tag[:80]}")
    return problems


def _allowed_hashes(headers: Any) -> set[str]:
    return set(re.findall(r"'sha256-([^']+)'", _csp(headers)["script-src"]))


def test_the_viewer_import_map_is_allowed_by_its_hash(anon: TestClient) -> None:
    digest = base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
    assert digest in _allowed_hashes(anon.get("/login").headers)
    assert inline_problems(f'<script type="importmap">{IMPORT_MAP}</script>', {digest}) == []
    assert inline_problems('<script type="importmap">{"imports": {}}</script>', {digest})
    assert inline_problems('<a href="#" onclick="x()">', set())
    assert inline_problems("<script>alert(1)</script>", set())


def _pages(case_id: str, job_id: str) -> dict[str, list[str]]:
    reg = "/registries/3dp"
    return {
        DATA_MANAGER: [
            "/", f"{reg}/home?facility={HOME}", f"{reg}/cases", f"{reg}/cases/new?facility={HOME}",
            f"{reg}/cases/{case_id}", f"{reg}/cases/{case_id}/edit", f"{reg}/import?facility={HOME}",
            f"/imports/{job_id}", f"{reg}/dashboard?facility={HOME}", f"/facilities/{HOME}/printers",
            "/account", f"{reg}/cases/{uuid.uuid4()}",
        ],
        FACILITY_ADMIN: [f"/facilities/{HOME}/users", f"/facilities/{HOME}/enrollment"],
        REGISTRY_ADMIN: [f"{reg}/analytics", f"{reg}/committee", f"{reg}/requests"],
    }  # fmt: skip


def test_no_page_of_the_main_flows_holds_inline_script(
    anon: TestClient, client_for: Callable[[str], UserClient], case_ids: dict[str, str],
    api_platform: Platform,
) -> None:  # fmt: skip
    dm = client_for(DATA_MANAGER)
    job = dm.post(
        f"{API}/imports", params={"facility": HOME},
        files={"file": ("cases.csv", b"local_case_id\nA1\n")},
    )  # fmt: skip
    assert job.status_code == 202, job.text
    checked = 0
    for response in (anon.get("/login"), anon.get("/public/3dp"), anon.get("/api/docs")):
        assert response.status_code == 200
        assert inline_problems(response.text, _allowed_hashes(response.headers)) == []
        checked += 1
    for email, urls in _pages(case_ids[HOME], job.json()["id"]).items():
        user = dm if email == DATA_MANAGER else client_for(email)
        for url in urls:
            response = user.get(url)
            assert response.status_code in {200, 404}, (url, response.status_code)
            assert "text/html" in response.headers["content-type"], url
            assert inline_problems(response.text, _allowed_hashes(response.headers)) == [], url
            assert_hardened(response)
            checked += 1
    assert checked >= 20


# -- cookies --------------------------------------------------------------------------------------


@pytest.fixture
def production_client(settings: Settings, api_platform: Platform) -> Iterator[TestClient]:
    """Yield a client of the application configured for production (served over https)."""
    production = settings.model_copy(
        update={"environment": "production", "secret_key": SECRET, "dicom_uid_salt": SECRET}
    )
    prod_platform = Platform.from_settings(production)
    try:
        with TestClient(create_app(production, prod_platform), base_url="https://testserver") as c:
            yield c
    finally:
        prod_platform.close()


def _set_cookies(response: Any) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]


def test_every_cookie_is_secure_httponly_and_samesite_in_production(
    production_client: TestClient,
) -> None:
    login = production_client.get("/login")
    signed_in = post_login(production_client, DATA_MANAGER, DEMO_PASSWORD)
    assert signed_in.status_code == 303, signed_in.text
    cookies = _set_cookies(login) + _set_cookies(signed_in)
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"printreg_precsrf", SESSION_COOKIE} <= names
    for cookie in cookies:
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert "secure" in attributes, cookie.split("=", 1)[0]
        assert "httponly" in attributes, cookie.split("=", 1)[0]
        assert "samesite" in attributes, cookie.split("=", 1)[0]


def test_cookies_are_not_marked_secure_in_development_over_http(anon: TestClient) -> None:
    """The test that production marks them is not vacuous: plain development leaves them."""
    cookies = _set_cookies(anon.get("/login"))
    assert cookies
    assert all("secure" not in c.lower() for c in cookies)


# -- hostile JSON ---------------------------------------------------------------------------------

NESTED = "[" * 100_000 + "]" * 100_000
HOSTILE_BODIES = {
    "deep": ('{"local_case_id": "H1", "x": ' + NESTED + "}", "nested more than"),
    "just-too-deep": ('{"x": ' + "[" * 64 + "]" * 64 + "}", "nested more than 64"),
    "duplicate": ('{"local_case_id": "H1", "local_case_id": "H2"}', "appears twice"),
    "huge-float": ('{"local_case_id": "H1", "age": 1e999}', "too large"),
    "long-int": ('{"local_case_id": "H1", "age": ' + "9" * 5000 + "}", "longer than"),
    "nan": ('{"local_case_id": "H1", "age": NaN}', "not a JSON number"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
def test_hostile_json_bodies_get_a_clear_400(dm: UserClient, kind: str) -> None:
    body, words = HOSTILE_BODIES[kind]
    response = dm.post(
        f"{API}/cases", params={"facility": HOME}, content=body,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400, response.text[:300]
    assert words in response.json()["detail"]


def test_hostile_json_from_an_anonymous_caller_is_no_500(anon: TestClient) -> None:
    response = anon.post(
        f"{API}/cases", params={"facility": HOME}, content=HOSTILE_BODIES["deep"][0],
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code in {400, 401}


def _finished(client: UserClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/imports/{job_id}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("deep.jsonl", b'{"a": 1}\n' + ('{"x": ' + NESTED + "}").encode(), "line 2"),
        ("deep.json", b'[{"a": 1},\n\n' + ('{"x": ' + NESTED + "}").encode() + b"]", "line 3"),
        ("dup.jsonl", b'{"a": 1}\n{"a": 1}\n{"a": 1, "a": 2}\n', "line 3"),
        ("big.json", b'[\n{"a": 1e999}]', "line 2"),
    ],
    ids=["deep-jsonl", "deep-json", "duplicate-key", "huge-number"],
)
def test_hostile_json_import_files_fail_with_their_line(
    dm: UserClient, name: str, content: bytes, words: str
) -> None:
    submitted = dm.post(
        f"{API}/imports", params={"facility": HOME}, files={"file": (name, io.BytesIO(content))}
    )
    assert submitted.status_code == 202, submitted.text
    job = _finished(dm, submitted.json()["id"])
    assert job["status"] in {"done", "failed"}
    message = job["message"] or ""
    assert words in message, message
    assert "internal error" not in message


def test_a_page_upload_to_a_writable_target_still_needs_its_csrf_token(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    """Uploads authorize before reading; the CSRF token in the body is then still required."""
    for target in (
        f"/registries/3dp/cases/{case_ids[HOME]}/dicom",
        f"/registries/3dp/import?facility={HOME}",
    ):
        response = dm.post(
            target, files={"file": ("a.csv", b"local_case_id\nA1\n")}, csrf=False,
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 403, (target, response.status_code)
        assert "Form expired" in response.text
    assert dm.get(f"{API}/cases/{case_ids[HOME]}/imaging").json() == []
