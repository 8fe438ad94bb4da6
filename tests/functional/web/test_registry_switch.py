"""A person with roles in several registries switches between them; the session keeps the
choice for the pages whose path names no registry. The account page links the API docs and
offers to copy a new token."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.support.factories import make_person
from tests.support.pages import (  # noqa: F401 - fixtures for these tests
    DATA_MANAGER,
    HOME,
    REG,
    Client,
    new_client,
    people,
    sign_in,
)

from printreg.domain.facility import Role
from printreg.platform import Platform

TWO = "two.registries@example.org"
SECOND = "gsae"


def _nav_home(page: str) -> str:
    found = re.search(r'<a href="/registries/([a-z0-9]+)/home[^"]*">Home</a>', page)
    assert found is not None
    return found.group(1)


def test_the_switcher_keeps_the_chosen_registry_in_the_session(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    make_person(people, TWO, roles={REG: {HOME: Role.DATA_MANAGER},
                                    SECOND: {HOME: Role.VIEWER}})  # fmt: skip
    http, csrf = sign_in(TWO)
    account = http.get("/account").text
    assert 'id="registry-switch"' in account
    assert f'<option value="{SECOND}">{SECOND}</option>' in account
    assert _nav_home(account) == REG  # before a choice: the default registry
    moved = http.post("/session/registry", data={"csrf_token": csrf, "registry": SECOND},
                      follow_redirects=False)  # fmt: skip
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/registries/{SECOND}/home"
    # pages whose path names no registry now work in the chosen one, and / leads there
    assert _nav_home(http.get("/account").text) == SECOND
    assert _nav_home(http.get(f"/facilities/{HOME}/printers").text) == SECOND
    root = http.get("/", follow_redirects=False)
    assert root.headers["location"] == f"/registries/{SECOND}/home"
    chosen = re.search(r'<option value="(\w+)" selected>', http.get("/account").text)
    assert chosen is not None
    assert chosen.group(1) == SECOND


def test_only_a_registry_of_ones_own_can_be_chosen(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, csrf = sign_in(DATA_MANAGER)
    assert 'id="registry-switch"' not in http.get("/account").text  # one registry: no switcher
    for registry in (SECOND, "nope"):
        refused = http.post("/session/registry", data={"csrf_token": csrf, "registry": registry})
        assert refused.status_code == 404
        assert "no such registry" in refused.text
    root = http.get("/", follow_redirects=False)
    assert root.headers["location"] == f"/registries/{REG}/home"


def test_the_token_page_links_the_api_docs_and_offers_to_copy_a_new_token(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, csrf = sign_in(DATA_MANAGER)
    page = http.get("/account").text
    assert re.search(r'<a href="/api/docs" id="api-docs">', page)
    assert http.get("/api/docs").status_code == 200
    made = http.post("/account/tokens", data={"csrf_token": csrf, "name": "etl",
                                              "facility": HOME, "scopes": ["cases:read"],
                                              "days": "30"})  # fmt: skip
    assert made.status_code == 200
    secret = re.search(r'<code id="new-token">(prt_[^<]+)</code>', made.text)
    assert secret is not None
    # the copy button names the token's element; it stays hidden until the script enables it
    assert re.search(r'<button type="button"[^>]*id="copy-token" data-copy="new-token" hidden>',
                     made.text)  # fmt: skip
    assert 'id="api-docs-after-token"' in made.text
