"""HTTP hardening (issue 12 point 5): one body limit before sign-in, uploads refused unread.

The attack: an anonymous 300 MB JSON body was read into memory before the 401; a viewer's 600 MB
upload to a random case id was buffered before the 404. The requests here are driven straight
into the ASGI application with a body produced lazily, so each test counts the bytes the server
pulled. Headers and cookies: test_http_hardening_headers.py; hostile JSON:
test_http_hardening_json.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import CSRF_HEADER, SESSION_COOKIE
from tests.support.imports import finished
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    VIEWER,
    UserClient,
)

MB = 1024**2
CHUNK = 64 * 1024
BOUNDARY = "hardening-boundary"


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
    finished(dm, response.json()["id"])  # no job left running past the test's database


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
