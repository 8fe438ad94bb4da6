"""HTTP hardening (issue 12 point 5): security headers, no inline script, cookies in production.

The attack: pages and API answers carrying case data had no Content-Security-Policy, frame
protection, nosniff, Referrer-Policy, HSTS or ``Cache-Control: no-store``; the pre-login CSRF
cookie lacked ``Secure`` in production. Every rendered page of the main flows is scanned for what
the CSP would block (inline script, event-handler and style attributes, javascript: URLs).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.deps import SESSION_COOKIE
from printreg.web.headers import IMPORT_MAP
from tests.support.imports import finished
from tests.support.web import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    REGISTRY_ADMIN,
    UserClient,
    post_login,
)

SECRET = "s" * 40  # a valid production secret_key and dicom_uid_salt


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
    finished(dm, job.json()["id"])  # its page shows the summary; no job outlives the test
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
