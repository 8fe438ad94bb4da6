"""Hostile JSON (issue 12 points 5 and 9): clear refusals, never "internal error" or a 500.

The attack: a deeply nested JSON import ended as "internal error"; API bodies and import files
with huge numbers, NaN or repeated keys were taken (the last key silently winning). Each must be
refused with what is wrong, and for a file on which line.
"""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from tests.support.imports import finished
from tests.support.web import API, HOME, UserClient

# -- hostile JSON ---------------------------------------------------------------------------------

NESTED = "[" * 100_000 + "]" * 100_000
HOSTILE_BODIES = {
    "deep": ('{"local_case_id": "H1", "x": ' + NESTED + "}", "nested more than"),
    "just-too-deep": ('{"x": ' + "[" * 64 + "]" * 64 + "}", "nested more than 64"),
    "duplicate": ('{"local_case_id": "H1", "local_case_id": "H2"}', "appears twice"),
    "huge-float": ('{"local_case_id": "H1", "age": 1e999}', "too large"),
    "long-int": ('{"local_case_id": "H1", "age": ' + "9" * 5000 + "}", "longer than"),
    "nan": ('{"local_case_id": "H1", "age": NaN}', "not a JSON number"),
    "nul": ('{"local_case_id": "H1\\u0000"}', "NUL character"),
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
    job = finished(dm, submitted.json()["id"])
    assert job["status"] in {"done", "failed"}
    message = job["message"] or ""
    assert words in message, message
    assert "internal error" not in message


@pytest.mark.parametrize(
    "query",
    ["where=organ_system%3Dcard%00iac", "organ_system=%00", "cursor=%00", "facility=F00%0001"],
)
def test_a_nul_character_in_the_address_is_a_clear_400(dm: UserClient, query: str) -> None:
    """PostgreSQL refuses NUL in text: once a 500 from deep in the case list (contract test)."""
    response = dm.get(f"{API}/cases?{query}")
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "the address holds a NUL character (%00): remove it"}


def test_a_nul_character_in_a_page_address_is_a_clear_400(dm: UserClient) -> None:
    response = dm.get("/registries/3dp/cases?where=%00")
    assert response.status_code == 400
    assert "NUL character" in response.text
