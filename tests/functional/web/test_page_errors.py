"""One mapping of domain errors for pages (issue 13 point 2): a page handler raises, the page
frame answers the error page with the status the API gives for the same error."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.support.pages import (  # noqa: F401 - fixtures for these tests
    RESEARCHER,
    Client,
    dm,
    new_client,
    people,
    sign_in,
)


def test_an_unknown_registry_is_the_not_found_page(dm: Client) -> None:
    http, _ = dm
    response = http.get("/registries/no-such-registry/home")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "<title>Not found · printreg</title>" in response.text
    assert "registry" in response.text.lower()


def test_an_unknown_data_request_is_the_not_found_page(
    sign_in: Callable[[str], Client],
) -> None:
    researcher, _ = sign_in(RESEARCHER)
    response = researcher.get(f"/requests/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_the_api_keeps_its_json_problem_for_the_same_error(dm: Client) -> None:
    http, _ = dm
    response = http.get("/api/v1/registries/no-such-registry")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()
