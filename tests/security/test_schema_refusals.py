"""Input the API's schemas refuse (issue 13 point 2): one 422 shape, never the refused value.

FastAPI's own 422 repeats each refused input; an identifier typed into the wrong field would
come straight back (and into any log of responses). The refusal names the field and the check.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.web import REGISTRY_ADMIN, UserClient

MARKER = "Jonathan Q Marker 555-867-5309"


def test_a_schema_refusal_names_the_field_and_never_echoes_the_value(
    client_for: Callable[[str], UserClient],
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    body = {
        "code": "LAB42",
        "name": "Lab 42",
        "facility_type": "academic",
        "location": MARKER,
        "census_region": "west",
        "lab_service_model": "radiology",
    }
    response = admin.post("/api/v1/facilities", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert [issue["path"] for issue in answer["issues"]] == ["location"]
    assert answer["issues"][0]["rule"] == "enum"
    assert "Marker" not in response.text
    assert "867" not in response.text


def test_a_refused_query_parameter_is_reported_by_name(
    client_for: Callable[[str], UserClient],
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    response = admin.get("/api/v1/registries/3dp/cases", params={"limit": MARKER})
    assert response.status_code == 422
    assert [issue["path"] for issue in response.json()["issues"]] == ["limit"]
    assert "Marker" not in response.text
